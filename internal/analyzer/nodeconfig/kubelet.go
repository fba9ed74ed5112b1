package nodeconfig

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
)

// setting is a kubelet setting: its flag, its field in the KubeletConfiguration file, and the
// default of each. The two defaults differ for the security-relevant settings: the config file's
// (kubelet.config.k8s.io/v1beta1) are safe, the flags' are not. Which applies depends on whether
// the kubelet runs with --config.
type setting struct {
	flag      string
	field     []string
	flagDef   string
	configDef string
}

var (
	sAnonymous = setting{"anonymous-auth", []string{"authentication", "anonymous", "enabled"}, "true", "false"}
	sAuthz     = setting{"authorization-mode", []string{"authorization", "mode"}, "AlwaysAllow", "Webhook"}
	sClientCA  = setting{"client-ca-file", []string{"authentication", "x509", "clientCAFile"}, "", ""}
	sReadOnly  = setting{"read-only-port", []string{"readOnlyPort"}, "10255", "0"}
	sStreaming = setting{"streaming-connection-idle-timeout", []string{"streamingConnectionIdleTimeout"}, "4h0m0s", "4h0m0s"}
	sIPTables  = setting{"make-iptables-util-chains", []string{"makeIPTablesUtilChains"}, "true", "true"}
	sRotate    = setting{"rotate-certificates", []string{"rotateCertificates"}, "false", "false"}
	sKernel    = setting{"protect-kernel-defaults", []string{"protectKernelDefaults"}, "false", "false"}
	sProxyBind = setting{"metrics-bind-address", []string{"metricsBindAddress"}, "127.0.0.1:10249", "127.0.0.1:10249"}
)

// value is a resolved setting.
type value struct {
	v    string
	set  bool // given explicitly (flag or file), not a default
	path inventory.FieldPath
	loc  inventory.Location
	from string // "flag", "config" or "default"
}

// resolve finds a setting's effective value: the flag, else the last config file that sets it,
// else the default that applies.
func (k *judge) resolve(s setting) value {
	if v, a, ok := k.c.Flag(s.flag); ok {
		return value{v: v, set: true, path: inventory.FieldPath{"--" + s.flag}, loc: a.Location, from: "flag"}
	}
	if v, d, ok := k.c.Config(s.field...); ok {
		return value{v: v, set: true, path: inventory.FieldPath(s.field), loc: d.Location(s.field...), from: "config"}
	}
	if _, _, withConfig := k.c.Flag("config"); withConfig || len(k.c.Configs) > 0 {
		loc := inventory.Location{}
		if len(k.c.Configs) > 0 {
			loc = inventory.Location{File: k.c.Configs[0].Path}
		}
		return value{v: s.configDef, path: inventory.FieldPath(s.field), loc: loc, from: "default"}
	}
	return value{v: s.flagDef, path: inventory.FieldPath{"--" + s.flag}, from: "default"}
}

// describe names a resolved setting for messages.
func (v value) describe(s setting) string {
	switch v.from {
	case "flag":
		return fmt.Sprintf("--%s=%s", s.flag, v.v)
	case "config":
		return fmt.Sprintf("%s: %s", strings.Join(s.field, "."), v.v)
	}
	if v.v == "" {
		return fmt.Sprintf("--%s (%s) not set", s.flag, strings.Join(s.field, "."))
	}
	return fmt.Sprintf("--%s (%s) not set, default %s", s.flag, strings.Join(s.field, "."), v.v)
}

func (k *judge) judgeSetting(ctl string, s setting, ok func(string) bool, why string) {
	v := k.resolve(s)
	if ok(v.v) {
		k.pass(ctl)
		return
	}
	k.fail(ctl, v.path, v.loc, "%s: %s", v.describe(s), why)
}

func isTrue(v string) bool  { b, err := strconv.ParseBool(v); return err == nil && b }
func isFalse(v string) bool { b, err := strconv.ParseBool(v); return err == nil && !b }

// kubelet judges the kubelet (CIS 4.2).
func kubelet(k *judge) {
	k.judgeSetting(CtlKubeletAnonymous, sAnonymous, isFalse, "requests without credentials to the kubelet API (port 10250: exec, logs, pods) are served as system:anonymous")
	k.judgeSetting(CtlKubeletAuthzMode, sAuthz, func(v string) bool {
		for _, m := range strings.Split(v, ",") {
			if strings.TrimSpace(m) == "AlwaysAllow" {
				return false
			}
		}
		return v != ""
	}, "every request the kubelet authenticates is allowed, including exec into any pod on the node")
	k.judgeSetting(CtlKubeletClientCA, sClientCA, func(v string) bool { return v != "" }, "the kubelet cannot authenticate clients by certificate, so the API server's client certificate is not verified")
	k.judgeSetting(CtlKubeletReadOnlyPort, sReadOnly, func(v string) bool { return v == "0" }, "the read-only port serves pod specs and node metrics with no authentication")
	// In the config file a zero duration is defaulted to 4h (kubeadm writes 0s on every node);
	// only the flag set to 0 disables the timeout.
	if v := k.resolve(sStreaming); v.from == "config" {
		if d, err := duration(v.v); err == nil && d >= 0 {
			k.pass(CtlKubeletStreamingIdl)
		} else {
			k.fail(CtlKubeletStreamingIdl, v.path, v.loc, "%s is not a valid duration", v.describe(sStreaming))
		}
	} else {
		k.judgeSetting(CtlKubeletStreamingIdl, sStreaming, func(v string) bool {
			d, err := duration(v)
			return err == nil && d > 0
		}, "streaming connections (exec, attach, port-forward) never time out when idle")
	}
	k.judgeSetting(CtlKubeletIPTables, sIPTables, isTrue, "the kubelet does not manage the iptables chains that drop martian and masqueraded traffic")
	rotation(k)
	k.judgeSetting(CtlKubeletKernelDefs, sKernel, isTrue, "the kubelet silently tunes kernel parameters its pods ask for instead of failing when they differ from its defaults")
}

// rotation judges certificate rotation (CIS 4.2.10, 4.2.11): client certificates rotated, and the
// RotateKubeletServerCertificate gate (default on) not switched off.
func rotation(k *judge) {
	v := k.resolve(sRotate)
	if !isTrue(v.v) {
		k.fail(CtlKubeletCertRotation, v.path, v.loc, "%s: the kubelet's client certificate is not renewed before it expires", v.describe(sRotate))
		return
	}
	if g, ok := featureGates(k.c)["RotateKubeletServerCertificate"]; ok && strings.EqualFold(g, "false") {
		_, path, loc, _ := k.flag("feature-gates")
		k.fail(CtlKubeletCertRotation, path, loc, "--feature-gates RotateKubeletServerCertificate=false: the kubelet's serving certificate is not rotated")
		return
	}
	if g, d, ok := k.c.Config("featureGates", "RotateKubeletServerCertificate"); ok && isFalse(g) {
		k.fail(CtlKubeletCertRotation, inventory.FieldPath{"featureGates", "RotateKubeletServerCertificate"}, d.Location("featureGates", "RotateKubeletServerCertificate"),
			"featureGates.RotateKubeletServerCertificate: false: the kubelet's serving certificate is not rotated")
		return
	}
	k.pass(CtlKubeletCertRotation)
}

// proxy judges kube-proxy (CIS 4.3.1): metrics bound to loopback.
func proxy(k *judge) {
	k.judgeSetting(CtlProxyMetricsBind, sProxyBind, func(v string) bool {
		host := v
		if i := strings.LastIndex(v, ":"); i >= 0 {
			host = v[:i]
		}
		host = strings.Trim(host, "[]")
		return host == "127.0.0.1" || host == "::1" || host == "localhost"
	}, "kube-proxy serves its metrics on other interfaces than loopback")
}
