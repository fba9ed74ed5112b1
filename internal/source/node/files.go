package node

import (
	"path"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
)

// Files kubeadm writes whatever the flags say: the admin credentials (CIS 1.1.13, 1.1.14).
var adminKubeconfigs = []string{"/etc/kubernetes/admin.conf", "/etc/kubernetes/super-admin.conf"}

// DefaultPKIDir is kubeadm's certificate directory (CIS 1.1.19-1.1.21).
const DefaultPKIDir = "/etc/kubernetes/pki"

// maxPKIFiles bounds the files listed under the PKI directory.
const maxPKIFiles = 500

// addFiles adds the files the CIS benchmark wants protected, for the components found: the
// control plane's manifests, kubeconfigs, PKI, etcd data directory and encryption configuration
// (CIS 1.1) and the kubelet's and kube-proxy's unit, kubeconfigs, client CA and config (CIS 4.1).
func (r *reader) addFiles(comps []*nodeinfo.Component, static map[string][]definition) {
	controlPlane := false
	for _, c := range comps {
		switch c.Name {
		case nodeinfo.APIServer, nodeinfo.ControllerManager, nodeinfo.Scheduler, nodeinfo.Etcd:
			controlPlane = true
		}
	}
	for _, name := range nodeinfo.ControlPlane {
		for _, d := range static[name] {
			r.addFile(d.file, name+" static pod manifest", nodeinfo.ClassManifest, nodeinfo.PlaneControl, false)
		}
	}
	if controlPlane {
		for _, p := range adminKubeconfigs {
			r.addFile(p, "cluster admin kubeconfig", nodeinfo.ClassKubeconfig, nodeinfo.PlaneControl, true)
		}
	}
	pkiDir := ""
	for _, c := range comps {
		flag := func(name string) string { v, _, _ := c.Flag(name); return v }
		switch c.Name {
		case nodeinfo.ControllerManager, nodeinfo.Scheduler:
			if v := flag("kubeconfig"); v != "" {
				r.addFile(v, c.Name+" kubeconfig", nodeinfo.ClassKubeconfig, nodeinfo.PlaneControl, false)
			}
		case nodeinfo.APIServer:
			if v := flag("client-ca-file"); v != "" && pkiDir == "" {
				pkiDir = path.Dir(v)
			}
			if v := flag("encryption-provider-config"); v != "" {
				r.addFile(v, "kube-apiserver encryption configuration (holds the encryption keys)", nodeinfo.ClassEncryption, nodeinfo.PlaneControl, false)
			}
		case nodeinfo.Etcd:
			if v := flag("data-dir"); v != "" {
				r.addFile(v, "etcd data directory", nodeinfo.ClassEtcdData, nodeinfo.PlaneControl, false)
			}
		case nodeinfo.Kubelet:
			if c.Found == nodeinfo.FoundSystemd || c.Definition != "" {
				for _, p := range r.unitPaths() {
					r.addFile(p, "kubelet systemd unit", nodeinfo.ClassKubeletService, nodeinfo.PlaneWorker, false)
				}
			}
			if v := flag("kubeconfig"); v != "" {
				r.addFile(v, "kubelet kubeconfig", nodeinfo.ClassKubeconfig, nodeinfo.PlaneWorker, false)
			}
			for _, d := range c.Configs {
				r.addFile(d.Path, "kubelet config file", nodeinfo.ClassKubeletConfig, nodeinfo.PlaneWorker, false)
			}
			ca := flag("client-ca-file")
			if ca == "" {
				ca, _, _ = c.Config("authentication", "x509", "clientCAFile")
			}
			if ca != "" {
				r.addFile(ca, "kubelet client CA", nodeinfo.ClassClientCA, nodeinfo.PlaneWorker, false)
			}
		case nodeinfo.Proxy:
			kc := flag("kubeconfig")
			if kc == "" {
				kc, _, _ = c.Config("clientConnection", "kubeconfig")
			}
			if kc != "" {
				r.addFile(kc, "kube-proxy kubeconfig", nodeinfo.ClassKubeconfig, nodeinfo.PlaneWorker, false)
			}
		}
	}
	if controlPlane {
		if pkiDir == "" {
			pkiDir = DefaultPKIDir
		}
		r.addPKI(pkiDir)
	}
}

// addPKI adds the PKI directory and every file under it (two levels: kubeadm keeps etcd's in
// pki/etcd).
func (r *reader) addPKI(dir string) {
	if !r.addFile(dir, "PKI directory", nodeinfo.ClassPKIDir, nodeinfo.PlaneControl, true) {
		return
	}
	n := 0
	var walk func(d string, depth int)
	walk = func(d string, depth int) {
		names, err := r.fsys.ReadDir(d)
		if err != nil {
			return
		}
		for _, name := range names {
			if n >= maxPKIFiles {
				return
			}
			p := path.Join(d, name)
			info, err := r.fsys.Stat(p)
			if err != nil {
				continue
			}
			n++
			switch {
			case info.Mode.IsDir():
				if depth < 2 {
					r.addFile(p, "PKI directory", nodeinfo.ClassPKIDir, nodeinfo.PlaneControl, true)
					walk(p, depth+1)
				}
			case strings.HasSuffix(name, ".key"):
				r.addFile(p, "private key", nodeinfo.ClassKey, nodeinfo.PlaneControl, true)
			case strings.HasSuffix(name, ".crt"), strings.HasSuffix(name, ".pem"), strings.HasSuffix(name, ".pub"):
				r.addFile(p, "certificate", nodeinfo.ClassCert, nodeinfo.PlaneControl, true)
			default:
				r.addFile(p, "PKI file", nodeinfo.ClassCert, nodeinfo.PlaneControl, true)
			}
		}
	}
	walk(dir, 1)
}

// addFile stats a file and adds it; a file that does not exist is skipped (optional files) or a
// warning.
func (r *reader) addFile(p, role string, class nodeinfo.Class, plane string, optional bool) bool {
	p = path.Clean(p)
	if r.files[p] {
		return true
	}
	info, err := r.fsys.Stat(p)
	if err != nil {
		if !optional || !isNotExist(err) {
			r.problem(p, 0, role+": "+errText(err))
		}
		return false
	}
	r.files[p] = true
	f := &nodeinfo.File{Path: p, Role: role, Class: class, Plane: plane, Dir: info.Mode.IsDir(),
		Mode: uint32(info.Mode.Perm()), UID: info.UID, GID: info.GID, User: r.users[info.UID], Group: r.groups[info.GID]}
	f.TypeMeta.APIVersion, f.TypeMeta.Kind = nodeinfo.APIVersion, nodeinfo.KindFile
	r.inv.Add(&inventory.Object{APIVersion: nodeinfo.APIVersion, Kind: nodeinfo.KindFile, Name: p, Object: f,
		Source: inventory.Source{Origin: inventory.FromNode, File: p}})
	return true
}
