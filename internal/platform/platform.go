// Package platform knows the Kubernetes platforms kube4c tells apart and who is responsible for
// what on each: on managed services (EKS, GKE, AKS) the provider runs the control plane, so its
// controls are the provider's, not failures of the user's.
package platform

import (
	"fmt"
	"strings"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/hostfs"
)

// Platform is where a node's Kubernetes comes from.
type Platform string

// Platforms.
const (
	SelfManaged Platform = "self-managed" // kubeadm or any cluster whose control plane the user runs
	EKS         Platform = "eks"
	GKE         Platform = "gke"
	AKS         Platform = "aks"
	K3s         Platform = "k3s"
)

// All lists the platforms.
var All = []Platform{SelfManaged, EKS, GKE, AKS, K3s}

// Parse accepts a platform name (case-insensitive).
func Parse(s string) (Platform, error) {
	for _, p := range All {
		if strings.EqualFold(s, string(p)) {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown platform %q (want self-managed, eks, gke, aks or k3s)", s)
}

// Managed reports whether a cloud provider runs the control plane.
func (p Platform) Managed() bool { return p == EKS || p == GKE || p == AKS }

// Owners of controls.
const (
	Customer = "customer"
	Provider = "provider"
)

// Owner says who is responsible for a control on the platform: the provider owns the control
// plane of managed services (CIS Kubernetes Benchmark sections 1-3: the API server, controller
// manager, scheduler, etcd and their files), which the CIS EKS, GKE and AKS benchmarks leave out;
// everything else is the customer's.
func Owner(p Platform, c catalog.Control) string {
	if p.Managed() && c.Scope == catalog.ScopeControlPlane {
		return Provider
	}
	return Customer
}

// Evidence is a file whose existence identifies a platform.
type evidence struct {
	platform Platform
	path     string
}

// signs are checked in order; the first file that exists decides. rke2 also keeps its files
// under /var/lib/rancher, so only k3s's own directory counts.
var signs = []evidence{
	{K3s, "/var/lib/rancher/k3s"},
	{K3s, "/etc/rancher/k3s/config.yaml"},
	{EKS, "/etc/eks"},
	{GKE, "/home/kubernetes/kube-env"},
	{GKE, "/home/kubernetes/kubelet-config.yaml"},
	{AKS, "/etc/kubernetes/azure.json"},
	{AKS, "/etc/default/kubeletconfig.json"},
}

// Detect guesses the platform of a node from files only the platform's node images have. It
// returns SelfManaged, with no evidence, when none is found.
func Detect(fsys hostfs.FS) (Platform, string) {
	for _, s := range signs {
		if _, err := fsys.Stat(s.path); err == nil {
			return s.platform, s.path + " exists"
		}
	}
	return SelfManaged, ""
}
