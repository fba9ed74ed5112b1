package nodeconfig

import (
	"fmt"
	"strings"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
)

// fileRule is the mode and owners the benchmark wants for a class of files.
type fileRule struct {
	maxMode  uint32   // no permission bit outside this mask; 0 means the mode is not judged
	owners   []string // accepted user:group
	cisMode  string
	cisOwner string
}

var rootOnly = []string{"root:root"}

// fileRules by class (CIS 1.1 and 4.1 of v1.10.0). Kubeconfigs depend on their role.
var fileRules = map[nodeinfo.Class]fileRule{
	nodeinfo.ClassManifest: {0o600, rootOnly, "1.1.1/1.1.3/1.1.5/1.1.7", "1.1.2/1.1.4/1.1.6/1.1.8"},
	// etcd:etcd where etcd runs as its own user; kubeadm runs it as root, so root:root is accepted.
	nodeinfo.ClassEtcdData:       {0o700, []string{"etcd:etcd", "root:root"}, "1.1.11", "1.1.12"},
	nodeinfo.ClassPKIDir:         {0, rootOnly, "", "1.1.19"},
	nodeinfo.ClassCert:           {0o600, rootOnly, "1.1.20", "1.1.19"},
	nodeinfo.ClassKey:            {0o600, rootOnly, "1.1.21", "1.1.19"},
	nodeinfo.ClassEncryption:     {0o600, rootOnly, "", ""},
	nodeinfo.ClassKubeletService: {0o600, rootOnly, "4.1.1", "4.1.2"},
	nodeinfo.ClassKubeletConfig:  {0o600, rootOnly, "4.1.9", "4.1.10"},
	nodeinfo.ClassClientCA:       {0o600, rootOnly, "4.1.7", "4.1.8"},
}

// kubeconfigCIS are the recommendations for kubeconfig files, by role.
func kubeconfigCIS(f *nodeinfo.File) (mode, owner string) {
	switch {
	case strings.HasPrefix(f.Role, "cluster admin"):
		return "1.1.13", "1.1.14"
	case strings.HasPrefix(f.Role, nodeinfo.Scheduler):
		return "1.1.15", "1.1.16"
	case strings.HasPrefix(f.Role, nodeinfo.ControllerManager):
		return "1.1.17", "1.1.18"
	case strings.HasPrefix(f.Role, nodeinfo.Proxy):
		return "4.1.3", "4.1.4"
	default:
		return "4.1.5", "4.1.6"
	}
}

// ruleFor returns the rule for a file on a platform. The CIS EKS and GKE benchmarks (3.1.x) accept
// 644 for the kubelet's kubeconfig and config file, which their node images write so.
func ruleFor(f *nodeinfo.File, platform string) (fileRule, string) {
	r, ok := fileRules[f.Class]
	if f.Class == nodeinfo.ClassKubeconfig || !ok {
		m, ow := kubeconfigCIS(f)
		r = fileRule{0o600, rootOnly, m, ow}
	}
	bench := "CIS Kubernetes Benchmark"
	if (platform == "eks" || platform == "gke") && f.Plane == nodeinfo.PlaneWorker &&
		(f.Class == nodeinfo.ClassKubeconfig || f.Class == nodeinfo.ClassKubeletConfig) {
		r.maxMode = 0o644
		bench = "CIS " + strings.ToUpper(platform) + " Benchmark"
		r.cisMode, r.cisOwner = "", ""
	}
	return r, bench
}

// file judges a file's mode and owner.
func file(o *inventory.Object, f *nodeinfo.File, platform string, rec analyzer.Recorder) {
	permCtl, ownCtl := CtlNodeFilePermissions, CtlNodeFileOwnership
	if f.Plane == nodeinfo.PlaneControl {
		permCtl, ownCtl = CtlCPFilePermissions, CtlCPFileOwnership
	}
	r, bench := ruleFor(f, platform)
	cite := func(id string) string {
		if id == "" {
			return bench
		}
		return "CIS " + id
	}
	if r.maxMode != 0 {
		rec.Evaluated(permCtl, o)
		if f.Mode&^r.maxMode != 0 {
			rec.Fail(finding.New(permCtl, o, nil, fmt.Sprintf("%s %s has mode %04o; want %04o or stricter (%s)", f.Role, f.Path, f.Mode, r.maxMode, cite(r.cisMode))))
		}
	}
	owner := ownerText(f)
	rec.Evaluated(ownCtl, o)
	for _, want := range r.owners {
		if owner == want || (want == "root:root" && f.UID == 0 && f.GID == 0) {
			return
		}
	}
	rec.Fail(finding.New(ownCtl, o, nil, fmt.Sprintf("%s %s is owned by %s; want %s (%s)", f.Role, f.Path, owner, strings.Join(r.owners, " or "), cite(r.cisOwner))))
}

// ownerText renders a file's owner as user:group, with numeric IDs where no name is known.
func ownerText(f *nodeinfo.File) string {
	u, g := f.User, f.Group
	if u == "" {
		u = fmt.Sprint(f.UID)
		if f.UID == 0 {
			u = "root"
		}
	}
	if g == "" {
		g = fmt.Sprint(f.GID)
		if f.GID == 0 {
			g = "root"
		}
	}
	return u + ":" + g
}
