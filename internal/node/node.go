// Package node holds what `kube4c node` knows about a node: the Kubernetes components it runs,
// with their effective command-line flags and the configuration files those flags name; the
// security-relevant files with their modes and owners; and the host operating system. Sources
// fill these types (internal/source/node); analyzers judge them. The types implement
// runtime.Object so they travel in the inventory like Kubernetes objects.
package node

import (
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// APIVersion of the node object kinds (they are kube4c's, not the API server's).
const APIVersion = "node.kube4c.io/v1"

// Kinds of node objects in the inventory.
const (
	KindComponent = "Component"
	KindFile      = "File"
	KindHost      = "Host"
)

// Component names.
const (
	APIServer         = "kube-apiserver"
	ControllerManager = "kube-controller-manager"
	Scheduler         = "kube-scheduler"
	Etcd              = "etcd"
	Kubelet           = "kubelet"
	Proxy             = "kube-proxy"
)

// ControlPlane lists the control-plane components.
var ControlPlane = []string{APIServer, ControllerManager, Scheduler, Etcd}

// How a component was found.
const (
	FoundProcess   = "process"    // a running process (/proc/PID/cmdline)
	FoundStaticPod = "static-pod" // a static pod manifest
	FoundSystemd   = "systemd"    // a systemd unit and its drop-ins
)

// Arg is one command-line flag of a component: --name=value, --name value, or --name alone.
type Arg struct {
	Name     string             `json:"name"`
	Value    string             `json:"value,omitempty"`
	HasValue bool               `json:"hasValue,omitempty"`
	Location inventory.Location `json:"location"`
}

// Component is a Kubernetes component of the node: its flags in command-line order, and the
// files its flags name, parsed.
type Component struct {
	metav1.TypeMeta `json:",inline"`
	Name            string `json:"name"`
	// Found is FoundProcess, FoundStaticPod or FoundSystemd.
	Found string `json:"found"`
	// PID of the running process (0 when the component was found only in its definition).
	PID int `json:"pid,omitempty"`
	// Definition is the static pod manifest or systemd unit that defines the component, when one
	// was found, whether or not the component runs.
	Definition string `json:"definition,omitempty"`
	Args       []Arg  `json:"args"`
	// Configs are the component's configuration files (the kubelet's --config, then the files of
	// its --config-dir in the order the kubelet merges them; kube-proxy's --config): a field set in
	// a later one overrides an earlier one, and a flag overrides them all.
	Configs []*Document `json:"configs,omitempty"`
	// Files are the configuration files the flags name (--config, --encryption-provider-config,
	// --audit-policy-file, ...), by flag name.
	Files map[string]*Document `json:"files,omitempty"`
}

// Config returns the scalar at path from the last configuration file that sets it, and that
// file.
func (c *Component) Config(path ...string) (string, *Document, bool) {
	for i := len(c.Configs) - 1; i >= 0; i-- {
		if v, ok := c.Configs[i].Scalar(path...); ok {
			return v, c.Configs[i], true
		}
	}
	return "", nil, false
}

// Flag returns the effective value of a flag (the last occurrence wins, as with pflag) and
// whether it is set. A flag given alone (--profiling) has the value "true".
func (c *Component) Flag(name string) (value string, arg *Arg, ok bool) {
	for i := len(c.Args) - 1; i >= 0; i-- {
		if c.Args[i].Name == name {
			a := &c.Args[i]
			if !a.HasValue {
				return "true", a, true
			}
			return a.Value, a, true
		}
	}
	return "", nil, false
}

// ListFlag returns a comma-separated flag's items (--authorization-mode=Node,RBAC), trimmed.
func (c *Component) ListFlag(name string) ([]string, *Arg, bool) {
	v, a, ok := c.Flag(name)
	if !ok {
		return nil, nil, false
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, a, true
}

// DeepCopyObject implements runtime.Object.
func (c *Component) DeepCopyObject() runtime.Object {
	out := *c
	out.Args = append([]Arg(nil), c.Args...)
	out.Configs = nil
	for _, d := range c.Configs {
		out.Configs = append(out.Configs, d.DeepCopy())
	}
	if c.Files != nil {
		out.Files = make(map[string]*Document, len(c.Files))
		for k, d := range c.Files {
			out.Files[k] = d.DeepCopy()
		}
	}
	return &out
}

// File is a file the CIS benchmark wants protected: its mode and owner as the node has them.
type File struct {
	metav1.TypeMeta `json:",inline"`
	Path            string `json:"path"`
	// Role says why the file matters, e.g. "kube-apiserver static pod manifest"; Class groups
	// files the benchmark treats alike (see the Class constants).
	Role  string `json:"role"`
	Class Class  `json:"class"`
	// Plane is PlaneControl for files of the control plane (CIS 1.1) and PlaneWorker for the
	// kubelet's and kube-proxy's (CIS 4.1).
	Plane string `json:"plane"`
	// Dir is true for directories (the etcd data directory, the PKI directory).
	Dir  bool   `json:"dir,omitempty"`
	Mode uint32 `json:"mode"` // permission bits
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
	// User and Group are the owner's names from the node's /etc/passwd and /etc/group, when
	// listed there.
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
}

// Planes of files.
const (
	PlaneControl = "control-plane"
	PlaneWorker  = "worker"
)

// Class is a group of files with the same expected mode and owner.
type Class string

// File classes.
const (
	ClassManifest       Class = "manifest"          // static pod manifests of the control plane
	ClassKubeconfig     Class = "kubeconfig"        // admin.conf, component and kubelet kubeconfigs
	ClassPKIDir         Class = "pki-dir"           // the PKI directory
	ClassCert           Class = "certificate"       // certificates in the PKI directory
	ClassKey            Class = "key"               // private keys in the PKI directory
	ClassEtcdData       Class = "etcd-data"         // etcd's data directory
	ClassKubeletConfig  Class = "kubelet-config"    // the kubelet's config file
	ClassKubeletService Class = "kubelet-service"   // the kubelet's systemd unit and drop-ins
	ClassClientCA       Class = "client-ca"         // the kubelet's client CA file
	ClassCNI            Class = "cni"               // CNI configuration
	ClassEncryption     Class = "encryption-config" // the API server's EncryptionConfiguration (holds keys)
)

// DeepCopyObject implements runtime.Object.
func (f *File) DeepCopyObject() runtime.Object {
	out := *f
	return &out
}
