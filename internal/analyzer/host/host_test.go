package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/hostfs"
	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
	nodesource "github.com/kube4c/kube4c/internal/source/node"
)

var testNow = time.Date(2026, time.November, 15, 12, 0, 0, 0, time.UTC)

var eq = analyzertest.Eq

var allControls = []string{CtlKernelUnsupported, CtlCgroupV1, CtlNoLSM, CtlRiskyModules, CtlTelnet, CtlDockerTCP, CtlSwapUnencrypted}

func hostObject(h *nodeinfo.Host) *inventory.Object {
	return &inventory.Object{APIVersion: nodeinfo.APIVersion, Kind: nodeinfo.KindHost, Name: h.Hostname, Object: h,
		Source: inventory.Source{Origin: inventory.FromNode, File: "/etc/hostname"}}
}

func run(t *testing.T, now time.Time, hosts ...*nodeinfo.Host) *analyzertest.Recorder {
	t.Helper()
	var objs []*inventory.Object
	for _, h := range hosts {
		objs = append(objs, hostObject(h))
	}
	r := analyzertest.Run(t, hostAnalyzer{now: func() time.Time { return now }}, analyzertest.Inventory("node", objs...), nil)
	for _, f := range r.Findings {
		if f.Location.File == "" {
			t.Errorf("finding %s %s without a location", f.ControlID, f.Path)
		}
	}
	return r
}

// readTree writes a node tree (node path → content; a trailing / makes a directory) and reads it
// as `kube4c node --root` would.
func readTree(t *testing.T, tree map[string]string) *nodeinfo.Host {
	t.Helper()
	root := t.TempDir()
	for p, content := range tree {
		hp := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(p, "/")))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(hp, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(hp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, probs := nodesource.ReadHost(hostfs.Dir(root))
	for _, p := range probs {
		t.Errorf("problem reading the tree: %s", p)
	}
	return h
}

const tcpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

func tcpLine(n int, hexAddr string, state string, inode int) string {
	return "   " + string(rune('0'+n)) + ": " + hexAddr + " 00000000:0000 " + state +
		" 00000000:00000000 00:00000000 00000000     0        0 " + itoa(inode) + " 1 0000000000000000 100 0 0 10 0\n"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

// weakTree fails every host control.
var weakTree = map[string]string{
	"/proc/sys/kernel/osrelease": "5.4.0-200-amd64\n",
	"/proc/sys/kernel/hostname":  "weak\n",
	"/etc/hostname":              "weak\n",
	"/etc/os-release":            "ID=debian\nVERSION_ID=\"11\"\nPRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\n",
	"/proc/modules":              "sctp 409600 4 - Live 0x0000000000000000\n",
	"/proc/net/tcp": tcpHeader + tcpLine(0, "00000000:0017", "0A", 100) + tcpLine(1, "00000000:0947", "0A", 101) +
		tcpLine(2, "0100007F:0947", "01", 102),
	"/proc/net/tcp6": tcpHeader + tcpLine(0, "00000000000000000000000000000000:0947", "0A", 103),
	"/proc/swaps": "Filename Type Size Used Priority\n/swapfile file 2097148 0 -2\n/dev/sda2 partition 1048572 0 -3\n" +
		"/dev/zram0 partition 4194300 0 100\n",
	"/etc/fstab":                "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n/dev/sda2 none swap sw 0 0\n",
	"/etc/selinux/config":       "SELINUX=permissive\n",
	"/etc/docker/daemon.json":   "{\n  \"hosts\": [\"unix:///var/run/docker.sock\", \"tcp://0.0.0.0:2375\"]\n}\n",
	"/etc/modprobe.d/dccp.conf": "blacklist dccp\n",
	"/lib/modules/5.4.0-200-amd64/modules.dep": "kernel/net/dccp/dccp.ko: \nkernel/net/sctp/sctp.ko: kernel/lib/libcrc32c.ko\n" +
		"kernel/net/rds/rds.ko:\n",
	"/lib/modules/5.4.0-200-amd64/modules.builtin": "kernel/net/tipc/tipc.ko\n",
	"/sys/fs/cgroup/memory/":                       "",
	"/sys/fs/cgroup/cpu,cpuacct/":                  "",
	"/sys/module/overlay/":                         "",
	"/sys/fs/ext4/":                                "",
}

// hardenedTree passes every host control.
var hardenedTree = map[string]string{
	"/proc/sys/kernel/osrelease": "6.12.48-cloud-amd64\n",
	"/proc/sys/kernel/hostname":  "hardened\n",
	"/etc/hostname":              "hardened\n",
	"/etc/os-release":            "ID=debian\nVERSION_ID=\"13\"\n",
	"/proc/modules":              "overlay 151552 10 - Live 0x0000000000000000\n",
	"/proc/net/tcp":              tcpHeader + tcpLine(0, "00000000:0016", "0A", 100) + tcpLine(1, "0100007F:0017", "01", 101),
	"/proc/swaps":                "Filename Type Size Used Priority\n/dev/zram0 partition 4194300 0 100\n/dev/dm-2 partition 1048572 0 -2\n",
	"/etc/fstab":                 "UUID=1 / ext4 defaults 0 1\n",
	"/etc/docker/daemon.json":    "{\"hosts\": [\"tcp://0.0.0.0:2376\"], \"tlsverify\": true}\n",
	"/etc/modprobe.d/cis.conf": "install dccp /bin/false\nblacklist dccp\ninstall sctp /bin/false\nblacklist sctp\n" +
		"install rds /bin/true\nblacklist rds\n",
	"/proc/cmdline": "root=/dev/vda1 module_blacklist=tipc\n",
	"/lib/modules/6.12.48-cloud-amd64/modules.dep":     "kernel/net/sctp/sctp.ko.xz:\nkernel/net/rds/rds.ko.xz:\nkernel/net/tipc/tipc.ko.xz:\n",
	"/lib/modules/6.12.48-cloud-amd64/modules.builtin": "kernel/fs/ext4/ext4.ko\n",
	"/sys/fs/cgroup/cgroup.controllers":                "cpuset cpu io memory pids\n",
	"/sys/kernel/security/lsm":                         "capability,yama,apparmor",
	"/sys/module/overlay/":                             "",
	"/sys/block/dm-2/dm/uuid":                          "LVM-xyz\n",
	"/sys/block/dm-2/slaves/dm-1":                      "",
	"/sys/block/dm-1/dm/uuid":                          "CRYPT-LUKS2-abc-luks\n",
}

func TestWeakHostFailsEveryControl(t *testing.T) {
	r := run(t, testNow, readTree(t, weakTree))
	eq(t, "findings", r.Failed(allControls...), []string{
		`cloud/host-cgroup-v1 Host/weak cgroup.version`,
		`cloud/host-docker-api-no-tls Host/weak docker.hosts["tcp://0.0.0.0:2375"]`,
		`cloud/host-kernel-unsupported Host/weak kernel.release`,
		`cloud/host-no-lsm Host/weak lsm`,
		`cloud/host-risky-kernel-modules Host/weak modules.rds`,
		`cloud/host-risky-kernel-modules Host/weak modules.sctp`,
		`cloud/host-risky-kernel-modules Host/weak modules.tipc`,
		`cloud/host-swap-unencrypted Host/weak swap["/dev/sda2"]`,
		`cloud/host-swap-unencrypted Host/weak swap["/swapfile"]`,
		`cloud/host-telnet-listening Host/weak listening["tcp:0.0.0.0:23"]`,
	})
	locs := map[string]string{}
	for _, f := range r.Findings {
		locs[f.ControlID+" "+f.Path.String()] = where(f.Location)
	}
	for k, want := range map[string]string{
		"cloud/host-kernel-unsupported kernel.release":                    "/proc/sys/kernel/osrelease:1",
		"cloud/host-cgroup-v1 cgroup.version":                             "/sys/fs/cgroup",
		"cloud/host-no-lsm lsm":                                           "/etc/selinux/config:1",
		"cloud/host-risky-kernel-modules modules.sctp":                    "/proc/modules:1",
		"cloud/host-risky-kernel-modules modules.rds":                     "/lib/modules/5.4.0-200-amd64/modules.dep:3",
		"cloud/host-risky-kernel-modules modules.tipc":                    "/lib/modules/5.4.0-200-amd64/modules.builtin:1",
		`cloud/host-docker-api-no-tls docker.hosts["tcp://0.0.0.0:2375"]`: "/etc/docker/daemon.json:2",
		`cloud/host-swap-unencrypted swap["/swapfile"]`:                   "/etc/fstab:2",
		`cloud/host-swap-unencrypted swap["/dev/sda2"]`:                   "/etc/fstab:3",
		`cloud/host-telnet-listening listening["tcp:0.0.0.0:23"]`:         "/proc/net/tcp",
	} {
		if locs[k] != want {
			t.Errorf("%s: location %q, want %q", k, locs[k], want)
		}
	}
	for control, want := range map[string]string{
		CtlKernelUnsupported: "Linux 5.4.0-200-amd64 on Debian GNU/Linux 11 (bullseye): longterm branch 5.4 reached its end of life in December 2025",
		CtlCgroupV1:          "cgroup v1 hierarchies",
		CtlNoLSM:             "AppArmor is not enabled (/sys/module) and SELinux is disabled (/etc/selinux/config:1 sets permissive for the next boot)",
		CtlTelnet:            "listens on 0.0.0.0:23 (uid 0)",
		CtlDockerTCP:         "dockerd listens on tcp://0.0.0.0:2375 without \"tlsverify\": true",
		CtlSwapUnencrypted:   "swap on /swapfile is in use (/proc/swaps:2), on a file",
	} {
		if ms := r.Messages(control); len(ms) == 0 || !strings.Contains(ms[0], want) {
			t.Errorf("%s: message %q does not contain %q", control, ms, want)
		}
	}
}

func TestHardenedHostPassesEveryControl(t *testing.T) {
	h := readTree(t, hardenedTree)
	r := run(t, testNow, h)
	eq(t, "findings", r.Failed(allControls...), nil)
	for _, c := range allControls {
		eq(t, c+" passes", r.PassedOf(c), []string{"Host/hardened"})
	}
	if h.Swap.Active[1].Backing != nodeinfo.SwapDMCrypt {
		t.Errorf("dm-2 (LVM on LUKS) backing %q", h.Swap.Active[1].Backing)
	}
}

// TestCopiedTree: a copy of a node's filesystem has no /proc or /sys. What needs them is not
// evaluated; the configuration still is.
func TestCopiedTree(t *testing.T) {
	h := readTree(t, map[string]string{
		"/etc/hostname":       "copy\n",
		"/etc/os-release":     "ID=rocky\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"8.10\"\n",
		"/etc/selinux/config": "SELINUX=enforcing\n",
		"/etc/fstab":          "/dev/mapper/rl-swap none swap defaults 0 0\n",
		"/etc/modprobe.d/x.conf": "install dccp /bin/false\ninstall sctp /bin/false\ninstall rds /bin/false\n" +
			"install tipc /bin/false\n",
		"/lib/modules/4.18.0-553.el8_10.x86_64/modules.dep":     "kernel/net/sctp/sctp.ko.xz:\n",
		"/lib/modules/4.18.0-553.el8_10.x86_64/modules.builtin": "",
	})
	r := run(t, testNow, h)
	eq(t, "findings", r.Failed(allControls...), []string{`cloud/host-swap-unencrypted Host/copy swap["/dev/mapper/rl-swap"]`})
	// Kernel 4.18 ended upstream, but RHEL maintains its own: not judged. cgroup, telnet and
	// Docker need /sys or /proc.
	eq(t, "passes", r.Passed(allControls...), []string{"cloud/host-no-lsm Host/copy", "cloud/host-risky-kernel-modules Host/copy"})
	if ms := r.Messages(CtlSwapUnencrypted); len(ms) != 1 || !strings.Contains(ms[0], "is enabled at boot (/etc/fstab:1)") {
		t.Errorf("swap message %q", ms)
	}
}

func TestJudgeKernel(t *testing.T) {
	for _, c := range []struct {
		release     string
		now         time.Time
		unsupported bool
		newer       bool
	}{
		{"6.1.0-25-amd64", testNow, false, false},
		{"6.18.44-fc-v769", testNow, false, false},
		{"6.12.48", testNow, false, false},
		{"5.15.0-119-generic", testNow, false, false},
		{"5.15.0-119-generic", time.Date(2026, time.December, 31, 23, 0, 0, 0, time.UTC), false, false},
		{"5.15.0-119-generic", time.Date(2027, time.January, 1, 0, 0, 0, 0, time.UTC), true, false},
		{"5.4.0-150-generic", testNow, true, false},
		{"4.14.355", time.Date(2024, time.January, 31, 0, 0, 0, 0, time.UTC), false, false},
		{"4.14.355", time.Date(2024, time.February, 1, 0, 0, 0, 0, time.UTC), true, false},
		{"6.17.13", testNow, true, false}, // a stable branch older than 6.18
		{"6.8.0-45-generic", testNow, true, false},
		{"3.10.0-1160.el7.x86_64", testNow, true, false},
		{"6.19.2", testNow, false, true},
		{"7.0.1", testNow, false, true},
	} {
		v, err := JudgeKernel(c.release, c.now)
		if err != nil || v.Unsupported != c.unsupported || v.Newer != c.newer {
			t.Errorf("%s at %s: %+v, %v; want unsupported %v, newer %v", c.release, c.now.Format(time.DateOnly), v, err, c.unsupported, c.newer)
		}
	}
	for _, bad := range []string{"", "linux", "v6.1", "6"} {
		if _, err := JudgeKernel(bad, testNow); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	for i := 1; i < len(LongtermKernels); i++ {
		a, b := LongtermKernels[i-1], LongtermKernels[i]
		if a.Major < b.Major || a.Major == b.Major && a.Minor <= b.Minor {
			t.Errorf("table not newest first at %d.%d", b.Major, b.Minor)
		}
	}
}

// host returns a host whose facts were all read, with nothing to report; tests change it.
func host(name string) *nodeinfo.Host {
	return &nodeinfo.Host{Hostname: name,
		Kernel: &nodeinfo.Kernel{Release: "6.6.50", Source: inventory.Location{File: "/proc/sys/kernel/osrelease", Line: 1}, Running: true},
		OS:     &nodeinfo.OSRelease{ID: "flatcar", PrettyName: "Flatcar Container Linux"},
		Cgroup: &nodeinfo.Cgroups{Version: 2, Source: inventory.Location{File: "/sys/fs/cgroup/cgroup.controllers"}},
		LSM: nodeinfo.SecurityModules{
			AppArmor: &nodeinfo.AppArmor{Enabled: false, Source: inventory.Location{File: "/sys/kernel/security/lsm"}},
			SELinux:  &nodeinfo.SELinux{Mode: nodeinfo.SELinuxEnforcing, Source: inventory.Location{File: "/sys/fs/selinux/enforce", Line: 1}},
		},
		Modules: nodeinfo.KernelModules{Loadable: true, Available: map[string]nodeinfo.ModuleAvailability{
			"dccp": {Status: nodeinfo.ModuleAbsent}, "sctp": {Status: nodeinfo.ModuleAbsent},
			"rds": {Status: nodeinfo.ModuleAbsent}, "tipc": {Status: nodeinfo.ModuleAbsent}}},
		ListeningSources: []string{"/proc/net/tcp"},
	}
}

func unread(h *nodeinfo.Host, facts ...nodeinfo.Fact) *nodeinfo.Host {
	for _, f := range facts {
		h.Unread = append(h.Unread, nodeinfo.UnreadFact{Fact: f, Reason: "not found"})
	}
	return h
}

func TestKernel(t *testing.T) {
	eol := func(name string, os *nodeinfo.OSRelease) *nodeinfo.Host {
		h := host(name)
		h.Kernel.Release, h.OS = "5.4.0-1103-aws", os
		return h
	}
	installed := eol("installed", &nodeinfo.OSRelease{ID: "debian"})
	installed.Kernel.Running = false
	r := run(t, testNow,
		eol("ubuntu", &nodeinfo.OSRelease{ID: "ubuntu"}),                              // vendor kernel: not judged
		eol("mint", &nodeinfo.OSRelease{ID: "linuxmint", IDLike: []string{"ubuntu"}}), // derivative of a vendor
		eol("no-os", nil), // cannot tell: not judged
		eol("talos", &nodeinfo.OSRelease{ID: "talos"}), // upstream kernels: judged
		installed,
		func() *nodeinfo.Host { h := host("newer"); h.Kernel.Release = "7.1.0"; return h }(),
		func() *nodeinfo.Host { h := host("odd"); h.Kernel.Release = "unknown"; return h }(),
	)
	eq(t, "failed", r.FailedOf(CtlKernelUnsupported), []string{"Host/installed kernel.release", "Host/talos kernel.release"})
	eq(t, "passed", r.PassedOf(CtlKernelUnsupported), []string{"Host/newer"})
	if ms := r.Messages(CtlKernelUnsupported); !strings.Contains(strings.Join(ms, "\n"), "the only kernel installed on the node is Linux 5.4.0-1103-aws") {
		t.Errorf("messages %q", ms)
	}
}

func TestLSM(t *testing.T) {
	aaOn := host("apparmor")
	aaOn.LSM = nodeinfo.SecurityModules{AppArmor: &nodeinfo.AppArmor{Enabled: true}}
	seConfig := host("selinux-config") // copy: only /etc/selinux/config
	seConfig.LSM = nodeinfo.SecurityModules{SELinux: &nodeinfo.SELinux{Config: nodeinfo.SELinuxEnforcing,
		ConfigSource: inventory.Location{File: "/etc/selinux/config", Line: 3}}}
	seConfigOff := host("selinux-config-off") // AppArmor unknown: not judged
	seConfigOff.LSM = nodeinfo.SecurityModules{SELinux: &nodeinfo.SELinux{Config: nodeinfo.SELinuxDisabled}}
	aaOffSeUnknown := host("apparmor-off")
	aaOffSeUnknown.LSM.SELinux = nil
	permissive := host("permissive")
	permissive.LSM.SELinux = &nodeinfo.SELinux{Mode: nodeinfo.SELinuxPermissive, Source: inventory.Location{File: "/sys/fs/selinux/enforce", Line: 1}}
	offFromConfig := host("off-from-config")
	offFromConfig.LSM.SELinux = &nodeinfo.SELinux{Config: nodeinfo.SELinuxPermissive, ConfigSource: inventory.Location{File: "/etc/selinux/config", Line: 7}}
	r := run(t, testNow, host("enforcing"), aaOn, seConfig, seConfigOff, aaOffSeUnknown, permissive, offFromConfig)
	eq(t, "passed", r.PassedOf(CtlNoLSM), []string{"Host/apparmor", "Host/enforcing", "Host/selinux-config"})
	eq(t, "failed", r.FailedOf(CtlNoLSM), []string{"Host/off-from-config lsm", "Host/permissive lsm"})
	if ms := strings.Join(r.Messages(CtlNoLSM), "\n"); !strings.Contains(ms, "(/sys/kernel/security/lsm) and SELinux is permissive;") ||
		!strings.Contains(ms, "SELINUX=permissive in /etc/selinux/config:7") {
		t.Errorf("messages %q", ms)
	}
}

func TestModules(t *testing.T) {
	withRules := func(name string, rules ...nodeinfo.ModuleRule) *nodeinfo.Host {
		h := host(name)
		for _, m := range nodeinfo.TrackedModules {
			h.Modules.Available[m] = nodeinfo.ModuleAvailability{Status: nodeinfo.ModuleFile, Location: inventory.Location{File: "/lib/modules/6.6.50/modules.dep", Line: 7}}
		}
		h.Modules.Rules = rules
		return h
	}
	rule := func(m, directive, cmd string) nodeinfo.ModuleRule {
		return nodeinfo.ModuleRule{Module: m, Directive: directive, Command: cmd, Location: inventory.Location{File: "/etc/modprobe.d/x.conf", Line: 1}}
	}
	all := withRules("all-disabled", rule("dccp", "install", "/usr/bin/false"), rule("sctp", "blacklist", ""),
		rule("rds", "modprobe.blacklist", ""), rule("tipc", "install", "true"))
	badInstall := withRules("bad-install", rule("dccp", "install", "/sbin/modprobe --ignore-install dccp"), rule("sctp", "blacklist", ""),
		rule("rds", "blacklist", ""), rule("tipc", "blacklist", ""))
	noConfig := unread(withRules("no-config"), nodeinfo.FactModprobe)
	noAvail := unread(host("no-availability"), nodeinfo.FactModulesAvailable)
	noAvail.Modules.Available = nil
	noModules := host("no-module-support") // kernel without loadable modules, modules.dep unknown
	noModules.Modules = nodeinfo.KernelModules{Loadable: false}
	noModules = unread(noModules, nodeinfo.FactModulesAvailable)
	r := run(t, testNow, host("absent"), all, badInstall, noConfig, noAvail, noModules)
	eq(t, "passed", r.PassedOf(CtlRiskyModules), []string{"Host/absent", "Host/all-disabled"})
	eq(t, "failed", r.FailedOf(CtlRiskyModules), []string{"Host/bad-install modules.dccp"})
}

func TestDocker(t *testing.T) {
	sock := func(fam, addr string, port int) nodeinfo.ListeningSocket {
		return nodeinfo.ListeningSocket{Family: fam, Address: addr, Port: port, Source: inventory.Location{File: "/proc/net/" + fam, Line: 2}}
	}
	plain := host("plain-socket")
	plain.Listening = []nodeinfo.ListeningSocket{sock("tcp", "127.0.0.1", 2375), sock("tcp6", "::", 2375)}
	tlsOnPlainPort := host("tls-on-2375")
	tlsOnPlainPort.Listening = []nodeinfo.ListeningSocket{sock("tcp", "0.0.0.0", 2375)}
	tlsOnPlainPort.Docker = &nodeinfo.DockerDaemon{TLSVerify: true, Hosts: []nodeinfo.DockerHost{{URL: "tcp://0.0.0.0:2375"}}}
	configOnly := unread(host("config-only"), nodeinfo.FactListening) // a copy: daemon.json is judged
	configOnly.Docker = &nodeinfo.DockerDaemon{Source: inventory.Location{File: "/etc/docker/daemon.json"},
		Hosts: []nodeinfo.DockerHost{{URL: "tcp://10.0.0.5"}, {URL: "unix:///run/docker.sock"}, {URL: "fd://"}}}
	nothing := unread(host("nothing"), nodeinfo.FactListening)
	r := run(t, testNow, host("clean"), plain, tlsOnPlainPort, configOnly, nothing)
	eq(t, "passed", r.PassedOf(CtlDockerTCP), []string{"Host/clean", "Host/tls-on-2375"})
	eq(t, "failed", r.FailedOf(CtlDockerTCP), []string{`Host/config-only docker.hosts["tcp://10.0.0.5"]`, `Host/plain-socket listening["tcp:127.0.0.1:2375"]`})
	if r.WasEvaluated(CtlDockerTCP, "Host/nothing") || r.WasEvaluated(CtlTelnet, "Host/nothing") {
		t.Error("evaluated without listening sockets or daemon.json")
	}
	for _, f := range r.Findings {
		if f.Object.Name == "config-only" && where(f.Location) != "/etc/docker/daemon.json" {
			t.Errorf("location %s", where(f.Location))
		}
	}
}

func TestSwap(t *testing.T) {
	area := func(dev, backing string, line int) nodeinfo.SwapArea {
		return nodeinfo.SwapArea{Device: dev, Type: "partition", Backing: backing, Source: inventory.Location{File: "/proc/swaps", Line: line}}
	}
	safe := host("safe")
	safe.Swap.Active = []nodeinfo.SwapArea{area("/dev/zram0", nodeinfo.SwapZram, 2), area("/dev/dm-3", nodeinfo.SwapDMCrypt, 3)}
	unknown := host("unknown") // /sys did not tell what dm-4 is
	unknown.Swap.Active = []nodeinfo.SwapArea{area("/dev/dm-4", "", 2)}
	mixed := host("mixed")
	mixed.Swap.Active = []nodeinfo.SwapArea{area("/dev/dm-4", "", 2), area("/dev/nvme0n1p3", nodeinfo.SwapDisk, 3)}
	mixed.Swap.Configured = []nodeinfo.SwapArea{{Device: "/dev/nvme0n1p3", Source: inventory.Location{File: "/etc/fstab", Line: 4}}}
	noauto := unread(host("noauto"), nodeinfo.FactSwap) // a copy: fstab is judged, noauto entries are not enabled
	noauto.Swap.Configured = []nodeinfo.SwapArea{{Device: "/dev/sdb1", Backing: nodeinfo.SwapDisk, NoAuto: true}}
	nothing := unread(host("nothing"), nodeinfo.FactSwap, nodeinfo.FactFstab)
	r := run(t, testNow, host("none"), safe, unknown, mixed, noauto, nothing)
	eq(t, "passed", r.PassedOf(CtlSwapUnencrypted), []string{"Host/noauto", "Host/none", "Host/safe"})
	eq(t, "failed", r.FailedOf(CtlSwapUnencrypted), []string{`Host/mixed swap["/dev/nvme0n1p3"]`})
	for _, f := range r.Findings {
		if where(f.Location) != "/etc/fstab:4" {
			t.Errorf("location %s", where(f.Location))
		}
	}
}

func TestControlsAreInTheCatalog(t *testing.T) {
	a := New()
	for _, id := range a.Controls() {
		c, ok := catalog.Lookup(id)
		if !ok || c.Layer != catalog.Cloud {
			t.Errorf("%s: in catalog %v, layer %q", id, ok, c.Layer)
		}
	}
	if a.Name() != "host" || len(a.Controls()) != len(allControls) {
		t.Errorf("name %q, controls %v", a.Name(), a.Controls())
	}
}
