// Package nodeconfig judges the Kubernetes components and files of a node against the CIS
// Kubernetes Benchmark v1.10.0: the API server, controller manager, scheduler and etcd flags
// (sections 1.2-1.4, 2, 3.2), the kubelet's flags and config file (4.2), and the modes and
// owners of the files those components use (1.1, 4.1). Each component's effective settings come
// from the node source: the last occurrence of a flag wins, a kubelet flag overrides its config
// file, and unset settings take the component's default. See docs/node.md.
package nodeconfig

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
)

// Control IDs owned by this analyzer.
const (
	CtlAPIAnonymous        = "cluster/apiserver-anonymous-auth"
	CtlAPITokenAuthFile    = "cluster/apiserver-token-auth-file"
	CtlAPIKubeletClient    = "cluster/apiserver-kubelet-client-cert"
	CtlAPIKubeletCA        = "cluster/apiserver-kubelet-certificate-authority"
	CtlAPIAuthzMode        = "cluster/apiserver-authorization-mode"
	CtlAPIAlwaysAdmit      = "cluster/apiserver-admission-always-admit"
	CtlAPIDefaultPlugins   = "cluster/apiserver-admission-defaults-disabled"
	CtlAPINodeRestriction  = "cluster/apiserver-admission-node-restriction"
	CtlProfiling           = "cluster/component-profiling"
	CtlAPIAuditLog         = "cluster/apiserver-audit-log"
	CtlAPIAuditRetention   = "cluster/apiserver-audit-log-retention"
	CtlAPIAuditPolicy      = "cluster/apiserver-audit-policy"
	CtlAPIRequestTimeout   = "cluster/apiserver-request-timeout"
	CtlAPISALookup         = "cluster/apiserver-service-account-lookup"
	CtlAPISAKeyFile        = "cluster/apiserver-service-account-key-file"
	CtlAPIEtcdTLS          = "cluster/apiserver-etcd-tls"
	CtlAPIServingTLS       = "cluster/apiserver-serving-tls"
	CtlAPIClientCA         = "cluster/apiserver-client-ca"
	CtlAPIEncryption       = "cluster/apiserver-encryption-at-rest"
	CtlAPIEncryptionWeak   = "cluster/apiserver-encryption-provider-weak"
	CtlAlphaFeatures       = "cluster/component-alpha-features"
	CtlAPIInsecureFlags    = "cluster/apiserver-insecure-flags"
	CtlKCMSACredentials    = "cluster/controller-manager-service-account-credentials"
	CtlKCMSAPrivateKey     = "cluster/controller-manager-service-account-private-key"
	CtlKCMRootCA           = "cluster/controller-manager-root-ca"
	CtlKCMServingRotation  = "cluster/controller-manager-kubelet-serving-cert-rotation"
	CtlBindAddress         = "cluster/component-bind-address"
	CtlEtcdClientTLS       = "cluster/etcd-client-tls"
	CtlEtcdClientCertAuth  = "cluster/etcd-client-cert-auth"
	CtlEtcdAutoTLS         = "cluster/etcd-auto-tls"
	CtlEtcdPeerTLS         = "cluster/etcd-peer-tls"
	CtlEtcdPeerCertAuth    = "cluster/etcd-peer-client-cert-auth"
	CtlCPFilePermissions   = "cluster/controlplane-file-permissions"
	CtlCPFileOwnership     = "cluster/controlplane-file-ownership"
	CtlKubeletAnonymous    = "cluster/kubelet-anonymous-auth"
	CtlKubeletAuthzMode    = "cluster/kubelet-authorization-mode"
	CtlKubeletClientCA     = "cluster/kubelet-client-ca"
	CtlKubeletReadOnlyPort = "cluster/kubelet-read-only-port"
	CtlKubeletStreamingIdl = "cluster/kubelet-streaming-idle-timeout"
	CtlKubeletIPTables     = "cluster/kubelet-iptables-util-chains"
	CtlKubeletCertRotation = "cluster/kubelet-certificate-rotation"
	CtlKubeletKernelDefs   = "cluster/kubelet-protect-kernel-defaults"
	CtlNodeFilePermissions = "cluster/node-file-permissions"
	CtlNodeFileOwnership   = "cluster/node-file-ownership"
	CtlProxyMetricsBind    = "cluster/kube-proxy-metrics-bind-address"
)

// Analyzer judges node components and files.
type Analyzer struct{}

// New returns the node configuration analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "node" }

// Controls implements analyzer.Analyzer.
func (*Analyzer) Controls() []string {
	return []string{CtlAPIAnonymous, CtlAPITokenAuthFile, CtlAPIKubeletClient, CtlAPIKubeletCA, CtlAPIAuthzMode,
		CtlAPIAlwaysAdmit, CtlAPIDefaultPlugins, CtlAPINodeRestriction, CtlProfiling, CtlAPIAuditLog,
		CtlAPIAuditRetention, CtlAPIAuditPolicy, CtlAPIRequestTimeout, CtlAPISALookup, CtlAPISAKeyFile,
		CtlAPIEtcdTLS, CtlAPIServingTLS, CtlAPIClientCA, CtlAPIEncryption, CtlAPIEncryptionWeak, CtlAlphaFeatures,
		CtlAPIInsecureFlags, CtlKCMSACredentials, CtlKCMSAPrivateKey, CtlKCMRootCA, CtlKCMServingRotation,
		CtlBindAddress, CtlEtcdClientTLS, CtlEtcdClientCertAuth, CtlEtcdAutoTLS, CtlEtcdPeerTLS, CtlEtcdPeerCertAuth,
		CtlCPFilePermissions, CtlCPFileOwnership, CtlKubeletAnonymous, CtlKubeletAuthzMode, CtlKubeletClientCA,
		CtlKubeletReadOnlyPort, CtlKubeletStreamingIdl, CtlKubeletIPTables, CtlKubeletCertRotation,
		CtlKubeletKernelDefs, CtlNodeFilePermissions, CtlNodeFileOwnership, CtlProxyMetricsBind}
}

// Analyze implements analyzer.Analyzer.
func (*Analyzer) Analyze(ctx context.Context, inv *inventory.Inventory, _ *analyzer.Config, rec analyzer.Recorder) error {
	platform := ""
	if n := inv.Node(); n != nil {
		platform = n.Platform
	}
	for _, o := range inv.OfKind("node.kube4c.io", nodeinfo.KindComponent) {
		c, ok := o.Object.(*nodeinfo.Component)
		if !ok {
			continue
		}
		k := &judge{o: o, c: c, rec: rec}
		switch c.Name {
		case nodeinfo.APIServer:
			apiserver(k)
		case nodeinfo.ControllerManager:
			controllerManager(k)
		case nodeinfo.Scheduler:
			k.profiling()
			k.bindAddress()
		case nodeinfo.Etcd:
			etcd(k)
		case nodeinfo.Kubelet:
			kubelet(k)
		case nodeinfo.Proxy:
			proxy(k)
		}
	}
	for _, o := range inv.OfKind("node.kube4c.io", nodeinfo.KindFile) {
		if f, ok := o.Object.(*nodeinfo.File); ok {
			file(o, f, platform, rec)
		}
	}
	return ctx.Err()
}

// judge records the results of one component.
type judge struct {
	o   *inventory.Object
	c   *nodeinfo.Component
	rec analyzer.Recorder
}

func (k *judge) pass(ctl string) { k.rec.Evaluated(ctl, k.o) }

// fail records a finding at loc (the object's own location when loc is empty).
func (k *judge) fail(ctl string, path inventory.FieldPath, loc inventory.Location, format string, args ...any) {
	f := finding.New(ctl, k.o, path, k.c.Name+": "+fmt.Sprintf(format, args...))
	if loc.File != "" {
		f.Location = loc
	}
	k.rec.Evaluated(ctl, k.o)
	k.rec.Fail(f)
}

// flag returns a flag's value and where it is set (the component's definition when unset).
func (k *judge) flag(name string) (string, inventory.FieldPath, inventory.Location, bool) {
	v, a, ok := k.c.Flag(name)
	if !ok {
		return "", inventory.FieldPath{"--" + name}, inventory.Location{}, false
	}
	return v, inventory.FieldPath{"--" + name}, a.Location, true
}

// require fails ctl unless every named flag is set to something.
func (k *judge) require(ctl string, why string, names ...string) {
	var missing []string
	for _, n := range names {
		if v, _, ok := k.c.Flag(n); !ok || v == "" {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) == 0 {
		k.pass(ctl)
		return
	}
	k.fail(ctl, inventory.FieldPath{missing[0]}, inventory.Location{}, "%s not set: %s", strings.Join(missing, " and "), why)
}

// boolFlag judges a boolean flag that must have the value want; def is its default.
func (k *judge) boolFlag(ctl, name string, want, def bool, why string) {
	v, path, loc, set := k.flag(name)
	got := def
	if set {
		b, err := strconv.ParseBool(v)
		if err != nil {
			k.fail(ctl, path, loc, "--%s=%q is not a boolean; %s", name, v, why)
			return
		}
		got = b
	}
	if got == want {
		k.pass(ctl)
		return
	}
	if set {
		k.fail(ctl, path, loc, "--%s=%s: %s", name, v, why)
	} else {
		k.fail(ctl, path, loc, "--%s is not set and defaults to %t: %s", name, def, why)
	}
}

func (k *judge) profiling() {
	k.boolFlag(CtlProfiling, "profiling", false, true, "the /debug/pprof endpoints expose profiling data (set --profiling=false)")
}

// bindAddress judges the controller manager's and scheduler's bind address (CIS 1.3.7, 1.4.2):
// unset means 0.0.0.0 for their secure port, but the CIS benchmark accepts unset, as does
// kube-bench; kube4c does not, because unset listens on every interface.
func (k *judge) bindAddress() {
	v, path, loc, set := k.flag("bind-address")
	switch {
	case set && (v == "127.0.0.1" || v == "::1" || v == "localhost"):
		k.pass(CtlBindAddress)
	case set:
		k.fail(CtlBindAddress, path, loc, "--bind-address=%s serves the health, metrics and debug endpoints on every interface it names; bind to 127.0.0.1", v)
	default:
		k.fail(CtlBindAddress, path, loc, "--bind-address is not set and defaults to 0.0.0.0 (all interfaces); set --bind-address=127.0.0.1")
	}
}

// featureGates parses --feature-gates (repeatable; "component:Gate=value" or "Gate=value").
func featureGates(c *nodeinfo.Component) map[string]string {
	out := map[string]string{}
	for _, a := range c.Args {
		if a.Name != "feature-gates" {
			continue
		}
		for _, kv := range strings.Split(a.Value, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				continue
			}
			if comp, gate, ok := strings.Cut(k, ":"); ok {
				if comp != "kube" {
					continue
				}
				k = gate
			}
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

//go:embed alphagates.txt
var alphaGatesFile string

// alphaGates are kube-apiserver's alpha feature gates (alphagates.txt).
var alphaGates = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(alphaGatesFile, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			m[l] = true
		}
	}
	return m
}()

// alphaFeatures fails when alpha features are switched on: AllAlpha=true, or a gate known to be
// alpha set to true.
func (k *judge) alphaFeatures() {
	gates := featureGates(k.c)
	var on []string
	for g, v := range gates {
		if (g == "AllAlpha" || alphaGates[g]) && strings.EqualFold(v, "true") {
			on = append(on, g)
		}
	}
	if len(on) == 0 {
		k.pass(CtlAlphaFeatures)
		return
	}
	sortStrings(on)
	_, path, loc, _ := k.flag("feature-gates")
	k.fail(CtlAlphaFeatures, path, loc, "alpha features enabled: %s", strings.Join(on, ", "))
}

// duration parses a Go duration, or an integer number of seconds (etcd, older flags).
func duration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}
