package nodeconfig_test

import (
	"slices"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/analyzer/nodeconfig"
	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
)

// component builds a component from a command line and optional config documents.
func component(name string, args []string, configs ...string) *inventory.Object {
	c := &nodeinfo.Component{Name: name, Found: nodeinfo.FoundProcess, PID: 1}
	for _, a := range args {
		arg := nodeinfo.Arg{Name: a}
		if k, v, ok := cut(a); ok {
			arg = nodeinfo.Arg{Name: k, Value: v, HasValue: true}
		}
		c.Args = append(c.Args, arg)
	}
	for i, d := range configs {
		c.Configs = append(c.Configs, nodeinfo.ParseDocument("/cfg"+string(rune('0'+i))+".yaml", []byte(d)))
	}
	return &inventory.Object{APIVersion: nodeinfo.APIVersion, Kind: nodeinfo.KindComponent, Name: name, Object: c,
		Source: inventory.Source{Origin: inventory.FromNode, File: "/proc/1/cmdline"}}
}

func cut(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '=' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}

func failed(t *testing.T, o *inventory.Object, ctl string) bool {
	t.Helper()
	inv := inventory.New()
	inv.Add(o)
	rec := analyzertest.Run(t, nodeconfig.New(), inv, analyzer.DefaultConfig())
	if !slices.ContainsFunc(rec.Evaluations, func(e analyzertest.Evaluation) bool { return e.Control == ctl }) {
		t.Fatalf("%s not evaluated", ctl)
	}
	return len(rec.FailedOf(ctl)) > 0
}

// TestKubeletDefaults: unset settings take the config file's safe defaults when the kubelet runs
// with --config, and the flags' unsafe defaults when it does not; a flag overrides the file, and a
// later drop-in overrides an earlier file.
func TestKubeletDefaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		configs []string
		ctl     string
		fail    bool
	}{
		{"no config: anonymous by default", nil, nil, nodeconfig.CtlKubeletAnonymous, true},
		{"no config: AlwaysAllow by default", nil, nil, nodeconfig.CtlKubeletAuthzMode, true},
		{"no config: read-only port 10255", nil, nil, nodeconfig.CtlKubeletReadOnlyPort, true},
		{"config file: anonymous off by default", []string{"config=/cfg0.yaml"}, []string{"kind: KubeletConfiguration\n"}, nodeconfig.CtlKubeletAnonymous, false},
		{"config file: Webhook by default", []string{"config=/cfg0.yaml"}, []string{"kind: KubeletConfiguration\n"}, nodeconfig.CtlKubeletAuthzMode, false},
		{"config file: read-only port 0 by default", []string{"config=/cfg0.yaml"}, []string{"kind: KubeletConfiguration\n"}, nodeconfig.CtlKubeletReadOnlyPort, false},
		{"flag overrides the file", []string{"config=/cfg0.yaml", "anonymous-auth=true"}, []string{"authentication:\n  anonymous:\n    enabled: false\n"}, nodeconfig.CtlKubeletAnonymous, true},
		{"drop-in overrides the file", []string{"config=/cfg0.yaml"}, []string{"readOnlyPort: 0\n", "readOnlyPort: 10255\n"}, nodeconfig.CtlKubeletReadOnlyPort, true},
		{"last flag wins", []string{"read-only-port=10255", "read-only-port=0"}, nil, nodeconfig.CtlKubeletReadOnlyPort, false},
		{"zero idle timeout flag", []string{"streaming-connection-idle-timeout=0"}, nil, nodeconfig.CtlKubeletStreamingIdl, true},
		{"zero idle timeout in the file is the 4h default", []string{"config=/cfg0.yaml"}, []string{"streamingConnectionIdleTimeout: 0s\n"}, nodeconfig.CtlKubeletStreamingIdl, false},
		{"serving rotation gate off in the file", []string{"config=/cfg0.yaml"}, []string{"rotateCertificates: true\nfeatureGates:\n  RotateKubeletServerCertificate: false\n"}, nodeconfig.CtlKubeletCertRotation, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := failed(t, component("kubelet", tc.args, tc.configs...), tc.ctl); got != tc.fail {
				t.Errorf("%s failed = %v, want %v", tc.ctl, got, tc.fail)
			}
		})
	}
}

// TestAPIServerFlags covers the flag logic the trees do not both show.
func TestAPIServerFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		ctl  string
		fail bool
	}{
		{"no audit log", nil, nodeconfig.CtlAPIAuditLog, true},
		{"audit log without policy", []string{"audit-log-path=/var/log/a.log"}, nodeconfig.CtlAPIAuditLog, true},
		{"audit webhook with policy", []string{"audit-webhook-config-file=/w", "audit-policy-file=/p"}, nodeconfig.CtlAPIAuditLog, false},
		{"authorization mode defaults to AlwaysAllow", nil, nodeconfig.CtlAPIAuthzMode, true},
		{"Node and RBAC", []string{"authorization-mode=Node,RBAC"}, nodeconfig.CtlAPIAuthzMode, false},
		{"RBAC only", []string{"authorization-mode=RBAC"}, nodeconfig.CtlAPIAuthzMode, true},
		{"feature gate with component prefix", []string{"feature-gates=kube:AllAlpha=true"}, nodeconfig.CtlAlphaFeatures, true},
		{"beta gate is fine", []string{"feature-gates=SomeBetaGate=true"}, nodeconfig.CtlAlphaFeatures, false},
		{"profiling alone means true", []string{"profiling"}, nodeconfig.CtlProfiling, true},
		{"insecure port 0 is fine", []string{"insecure-port=0"}, nodeconfig.CtlAPIInsecureFlags, false},
		{"plain http etcd", []string{"etcd-servers=http://127.0.0.1:2379", "etcd-certfile=a", "etcd-keyfile=b", "etcd-cafile=c"}, nodeconfig.CtlAPIEtcdTLS, true},
		{"request timeout 5m", []string{"request-timeout=5m"}, nodeconfig.CtlAPIRequestTimeout, false},
		{"request timeout 301s", []string{"request-timeout=301s"}, nodeconfig.CtlAPIRequestTimeout, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := failed(t, component("kube-apiserver", tc.args), tc.ctl); got != tc.fail {
				t.Errorf("%s failed = %v, want %v", tc.ctl, got, tc.fail)
			}
		})
	}
}
