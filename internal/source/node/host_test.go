package node

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/hostfs"
	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
)

// Fixture trees: node path → content. Paths ending in "/" are directories; "-> target" makes a
// symbolic link.

// procNetTCP is /proc/net/tcp as a 6.x kernel prints it: telnet on all addresses, dockerd on
// 127.0.0.1:2375, an ESTABLISHED connection to it (not listening), sshd on 22.
const procNetTCP = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n" +
	"   0: 00000000:0017 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21334 1 0000000000000000 100 0 0 10 0                     \n" +
	"   1: 0100007F:0947 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0                     \n" +
	"   2: 0100007F:0947 0100007F:D5E2 01 00000000:00000000 00:00000000 00000000     0        0 40001 1 0000000000000000 20 4 30 10 -1                    \n" +
	"   3: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18000 1 0000000000000000 100 0 0 10 0                     \n"

// procNetTCP6: dockerd on [::]:2375, a service on [::1]:8080 (uid 1000), one on
// [2001:db8::1]:443, and telnet on an IPv4-mapped address.
const procNetTCP6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
	"   0: 00000000000000000000000000000000:0947 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31338 1 0000000000000000 100 0 0 10 0\n" +
	"   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 31339 1 0000000000000000 100 0 0 10 0\n" +
	"   2: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31340 1 0000000000000000 100 0 0 10 0\n" +
	"   3: 0000000000000000FFFF00000100007F:0017 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31341 1 0000000000000000 100 0 0 10 0\n"

// weakHost is a node that does everything the host controls dislike.
var weakHost = map[string]string{
	"/proc/sys/kernel/osrelease": "5.4.0-150-generic\n",
	"/proc/sys/kernel/hostname":  "weak-node\n",
	"/proc/version":              "Linux version 5.4.0-150-generic (buildd@lcy02-amd64-001) #167-Ubuntu SMP\n",
	"/proc/cmdline":              "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro module_blacklist=rds,foo-bar quiet -- modprobe.blacklist=tipc\n",
	"/proc/modules": "sctp 409600 4 - Live 0x0000000000000000\n" +
		"libcrc32c 16384 1 sctp, Live 0x0000000000000000\n",
	"/proc/net/tcp":  procNetTCP,
	"/proc/net/tcp6": procNetTCP6,
	"/proc/swaps": "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" +
		"/swap\\040file                           file\t\t2097148\t\t0\t\t-2\n" +
		"/dev/dm-1                               partition\t1048572\t\t0\t\t-3\n" +
		"/dev/zram0                              partition\t4194300\t\t0\t\t100\n",
	"/etc/hostname": "weak-node\n",
	"/etc/os-release": "# distribution\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"11\"\n" +
		"PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\nNOT AN ASSIGNMENT\n",
	"/etc/selinux/config": "SELINUX=permissive\nSELINUXTYPE=targeted\n",
	"/etc/fstab": "UUID=1234 / ext4 defaults 0 1\n" +
		"/swap\\040file none swap sw 0 0\n" +
		"/dev/vg0/swap none swap sw,noauto 0 0\n",
	"/etc/docker/daemon.json": "{\n  \"hosts\": [\n    \"unix:///var/run/docker.sock\",\n    \"tcp://0.0.0.0:2375\"\n  ]\n}\n",
	"/etc/modprobe.d/":        "",
	"/etc/modprobe.d/local.conf": "# rules\n" +
		"blacklist dccp\n" +
		"install sctp /sbin/modprobe --ignore-install sctp \\\n  && echo loaded\n" +
		"options bonding max_bonds=0\n" +
		"frobnicate dccp\n" +
		"blacklist\n",
	"/etc/modprobe.d/README":       "not a .conf file: ignored\nblacklist sctp\n",
	"/lib/modprobe.d/local.conf":   "blacklist tipc\n", // shadowed by /etc/modprobe.d/local.conf
	"/lib/modprobe.d/aliases.conf": "alias net-pf-21 off\n",
	"/lib/modules/5.4.0-150-generic/modules.dep": "kernel/net/dccp/dccp.ko: \n" +
		"kernel/net/dccp/dccp_ipv4.ko: kernel/net/dccp/dccp.ko\n" +
		"kernel/net/sctp/sctp.ko: kernel/lib/libcrc32c.ko\n" +
		"kernel/net/rds/rds.ko:\n" +
		"kernel/net/tipc/tipc.ko: kernel/net/ipv6/ip6_udp_tunnel.ko kernel/net/ipv4/udp_tunnel.ko\n",
	"/lib/modules/5.4.0-150-generic/modules.builtin": "kernel/lib/libcrc32c.ko\n",
	"/sys/fs/cgroup/":                   "",
	"/sys/fs/cgroup/memory/":            "",
	"/sys/fs/cgroup/cpu,cpuacct/":       "",
	"/sys/fs/cgroup/unified/":           "",
	"/sys/module/overlay/":              "",
	"/sys/fs/ext4/":                     "",
	"/sys/block/dm-1/dm/uuid":           "LVM-abcdef\n",
	"/sys/block/dm-1/slaves/sda3":       "-> ../../sda/sda3",
	"/sys/block/sda/sda3/dev":           "8:3\n",
	"/sys/block/dm-0/dm/uuid":           "CRYPT-LUKS2-0123-cryptroot\n",
	"/sys/block/dm-0/dm/name":           "cryptroot\n",
	"/sys/kernel/cpu_byteorder":         "little\n",
	"/sys/module/apparmor/parameters/x": "", // AppArmor built in; "enabled" missing: not judged from here
}

// hardenedHost passes every host control.
var hardenedHost = map[string]string{
	"/proc/sys/kernel/osrelease": "6.12.48-cloud-amd64\n",
	"/proc/sys/kernel/hostname":  "hardened-node\n",
	"/proc/cmdline":              "root=/dev/vda1 ro\n",
	"/proc/modules":              "overlay 151552 10 - Live 0x0000000000000000\n",
	"/proc/net/tcp": "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18000 1 0000000000000000 100 0 0 10 0\n" +
		"   1: 00000000:2742 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18001 1 0000000000000000 100 0 0 10 0\n",
	"/proc/swaps":     "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/zram0 partition 4194300 0 100\n",
	"/etc/hostname":   "hardened-node\n",
	"/etc/os-release": "ID=debian\nVERSION_ID=\"13\"\nPRETTY_NAME='Debian GNU/Linux 13 (trixie)'\n",
	"/etc/fstab":      "UUID=1234 / ext4 defaults 0 1\n",
	"/etc/modprobe.d/cis.conf": "install dccp /bin/false\nblacklist dccp\ninstall sctp /bin/false\nblacklist sctp\n" +
		"install rds /bin/true\nblacklist rds\ninstall tipc /bin/false\nblacklist tipc\n",
	"/usr/lib/modules/6.12.48-cloud-amd64/modules.dep":     "kernel/net/sctp/sctp.ko.xz: kernel/lib/libcrc32c.ko.xz\nkernel/net/rds/rds.ko.xz:\nkernel/net/tipc/tipc.ko.xz:\n",
	"/usr/lib/modules/6.12.48-cloud-amd64/modules.builtin": "kernel/fs/ext4/ext4.ko\n",
	"/lib":                                    "-> usr/lib",
	"/sys/fs/cgroup/cgroup.controllers":       "cpuset cpu io memory hugetlb pids rdma misc\n",
	"/sys/kernel/security/lsm":                "lockdown,capability,landlock,yama,apparmor,bpf",
	"/sys/module/apparmor/parameters/enabled": "Y\n",
	"/sys/module/overlay/":                    "",
}

func writeTree(t testing.TB, tree map[string]string) string {
	t.Helper()
	root := t.TempDir()
	paths := make([]string, 0, len(tree))
	for p := range tree {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		content := tree[p]
		hp := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(p, "/")))
		if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(p, "/"):
			err = os.MkdirAll(hp, 0o755)
		case strings.HasPrefix(content, "-> "):
			err = os.Symlink(strings.TrimPrefix(content, "-> "), hp)
		default:
			err = os.WriteFile(hp, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func tarTree(t testing.TB, tree map[string]string) hostfs.FS {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	paths := make([]string, 0, len(tree))
	for p := range tree {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		content := tree[p]
		h := &tar.Header{Name: "." + p, Mode: 0o644}
		switch {
		case strings.HasSuffix(p, "/"):
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		case strings.HasPrefix(content, "-> "):
			h.Typeflag, h.Linkname = tar.TypeSymlink, strings.TrimPrefix(content, "-> ")
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(content))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(content))
		}
	}
	tw.Close()
	fsys, err := hostfs.ReadTar("node.tar", &buf)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func loc(file string, line int) inventory.Location { return inventory.Location{File: file, Line: line} }

func problemStrings(ps []inventory.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	sort.Strings(out)
	return out
}

func unreadFacts(h *nodeinfo.Host) []string {
	var out []string
	for _, u := range h.Unread {
		out = append(out, string(u.Fact))
	}
	sort.Strings(out)
	return out
}

func eqStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\ngot:  %s\nwant: %s", what, jsonOf(t, got), jsonOf(t, want))
	}
}

func TestReadHostWeak(t *testing.T) {
	fromDir := func(t *testing.T) hostfs.FS { return hostfs.Dir(writeTree(t, weakHost)) }
	fromTar := func(t *testing.T) hostfs.FS { return tarTree(t, weakHost) }
	for name, open := range map[string]func(*testing.T) hostfs.FS{"dir": fromDir, "tar": fromTar} {
		t.Run(name, func(t *testing.T) {
			h, probs := ReadHost(open(t))
			if h.APIVersion != nodeinfo.APIVersion || h.Kind != nodeinfo.KindHost {
				t.Errorf("TypeMeta = %v", h.TypeMeta)
			}
			eqStrings(t, "problems", problemStrings(probs), []string{
				"/etc/modprobe.d/local.conf:6: unknown directive \"frobnicate\"; modprobe ignores this line",
				"/etc/modprobe.d/local.conf:7: blacklist takes one module name; modprobe ignores this line",
				"/etc/os-release:6: not a KEY=value assignment",
			})
			// /sys/module/apparmor exists (AppArmor is built in) but says nothing of its state.
			eqStrings(t, "unread", unreadFacts(h), []string{"apparmor"})
			// Not the root: /etc/hostname first.
			if h.Hostname != "weak-node" || h.HostnameSource != "/etc/hostname" {
				t.Errorf("hostname = %q from %q", h.Hostname, h.HostnameSource)
			}
			checkEqual(t, "kernel", h.Kernel, &nodeinfo.Kernel{Release: "5.4.0-150-generic", Source: loc("/proc/sys/kernel/osrelease", 1), Running: true})
			checkEqual(t, "os", h.OS, &nodeinfo.OSRelease{ID: "debian", VersionID: "11", PrettyName: "Debian GNU/Linux 11 (bullseye)", Source: loc("/etc/os-release", 3)})
			checkEqual(t, "cgroup", h.Cgroup, &nodeinfo.Cgroups{Version: 1, Hybrid: true, Source: loc("/sys/fs/cgroup", 0)})
			checkEqual(t, "lsm", h.LSM, nodeinfo.SecurityModules{
				// The kernel creates /sys/fs/selinux only when SELinux is enabled.
				SELinux: &nodeinfo.SELinux{Mode: nodeinfo.SELinuxDisabled, Source: loc("/sys/fs", 0),
					Config: nodeinfo.SELinuxPermissive, ConfigSource: loc("/etc/selinux/config", 1)},
			})
			checkEqual(t, "module rules", h.Modules.Rules, []nodeinfo.ModuleRule{
				{Module: "dccp", Directive: "blacklist", Location: loc("/etc/modprobe.d/local.conf", 2)},
				{Module: "sctp", Directive: "install", Command: "/sbin/modprobe --ignore-install sctp    && echo loaded", Location: loc("/etc/modprobe.d/local.conf", 3)},
				{Module: "rds", Directive: "module_blacklist", Location: loc("/proc/cmdline", 1)},
				{Module: "foo_bar", Directive: "module_blacklist", Location: loc("/proc/cmdline", 1)},
			})
			eqStrings(t, "modprobe files", h.Modules.ConfigFiles, []string{"/lib/modprobe.d/aliases.conf", "/etc/modprobe.d/local.conf"})
			checkEqual(t, "loaded", h.Modules.Loaded, []nodeinfo.LoadedModule{{Name: "sctp", Location: loc("/proc/modules", 1)}, {Name: "libcrc32c", Location: loc("/proc/modules", 2)}})
			dep := "/lib/modules/5.4.0-150-generic/modules.dep"
			checkEqual(t, "available", h.Modules.Available, map[string]nodeinfo.ModuleAvailability{
				"dccp": {Status: "module", Location: loc(dep, 1)},
				"sctp": {Status: "module", Location: loc(dep, 3)},
				"rds":  {Status: "module", Location: loc(dep, 4)},
				"tipc": {Status: "module", Location: loc(dep, 5)},
			})
			if !h.Modules.Loadable {
				t.Error("Loadable = false")
			}
			checkEqual(t, "listening", h.Listening, []nodeinfo.ListeningSocket{
				{Family: "tcp", Address: "0.0.0.0", Port: 23, Inode: 21334, Source: loc("/proc/net/tcp", 2)},
				{Family: "tcp", Address: "127.0.0.1", Port: 2375, Inode: 31337, Source: loc("/proc/net/tcp", 3)},
				{Family: "tcp", Address: "0.0.0.0", Port: 22, Inode: 18000, Source: loc("/proc/net/tcp", 5)},
				{Family: "tcp6", Address: "::", Port: 2375, Inode: 31338, Source: loc("/proc/net/tcp6", 2)},
				{Family: "tcp6", Address: "::1", Port: 8080, UID: 1000, Inode: 31339, Source: loc("/proc/net/tcp6", 3)},
				{Family: "tcp6", Address: "2001:db8::1", Port: 443, Inode: 31340, Source: loc("/proc/net/tcp6", 4)},
				{Family: "tcp6", Address: "::ffff:127.0.0.1", Port: 23, Inode: 31341, Source: loc("/proc/net/tcp6", 5)},
			})
			eqStrings(t, "listening sources", h.ListeningSources, []string{"/proc/net/tcp", "/proc/net/tcp6"})
			checkEqual(t, "docker", h.Docker, &nodeinfo.DockerDaemon{Source: loc("/etc/docker/daemon.json", 0), Hosts: []nodeinfo.DockerHost{
				{URL: "unix:///var/run/docker.sock", Location: loc("/etc/docker/daemon.json", 3)},
				{URL: "tcp://0.0.0.0:2375", Location: loc("/etc/docker/daemon.json", 4)},
			}})
			checkEqual(t, "swap", h.Swap, nodeinfo.Swap{
				Active: []nodeinfo.SwapArea{
					{Device: "/swap file", Type: "file", SizeKiB: 2097148, Backing: "file", Source: loc("/proc/swaps", 2)},
					// dm-1 is LVM on a plain partition: no dm-crypt below it.
					{Device: "/dev/dm-1", Type: "partition", SizeKiB: 1048572, Backing: "disk", Source: loc("/proc/swaps", 3)},
					{Device: "/dev/zram0", Type: "partition", SizeKiB: 4194300, Backing: "zram", Source: loc("/proc/swaps", 4)},
				},
				Configured: []nodeinfo.SwapArea{
					{Device: "/swap file", Backing: "file", Source: loc("/etc/fstab", 2)},
					{Device: "/dev/vg0/swap", Backing: "disk", NoAuto: true, Source: loc("/etc/fstab", 3)},
				},
			})
		})
	}
}

func TestReadHostHardened(t *testing.T) {
	h, probs := ReadHost(hostfs.Dir(writeTree(t, hardenedHost)))
	eqStrings(t, "problems", problemStrings(probs), nil)
	eqStrings(t, "unread", unreadFacts(h), nil)
	checkEqual(t, "kernel", h.Kernel, &nodeinfo.Kernel{Release: "6.12.48-cloud-amd64", Source: loc("/proc/sys/kernel/osrelease", 1), Running: true})
	checkEqual(t, "os", h.OS, &nodeinfo.OSRelease{ID: "debian", VersionID: "13", PrettyName: "Debian GNU/Linux 13 (trixie)", Source: loc("/etc/os-release", 1)})
	checkEqual(t, "cgroup", h.Cgroup, &nodeinfo.Cgroups{Version: 2, Source: loc("/sys/fs/cgroup/cgroup.controllers", 0)})
	checkEqual(t, "lsm", h.LSM, nodeinfo.SecurityModules{
		Active: []string{"lockdown", "capability", "landlock", "yama", "apparmor", "bpf"}, ActiveSource: "/sys/kernel/security/lsm",
		AppArmor: &nodeinfo.AppArmor{Enabled: true, Source: loc("/sys/kernel/security/lsm", 0)},
		SELinux:  &nodeinfo.SELinux{Mode: nodeinfo.SELinuxDisabled, Source: loc("/sys/kernel/security/lsm", 0)},
	})
	if len(h.Modules.Rules) != 8 {
		t.Errorf("rules: %s", jsonOf(t, h.Modules.Rules))
	}
	// /lib links to usr/lib: modules.dep is found under both names, read once.
	dep := "/lib/modules/6.12.48-cloud-amd64/modules.dep"
	checkEqual(t, "available", h.Modules.Available, map[string]nodeinfo.ModuleAvailability{
		"dccp": {Status: "absent", Location: loc(dep, 0)},
		"sctp": {Status: "module", Location: loc(dep, 1)},
		"rds":  {Status: "module", Location: loc(dep, 2)},
		"tipc": {Status: "module", Location: loc(dep, 3)},
	})
	if len(h.Listening) != 2 || h.Listening[1].Port != 10050 || h.Docker != nil {
		t.Errorf("listening %v, docker %v", h.Listening, h.Docker)
	}
	checkEqual(t, "swap", h.Swap, nodeinfo.Swap{Active: []nodeinfo.SwapArea{
		{Device: "/dev/zram0", Type: "partition", SizeKiB: 4194300, Backing: "zram", Source: loc("/proc/swaps", 2)}}})
}

// TestReadHostCopy reads a copy of a node's /etc alone: what needs /proc and /sys is unread, not
// a problem, and the configuration is still read.
func TestReadHostCopy(t *testing.T) {
	tree := map[string]string{
		"/etc/hostname":       "copied\n",
		"/etc/os-release":     "ID=rocky\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n",
		"/etc/selinux/config": "# comment\nSELINUX=Enforcing\n",
		"/etc/fstab":          "/dev/mapper/cryptswap none swap sw 0 0\n/dev/mapper/rl-swap none swap defaults 0 0\n",
		"/etc/crypttab":       "cryptswap /dev/sda2 /dev/urandom swap,cipher=aes-xts-plain64\n",
		"/sys/fs/cgroup/":     "", // an empty mount point
		"/lib/modules/5.14.0-427.el9.x86_64/modules.dep":     "kernel/net/sctp/sctp.ko.xz:\n",
		"/lib/modules/5.14.0-427.el9.x86_64/modules.builtin": "",
	}
	h, probs := ReadHost(hostfs.Dir(writeTree(t, tree)))
	eqStrings(t, "problems", problemStrings(probs), nil)
	eqStrings(t, "unread", unreadFacts(h), []string{"apparmor", "cgroup", "listening", "modules-loaded", "swap"})
	checkEqual(t, "kernel", h.Kernel, &nodeinfo.Kernel{Release: "5.14.0-427.el9.x86_64", Source: loc("/lib/modules/5.14.0-427.el9.x86_64", 0)})
	checkEqual(t, "os", h.OS, &nodeinfo.OSRelease{ID: "rocky", IDLike: []string{"rhel", "centos", "fedora"}, VersionID: "9.4", Source: loc("/etc/os-release", 1)})
	checkEqual(t, "selinux", h.LSM.SELinux, &nodeinfo.SELinux{Config: "enforcing", ConfigSource: loc("/etc/selinux/config", 2)})
	if h.Modules.Available["sctp"].Status != "module" || h.Modules.Available["tipc"].Status != "absent" {
		t.Errorf("available: %v", h.Modules.Available)
	}
	checkEqual(t, "fstab", h.Swap.Configured, []nodeinfo.SwapArea{
		{Device: "/dev/mapper/cryptswap", Backing: "dm-crypt", Source: loc("/etc/fstab", 1)},
		// With a crypttab, an LVM volume may sit on an encrypted device: not told.
		{Device: "/dev/mapper/rl-swap", Source: loc("/etc/fstab", 2)},
	})
	if r, _ := h.Unreadable(nodeinfo.FactCgroup); !strings.Contains(r, "not mounted") {
		t.Errorf("cgroup reason %q", r)
	}

	// Two kernels installed, no /proc: the running one is not known.
	tree["/lib/modules/5.14.0-503.el9.x86_64/modules.dep"] = ""
	h, _ = ReadHost(hostfs.Dir(writeTree(t, tree)))
	if r, unread := h.Unreadable(nodeinfo.FactKernel); !unread || !strings.Contains(r, "2 kernels") {
		t.Errorf("kernel %v, reason %q", h.Kernel, r)
	}

	// Nothing at all.
	h, probs = ReadHost(hostfs.Dir(t.TempDir()))
	eqStrings(t, "empty: problems", problemStrings(probs), nil)
	eqStrings(t, "empty: unread", unreadFacts(h), []string{"apparmor", "cgroup", "fstab", "hostname", "kernel", "listening",
		"modprobe", "modules-available", "modules-loaded", "os", "selinux", "swap"})
}

// TestReadHostRunning reads the machine the test runs on, and checks only what holds on any Linux.
func TestReadHostRunning(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	h, probs := ReadHost(hostfs.Dir("/"))
	for _, p := range probs {
		if strings.HasPrefix(p.File, "/proc/") || strings.HasPrefix(p.File, "/sys/") {
			t.Errorf("problem with a kernel file: %s", p)
		}
	}
	if h.Kernel == nil || !h.Kernel.Running || !releaseOK(h.Kernel.Release) {
		t.Fatalf("kernel = %+v", h.Kernel)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil && strings.TrimSpace(string(b)) != h.Kernel.Release {
		t.Errorf("release %q, /proc says %q", h.Kernel.Release, b)
	}
	if h.Hostname == "" || h.HostnameSource != "/proc/sys/kernel/hostname" {
		t.Errorf("hostname %q from %q", h.Hostname, h.HostnameSource)
	}
	for _, f := range []nodeinfo.Fact{nodeinfo.FactKernel, nodeinfo.FactListening, nodeinfo.FactSwap, nodeinfo.FactModulesLoaded} {
		if r, unread := h.Unreadable(f); unread {
			t.Errorf("%s unread: %s", f, r)
		}
	}
	for _, s := range h.Listening {
		if _, err := netip.ParseAddr(s.Address); err != nil || s.Port < 0 || s.Port > 65535 {
			t.Errorf("socket %+v", s)
		}
	}
	if h.Modules.Loadable == (h.Modules.LoadedSource == "") {
		t.Errorf("loadable %v, /proc/modules read from %q", h.Modules.Loadable, h.Modules.LoadedSource)
	}
}

func TestHostDeepCopy(t *testing.T) {
	h, _ := ReadHost(hostfs.Dir(writeTree(t, weakHost)))
	h.Unread = []nodeinfo.UnreadFact{{Fact: "x", Paths: []string{"/a"}, Reason: "r"}}
	h.OS.IDLike = []string{"rhel"}
	want := jsonOf(t, h)
	c := h.DeepCopyObject().(*nodeinfo.Host)
	if got := jsonOf(t, c); got != want {
		t.Fatalf("copy differs:\n%s", got)
	}
	c.Kernel.Release = "x"
	c.OS.IDLike[0] = "x"
	c.Cgroup.Version = 9
	c.LSM.SELinux.Mode = "x"
	c.Modules.Rules[0].Module = "x"
	c.Modules.Loaded[0].Name = "x"
	c.Modules.Available["dccp"] = nodeinfo.ModuleAvailability{}
	c.Modules.ConfigFiles[0] = "x"
	c.Listening[0].Port = 1
	c.ListeningSources[0] = "x"
	c.Docker.Hosts[0].URL = "x"
	c.Swap.Active[0].Device = "x"
	c.Swap.Configured[0].Device = "x"
	c.Unread[0].Paths[0] = "x"
	if got := jsonOf(t, h); got != want {
		t.Errorf("changing the copy changed the original")
	}
	if (*nodeinfo.Host)(nil).DeepCopy() != nil {
		t.Error("DeepCopy(nil) != nil")
	}
}

func TestParseHexAddrPort(t *testing.T) {
	for _, c := range []struct {
		in        string
		v6, big   bool
		want      string
		wantError bool
	}{
		{in: "0100007F:0CEA", want: "127.0.0.1:3306"},
		{in: "7F000001:0CEA", big: true, want: "127.0.0.1:3306"},
		{in: "00000000:0000", want: "0.0.0.0:0"},
		{in: "0101A8C0:FFFF", want: "192.168.1.1:65535"},
		{in: "00000000000000000000000000000000:0016", v6: true, want: "[::]:22"},
		{in: "00000000000000000000000001000000:0016", v6: true, want: "[::1]:22"},
		{in: "00000000000000000000000000000001:0016", v6: true, big: true, want: "[::1]:22"},
		{in: "B80D0120000000000000000001000000:01BB", v6: true, want: "[2001:db8::1]:443"},
		{in: "0000000000000000FFFF00000100007F:0017", v6: true, want: "[::ffff:127.0.0.1]:23"},
		{in: "000080FE00000000FF57050202EDFFFE:0050", v6: true, want: "[fe80::205:57ff:feff:ed02]:80"},
		{in: "0100007F", wantError: true},
		{in: "0100007F:CEA", wantError: true},
		{in: "0100007G:0CEA", wantError: true},
		{in: "0100007F:0CEA", v6: true, wantError: true},
		{in: "0100007F:XXXX", wantError: true},
	} {
		a, p, err := parseHexAddrPort(c.in, c.v6, c.big)
		if c.wantError {
			if err == nil {
				t.Errorf("%s: no error", c.in)
			}
			continue
		}
		if got := netip.AddrPortFrom(a, uint16(p)).String(); err != nil || got != c.want {
			t.Errorf("%s (v6 %v, big %v) = %s, %v; want %s", c.in, c.v6, c.big, got, err, c.want)
		}
	}
}

func TestParseModprobeConf(t *testing.T) {
	in := "# comment\n" +
		"  blacklist  usb-storage  \n" +
		"install dccp /bin/false\n" +
		"install in /bin/true # a module named like the directive\n" +
		"install rds \\\n" +
		"  /bin/false\n" +
		"softdep sctp pre: libcrc32c\n" +
		"install\n" +
		"blacklist a b\n" +
		"include other.conf\n"
	var warns []string
	rules := parseModprobeConf("/etc/modprobe.d/x.conf", []byte(in), func(line int, msg string) {
		warns = append(warns, strings.Fields(msg)[0]+"@"+string(rune('0'+line)))
	})
	checkEqual(t, "rules", rules, []nodeinfo.ModuleRule{
		{Module: "usb_storage", Directive: "blacklist", Location: loc("/etc/modprobe.d/x.conf", 2)},
		{Module: "dccp", Directive: "install", Command: "/bin/false", Location: loc("/etc/modprobe.d/x.conf", 3)},
		{Module: "in", Directive: "install", Command: "/bin/true # a module named like the directive", Location: loc("/etc/modprobe.d/x.conf", 4)},
		{Module: "rds", Directive: "install", Command: "/bin/false", Location: loc("/etc/modprobe.d/x.conf", 5)},
	})
	eqStrings(t, "warnings", warns, []string{"install@8", "blacklist@9", "unknown@:"})
}

func TestShellUnquote(t *testing.T) {
	for in, want := range map[string]string{
		``: ``, `debian`: `debian`, `"Debian GNU/Linux 12"`: `Debian GNU/Linux 12`, `'a "b"'`: `a "b"`,
		`"a \"b\" \\ \$x"`: `a "b" \ $x`, `"a\nb"`: `a\nb`,
	} {
		if got, err := shellUnquote(in); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`"open`, `'open`, `"a"b`, `a b`, `'a'b'`, `$HOME`} {
		if got, err := shellUnquote(in); err == nil {
			t.Errorf("%s = %q, want an error", in, got)
		}
	}
}

func TestConfiguredBacking(t *testing.T) {
	crypt := map[string]bool{"cryptswap": true}
	for _, c := range []struct {
		dev   string
		crypt map[string]bool
		want  string
	}{
		{"/dev/zram0", crypt, "zram"},
		{"/dev/mapper/cryptswap", crypt, "dm-crypt"},
		{"/dev/mapper/vg-swap", crypt, ""},
		{"UUID=abc", crypt, ""},
		{"/dev/sda2", crypt, "disk"},
		{"/dev/sda2", nil, "disk"},
		{"UUID=abc", nil, "disk"},
		{"/dev/mapper/vg-swap", nil, "disk"},
		{"/swapfile", nil, "file"},
		{"/swapfile", crypt, "file"},
	} {
		if got := configuredBacking(c.dev, c.crypt); got != c.want {
			t.Errorf("%s (crypttab %v) = %q, want %q", c.dev, c.crypt, got, c.want)
		}
	}
}

// FuzzHostFiles feeds arbitrary content to the parsers of /proc/net/tcp and tcp6, modprobe.d
// files and the other host files: nothing may panic, and what they return stays within the input.
func FuzzHostFiles(f *testing.F) {
	for _, s := range []string{procNetTCP, procNetTCP6, weakHost["/etc/modprobe.d/local.conf"], hardenedHost["/etc/modprobe.d/cis.conf"],
		weakHost["/proc/swaps"], weakHost["/etc/fstab"], weakHost["/etc/os-release"], weakHost["/etc/docker/daemon.json"],
		weakHost["/proc/modules"], weakHost["/lib/modules/5.4.0-150-generic/modules.dep"], weakHost["/proc/cmdline"],
		"install a \\", "\\\n\\\n", "   0: :0947 :0 0A a b c 0 0 1", "/a\\0401 file 1 0 0"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := len(hostLines(data))
		inFile := func(what string, l inventory.Location) {
			if l.Line < 0 || l.Line > lines {
				t.Fatalf("%s: line %d of %d", what, l.Line, lines)
			}
		}
		warn := func(line int, msg string) {
			if line < 1 || line > lines || msg == "" {
				t.Fatalf("warning %q at line %d of %d", msg, line, lines)
			}
		}
		for _, fam := range []string{"tcp", "tcp6"} {
			for _, big := range []bool{false, true} {
				for _, s := range parseProcNetTCP("/proc/net/"+fam, fam, data, big, warn) {
					inFile("socket", s.Source)
					a, err := netip.ParseAddr(s.Address)
					if err != nil || a.Is4() != (fam == "tcp") || s.Port < 0 || s.Port > 65535 || s.UID < 0 {
						t.Fatalf("socket %+v", s)
					}
				}
			}
		}
		for _, r := range parseModprobeConf("/etc/modprobe.d/f.conf", data, warn) {
			inFile("rule", r.Location)
			if r.Module == "" || strings.Contains(r.Module, "-") || strings.ContainsAny(r.Module, " \t\n") ||
				(r.Directive == nodeinfo.DirectiveInstall) == (r.Command == "") {
				t.Fatalf("rule %+v", r)
			}
		}
		for _, r := range parseCmdlineBlacklists("/proc/cmdline", data) {
			if r.Module == "" || strings.ContainsAny(r.Module, ", \t\n-") {
				t.Fatalf("cmdline rule %+v", r)
			}
		}
		parseShellVars(data, warn)
		for _, a := range parseProcSwaps("/proc/swaps", data, warn) {
			inFile("swap", a.Source)
		}
		for _, a := range parseFstabSwaps("/etc/fstab", data, warn) {
			inFile("fstab", a.Source)
		}
		for _, m := range parseProcModules("/proc/modules", data, warn) {
			inFile("module", m.Location)
		}
		for _, av := range moduleAvailability("dep", data, "builtin", data, func(_ string, line int, msg string) { warn(line, msg) }) {
			inFile("availability", av.Location)
		}
		if d, err := parseDockerDaemon("daemon.json", data); err == nil {
			for _, h := range d.Hosts {
				inFile("docker host", h.Location)
			}
		}
		unescapeOctal(string(data))
	})
}
