// Package host analyzes the operating system of nodes read by `kube4c node` (node.Host objects):
// the kernel branch against kernel.org's support table (kernel.go), the cgroup version, AppArmor
// and SELinux, the network protocol modules Linux benchmarks want unloadable, telnet and Docker API
// sockets, and unencrypted swap. A control whose facts could not be read (a copy of a node has no
// /proc or /sys) is not evaluated for that host: it neither passes nor fails.
package host

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Control IDs owned by this analyzer.
const (
	CtlKernelUnsupported = "cloud/host-kernel-unsupported"
	CtlCgroupV1          = "cloud/host-cgroup-v1"
	CtlNoLSM             = "cloud/host-no-lsm"
	CtlRiskyModules      = "cloud/host-risky-kernel-modules"
	CtlTelnet            = "cloud/host-telnet-listening"
	CtlDockerTCP         = "cloud/host-docker-api-no-tls"
	CtlSwapUnencrypted   = "cloud/host-swap-unencrypted"
)

// Well-known ports.
const (
	portTelnet    = 23
	portDockerAPI = 2375 // IANA "docker": the Docker API without TLS (2376 is with TLS)
)

type hostAnalyzer struct {
	now func() time.Time
}

// New returns the host analyzer.
func New() analyzer.Analyzer { return hostAnalyzer{now: time.Now} }

func (hostAnalyzer) Name() string { return "host" }

func (hostAnalyzer) Controls() []string {
	ids := []string{CtlKernelUnsupported, CtlCgroupV1, CtlNoLSM, CtlRiskyModules, CtlTelnet, CtlDockerTCP, CtlSwapUnencrypted}
	sort.Strings(ids)
	return ids
}

func (a hostAnalyzer) Analyze(ctx context.Context, inv *inventory.Inventory, _ *analyzer.Config, rec analyzer.Recorder) error {
	now := time.Now
	if a.now != nil {
		now = a.now
	}
	gv, err := schema.ParseGroupVersion(nodeinfo.APIVersion)
	if err != nil {
		return err
	}
	for _, o := range inv.OfKind(gv.Group, nodeinfo.KindHost) {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, ok := o.Object.(*nodeinfo.Host)
		if !ok || h == nil {
			continue
		}
		j := judge{o: o, h: h, rec: rec}
		j.kernel(now())
		j.cgroup()
		j.lsm()
		j.modules()
		j.telnet()
		j.docker()
		j.swap()
	}
	return nil
}

// judge judges one host.
type judge struct {
	o   *inventory.Object
	h   *nodeinfo.Host
	rec analyzer.Recorder
}

func (j judge) read(f nodeinfo.Fact) bool {
	_, unread := j.h.Unreadable(f)
	return !unread
}

func (j judge) fail(control string, p inventory.FieldPath, loc inventory.Location, msg string) {
	f := finding.New(control, j.o, p, msg)
	f.Location = loc
	j.rec.Fail(f)
}

func where(l inventory.Location) string {
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return l.File
}

// --- kernel ---

func (j judge) kernel(now time.Time) {
	k := j.h.Kernel
	if k == nil {
		return
	}
	v, err := JudgeKernel(k.Release, now)
	if err != nil {
		return // not a release kube4c can read: not judged
	}
	if !v.Unsupported {
		j.rec.Evaluated(CtlKernelUnsupported, j.o)
		return
	}
	if j.h.OS == nil || vendorKernel(j.h.OS) {
		// A distribution kernel follows its vendor's lifecycle, which kube4c does not know; without
		// os-release it cannot tell.
		return
	}
	j.rec.Evaluated(CtlKernelUnsupported, j.o)
	what := fmt.Sprintf("the node runs Linux %s", k.Release)
	if !k.Running {
		what = fmt.Sprintf("the only kernel installed on the node is Linux %s (the running kernel could not be read)", k.Release)
	}
	why := fmt.Sprintf("branch %d.%d is not a longterm branch and kernel.org stopped maintaining it when its successor was released", v.Major, v.Minor)
	if v.Longterm != nil {
		why = fmt.Sprintf("longterm branch %d.%d reached its end of life in %s", v.Major, v.Minor, v.Longterm.EndOfLife.Format("January 2006"))
	}
	os := ""
	if j.h.OS.PrettyName != "" {
		os = " on " + j.h.OS.PrettyName
	}
	j.fail(CtlKernelUnsupported, inventory.Path("kernel", "release"), k.Source, fmt.Sprintf(
		"%s%s: %s, so it gets no security fixes; move to a kernel of a maintained longterm branch (kube4c's table of %s, %s)",
		what, os, why, KernelTableSource, KernelTableUpdated))
}

// --- cgroups ---

func (j judge) cgroup() {
	c := j.h.Cgroup
	if c == nil {
		return
	}
	j.rec.Evaluated(CtlCgroupV1, j.o)
	if c.Version != 1 {
		return
	}
	layout := "cgroup v1 hierarchies are mounted under /sys/fs/cgroup"
	if c.Hybrid {
		layout = "cgroup v1 controllers are mounted under /sys/fs/cgroup (hybrid layout: the unified hierarchy only for systemd)"
	}
	j.fail(CtlCgroupV1, inventory.Path("cgroup", "version"), c.Source, layout+
		"; Kubernetes 1.35+ kubelets refuse to start on it unless failCgroupV1 is false; boot with the unified hierarchy (systemd.unified_cgroup_hierarchy=1, or a distribution that defaults to cgroup v2)")
}

// --- AppArmor and SELinux ---

func (j judge) lsm() {
	aa, se := j.h.LSM.AppArmor, j.h.LSM.SELinux
	if aa != nil && aa.Enabled {
		j.rec.Evaluated(CtlNoLSM, j.o)
		return
	}
	if se != nil && (se.Mode == nodeinfo.SELinuxEnforcing || se.Mode == "" && se.Config == nodeinfo.SELinuxEnforcing) {
		j.rec.Evaluated(CtlNoLSM, j.o)
		return
	}
	// Failing needs both known: AppArmor off, and SELinux not enforcing.
	if aa == nil || se == nil {
		return
	}
	mode, loc := se.Mode, se.Source
	if mode == "" {
		mode, loc = se.Config, se.ConfigSource
	}
	if mode == "" {
		return
	}
	j.rec.Evaluated(CtlNoLSM, j.o)
	seText := "SELinux is " + mode
	if se.Mode != "" && se.Config != "" && se.Config != se.Mode {
		seText += fmt.Sprintf(" (%s sets %s for the next boot)", where(se.ConfigSource), se.Config)
	}
	if se.Mode == "" {
		seText = fmt.Sprintf("SELINUX=%s in %s", mode, where(loc))
	}
	// Point at the file to change: the SELinux configuration when there is one.
	if se.ConfigSource.File != "" {
		loc = se.ConfigSource
	}
	j.fail(CtlNoLSM, inventory.Path("lsm"), loc, fmt.Sprintf(
		"no mandatory access control confines the node's containers: AppArmor is not enabled (%s) and %s; enable AppArmor, or set SELinux to enforcing",
		where(aa.Source), seText))
}

// --- kernel modules ---

// disablingRule returns the rule that keeps a module from loading on demand, if any.
func disablingRule(rules []nodeinfo.ModuleRule, module string) *nodeinfo.ModuleRule {
	for i := range rules {
		r := &rules[i]
		if r.Module != module {
			continue
		}
		switch r.Directive {
		case nodeinfo.DirectiveBlacklist, nodeinfo.DirectiveKernelBlacklist, nodeinfo.DirectiveModprobeBlacklist:
			return r
		case nodeinfo.DirectiveInstall:
			if f := strings.Fields(r.Command); len(f) > 0 && (path.Base(f[0]) == "false" || path.Base(f[0]) == "true") {
				return r
			}
		}
	}
	return nil
}

func (j judge) modules() {
	m := &j.h.Modules
	loadedKnown := j.read(nodeinfo.FactModulesLoaded)
	availKnown := j.read(nodeinfo.FactModulesAvailable) && m.Available != nil
	configKnown := j.read(nodeinfo.FactModprobe)

	type failure struct {
		module string
		loc    inventory.Location
		msg    string
	}
	var fails []failure
	undecided := false
	for _, mod := range nodeinfo.TrackedModules {
		if loadedKnown {
			i := slices.IndexFunc(m.Loaded, func(l nodeinfo.LoadedModule) bool { return l.Name == mod })
			if i >= 0 {
				l := m.Loaded[i]
				fails = append(fails, failure{mod, l.Location, fmt.Sprintf(
					"the %s kernel module is loaded (%s); add `install %s /bin/false` and `blacklist %s` to /etc/modprobe.d and unload it (modprobe -r %s)",
					mod, where(l.Location), mod, mod, mod)})
				continue
			}
		}
		av, hasAv := m.Available[mod]
		if hasAv && av.Status == nodeinfo.ModuleBuiltin {
			fails = append(fails, failure{mod, av.Location, fmt.Sprintf(
				"the %s protocol is built into the kernel (%s): modprobe rules cannot disable it; use a kernel that builds it as a module, or none", mod, where(av.Location))})
			continue
		}
		if disablingRule(m.Rules, mod) != nil {
			continue // without /proc, the configuration is judged: the rule applies from the next boot
		}
		switch {
		case availKnown && hasAv && av.Status == nodeinfo.ModuleAbsent:
			continue
		case !m.Loadable:
			// No loadable module support: the protocol is built in (reported above) or absent.
			undecided = undecided || !availKnown
		case availKnown && hasAv && av.Status == nodeinfo.ModuleFile && configKnown:
			fails = append(fails, failure{mod, av.Location, fmt.Sprintf(
				"the %s kernel module ships with the kernel (%s) and no modprobe rule disables it: any process can have it loaded by opening a socket; add `install %s /bin/false` and `blacklist %s` to /etc/modprobe.d",
				mod, where(av.Location), mod, mod)})
		default:
			undecided = true
		}
	}
	if len(fails) == 0 && undecided {
		return
	}
	j.rec.Evaluated(CtlRiskyModules, j.o)
	for _, f := range fails {
		j.fail(CtlRiskyModules, inventory.Path("modules", f.module), f.loc, f.msg)
	}
}

// --- listening services ---

func (j judge) telnet() {
	if !j.read(nodeinfo.FactListening) {
		return
	}
	j.rec.Evaluated(CtlTelnet, j.o)
	for _, s := range j.h.Listening {
		if s.Port != portTelnet {
			continue
		}
		j.fail(CtlTelnet, inventory.Path("listening", socketKey(s)), inventory.Location{File: s.Source.File}, fmt.Sprintf(
			"a TCP socket listens on %s (uid %d), telnet's port: telnet sends logins and sessions in clear text; remove the telnet server and use SSH",
			hostPort(s), s.UID))
	}
}

func socketKey(s nodeinfo.ListeningSocket) string { return s.Family + ":" + hostPort(s) }

func hostPort(s nodeinfo.ListeningSocket) string {
	if strings.Contains(s.Address, ":") {
		return fmt.Sprintf("[%s]:%d", s.Address, s.Port)
	}
	return fmt.Sprintf("%s:%d", s.Address, s.Port)
}

// tcpPort returns the port of a tcp:// Docker host, with dockerd's default when none is given.
func tcpPort(u *url.URL, tls bool) string {
	if p := u.Port(); p != "" {
		return p
	}
	if tls {
		return "2376"
	}
	return "2375"
}

func (j judge) docker() {
	d := j.h.Docker
	listening := j.read(nodeinfo.FactListening)
	if d == nil && !listening {
		return
	}
	j.rec.Evaluated(CtlDockerTCP, j.o)
	tlsPorts := map[string]bool{} // ports daemon.json serves with TLS client verification
	reported := map[string]bool{} // ports already reported from daemon.json
	if d != nil {
		for _, h := range d.Hosts {
			u, err := url.Parse(h.URL)
			if err != nil || u.Scheme != "tcp" {
				continue
			}
			port := tcpPort(u, d.TLSVerify)
			if d.TLSVerify {
				tlsPorts[port] = true
				continue
			}
			reported[port] = true
			loc := h.Location
			if loc.File == "" {
				loc = d.Source
			}
			j.fail(CtlDockerTCP, inventory.Path("docker", "hosts", h.URL), loc, fmt.Sprintf(
				"dockerd listens on %s without \"tlsverify\": true (%s): anyone who reaches the port controls Docker and the node; remove the tcp:// host or require TLS client certificates",
				h.URL, where(loc)))
		}
	}
	for _, s := range j.h.Listening {
		port := fmt.Sprint(s.Port)
		if s.Port != portDockerAPI || tlsPorts[port] || reported[port] {
			continue
		}
		reported[port] = true // one finding for the IPv4 and IPv6 sockets of the same daemon
		j.fail(CtlDockerTCP, inventory.Path("listening", socketKey(s)), inventory.Location{File: s.Source.File}, fmt.Sprintf(
			"a TCP socket listens on %s (uid %d), the Docker API's port without TLS: if it is dockerd, anyone who reaches it controls Docker and the node; serve the API on the Unix socket only, or with TLS client certificates",
			hostPort(s), s.UID))
	}
}

// --- swap ---

func (j judge) swap() {
	sw := &j.h.Swap
	var areas []nodeinfo.SwapArea
	active := j.read(nodeinfo.FactSwap)
	switch {
	case active:
		areas = sw.Active
	case j.read(nodeinfo.FactFstab):
		for _, a := range sw.Configured {
			if !a.NoAuto {
				areas = append(areas, a)
			}
		}
	default:
		return
	}
	var bad []int
	undecided := false
	for i, a := range areas {
		switch a.Backing {
		case nodeinfo.SwapZram, nodeinfo.SwapDMCrypt:
		case nodeinfo.SwapDisk, nodeinfo.SwapFile:
			bad = append(bad, i)
		default:
			undecided = true
		}
	}
	if len(bad) == 0 && undecided {
		return
	}
	j.rec.Evaluated(CtlSwapUnencrypted, j.o)
	for _, i := range bad {
		a := areas[i]
		loc := a.Source
		if active {
			loc = j.fstabEntry(a)
		}
		what := "a disk device without dm-crypt"
		if a.Backing == nodeinfo.SwapFile {
			what = "a file (kube4c does not follow the filesystem that holds it)"
		}
		state := "is in use"
		if !active {
			state = "is enabled at boot"
		}
		j.fail(CtlSwapUnencrypted, inventory.Path("swap", a.Device), loc, fmt.Sprintf(
			"swap on %s %s (%s), on %s: memory, including secrets, is written to it in clear; turn swap off, or put it on zram or dm-crypt",
			a.Device, state, where(a.Source), what))
	}
}

// fstabEntry is the fstab line that enables an active swap area, when it can be told (the same
// device, or the only swap entry for the only area in use); else the area's /proc/swaps line.
func (j judge) fstabEntry(a nodeinfo.SwapArea) inventory.Location {
	var enabled []nodeinfo.SwapArea
	for _, c := range j.h.Swap.Configured {
		if c.Device == a.Device {
			return c.Source
		}
		if !c.NoAuto {
			enabled = append(enabled, c)
		}
	}
	if len(enabled) == 1 && len(j.h.Swap.Active) == 1 {
		return enabled[0].Source
	}
	return a.Source
}
