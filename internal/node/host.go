package node

import (
	"maps"
	"slices"

	"github.com/kube4c/kube4c/internal/inventory"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Host is the node's operating system as `kube4c node` read it: facts, never judgments. Every
// fact says where it was read (a node path, with a line when one is meaningful); facts that could
// not be read are listed in Unread, so that an analyzer leaves the controls that need them
// unevaluated instead of passing them (a copy of a node's filesystem has no /proc or /sys).
type Host struct {
	metav1.TypeMeta `json:",inline"`
	// Hostname of the node ("" when neither /proc/sys/kernel/hostname nor /etc/hostname could be
	// read); HostnameSource is the file it came from.
	Hostname       string `json:"hostname,omitempty"`
	HostnameSource string `json:"hostnameSource,omitempty"`

	Kernel *Kernel    `json:"kernel,omitempty"`
	OS     *OSRelease `json:"os,omitempty"`
	Cgroup *Cgroups   `json:"cgroup,omitempty"`
	// LSM holds what is known of the Linux security modules AppArmor and SELinux.
	LSM SecurityModules `json:"lsm"`
	// Modules holds the kernel modules: the modprobe rules that disable some, those loaded, and
	// whether the kernel ships the modules of TrackedModules.
	Modules KernelModules `json:"modules"`
	// Listening are the TCP sockets in the LISTEN state (/proc/net/tcp and tcp6) of the host's
	// network namespace, in file order; ListeningSources are the files they were read from.
	Listening        []ListeningSocket `json:"listening,omitempty"`
	ListeningSources []string          `json:"listeningSources,omitempty"`
	// Docker is /etc/docker/daemon.json, when present.
	Docker *DockerDaemon `json:"docker,omitempty"`
	// Swap holds the swap areas in use and those /etc/fstab configures.
	Swap Swap `json:"swap"`

	// Unread lists the facts that could not be read, and why.
	Unread []UnreadFact `json:"unread,omitempty"`
}

// Fact names a group of host facts that is read, or not, as a whole.
type Fact string

// Facts of a Host.
const (
	FactHostname Fact = "hostname"
	FactKernel   Fact = "kernel" // the running kernel's release
	FactOS       Fact = "os"     // /etc/os-release
	FactCgroup   Fact = "cgroup" // the cgroup version
	FactAppArmor Fact = "apparmor"
	FactSELinux  Fact = "selinux"
	// FactModprobe is the modprobe configuration (the modprobe.d directories and the kernel
	// command line).
	FactModprobe Fact = "modprobe"
	// FactModulesLoaded is the list of loaded modules (/proc/modules).
	FactModulesLoaded Fact = "modules-loaded"
	// FactModulesAvailable is what /lib/modules/RELEASE says the kernel can load.
	FactModulesAvailable Fact = "modules-available"
	FactListening        Fact = "listening" // listening TCP sockets
	FactSwap             Fact = "swap"      // swap areas in use (/proc/swaps)
	FactFstab            Fact = "fstab"     // /etc/fstab
)

// UnreadFact is a fact that could not be read: the paths tried and why they failed.
type UnreadFact struct {
	Fact   Fact     `json:"fact"`
	Paths  []string `json:"paths,omitempty"`
	Reason string   `json:"reason"`
}

// Unreadable reports whether a fact could not be read, and why.
func (h *Host) Unreadable(f Fact) (reason string, unread bool) {
	for _, u := range h.Unread {
		if u.Fact == f {
			return u.Reason, true
		}
	}
	return "", false
}

// Kernel is the release of the node's kernel.
type Kernel struct {
	// Release as uname -r prints it ("6.8.0-45-generic").
	Release string             `json:"release"`
	Source  inventory.Location `json:"source"`
	// Running is true when the release was read from the running kernel (/proc); false when it is
	// that of the only kernel installed under /lib/modules of a copied tree.
	Running bool `json:"running"`
}

// OSRelease is what /etc/os-release (or /usr/lib/os-release) says of the distribution.
type OSRelease struct {
	ID         string             `json:"id,omitempty"`
	IDLike     []string           `json:"idLike,omitempty"`
	VersionID  string             `json:"versionID,omitempty"`
	PrettyName string             `json:"prettyName,omitempty"`
	Source     inventory.Location `json:"source"`
}

// Cgroups is the cgroup hierarchy mounted at /sys/fs/cgroup.
type Cgroups struct {
	// Version is 2 for the unified hierarchy (cgroup.controllers at the top), 1 for v1 controller
	// hierarchies.
	Version int `json:"version"`
	// Hybrid is true for v1 controllers with a v2 hierarchy mounted at /sys/fs/cgroup/unified,
	// which the kubelet treats as v1.
	Hybrid bool               `json:"hybrid,omitempty"`
	Source inventory.Location `json:"source"`
}

// SecurityModules is what is known of the Linux security modules the container runtimes use.
type SecurityModules struct {
	// Active is the kernel's list of active security modules (/sys/kernel/security/lsm), nil when
	// it could not be read.
	Active       []string `json:"active,omitempty"`
	ActiveSource string   `json:"activeSource,omitempty"`
	// AppArmor and SELinux are nil when their state could not be read.
	AppArmor *AppArmor `json:"apparmor,omitempty"`
	SELinux  *SELinux  `json:"selinux,omitempty"`
}

// AppArmor is the state of AppArmor in the running kernel.
type AppArmor struct {
	Enabled bool               `json:"enabled"`
	Source  inventory.Location `json:"source"`
}

// SELinux modes.
const (
	SELinuxEnforcing  = "enforcing"
	SELinuxPermissive = "permissive"
	SELinuxDisabled   = "disabled"
)

// SELinux is the state of SELinux: the running kernel's mode, when /sys could be read, and the
// mode /etc/selinux/config sets at boot.
type SELinux struct {
	// Mode is SELinuxEnforcing, SELinuxPermissive or SELinuxDisabled (not active in the running
	// kernel); "" when only the configuration was read.
	Mode   string             `json:"mode,omitempty"`
	Source inventory.Location `json:"source,omitempty"`
	// Config is SELINUX= of /etc/selinux/config, "" when the file or the setting is absent.
	Config       string             `json:"config,omitempty"`
	ConfigSource inventory.Location `json:"configSource,omitempty"`
}

// TrackedModules are the kernel modules whose availability a Host records: network protocols
// that Linux hardening benchmarks want unavailable.
var TrackedModules = []string{"dccp", "sctp", "rds", "tipc"}

// KernelModules holds what the node says of kernel modules. Module names are normalised the way
// modprobe compares them: '-' is '_'.
type KernelModules struct {
	// Rules are the modprobe directives that can keep a module from loading — "install MODULE
	// COMMAND" and "blacklist MODULE" of the modprobe.d files modprobe reads, in the order it reads
	// them — and the module_blacklist= and modprobe.blacklist= lists of the kernel command line.
	Rules []ModuleRule `json:"rules,omitempty"`
	// ConfigFiles are the modprobe.d files read, in modprobe's order.
	ConfigFiles []string `json:"configFiles,omitempty"`
	// Loaded are the loaded modules (/proc/modules), in file order.
	Loaded       []LoadedModule `json:"loaded,omitempty"`
	LoadedSource string         `json:"loadedSource,omitempty"`
	// Loadable is false when the running kernel has no loadable module support (/proc is readable
	// but /proc/modules does not exist): nothing can be loaded, whatever modprobe says.
	Loadable bool `json:"loadable"`
	// Available says, for each of TrackedModules, whether the running kernel ships it.
	Available map[string]ModuleAvailability `json:"available,omitempty"`
}

// Directives of module rules.
const (
	DirectiveInstall   = "install"   // modprobe.d: install MODULE COMMAND...
	DirectiveBlacklist = "blacklist" // modprobe.d: blacklist MODULE
	// DirectiveKernelBlacklist is module_blacklist= of the kernel command line: the kernel refuses
	// to load the module.
	DirectiveKernelBlacklist = "module_blacklist"
	// DirectiveModprobeBlacklist is modprobe.blacklist= of the kernel command line, which modprobe
	// treats as a blacklist directive.
	DirectiveModprobeBlacklist = "modprobe.blacklist"
)

// ModuleRule is one directive about a module.
type ModuleRule struct {
	Module    string `json:"module"`
	Directive string `json:"directive"`
	// Command is the command of an install directive, as written.
	Command  string             `json:"command,omitempty"`
	Location inventory.Location `json:"location"`
}

// LoadedModule is a line of /proc/modules.
type LoadedModule struct {
	Name     string             `json:"name"`
	Location inventory.Location `json:"location"`
}

// Module availability.
const (
	ModuleFile    = "module"  // listed in modules.dep: a loadable module file
	ModuleBuiltin = "builtin" // listed in modules.builtin: compiled into the kernel
	ModuleAbsent  = "absent"  // in neither: the kernel has no such module
)

// ModuleAvailability says whether the kernel ships a module, and where that was read.
type ModuleAvailability struct {
	Status   string             `json:"status"`
	Location inventory.Location `json:"location"`
}

// ListeningSocket is a TCP socket in the LISTEN state.
type ListeningSocket struct {
	// Family is "tcp" (IPv4, /proc/net/tcp) or "tcp6" (/proc/net/tcp6).
	Family string `json:"family"`
	// Address is the local address ("0.0.0.0", "::", "127.0.0.1", "::ffff:10.0.0.1").
	Address string `json:"address"`
	Port    int    `json:"port"`
	UID     int    `json:"uid"`
	Inode   uint64 `json:"inode,omitempty"`
	// Source is the line of /proc/net/tcp or tcp6.
	Source inventory.Location `json:"source"`
}

// DockerDaemon is what /etc/docker/daemon.json sets about the API's endpoints.
type DockerDaemon struct {
	// Hosts are the "hosts" entries (tcp://0.0.0.0:2375, unix:///var/run/docker.sock, fd://).
	Hosts []DockerHost `json:"hosts,omitempty"`
	// TLSVerify is "tlsverify": clients must present a certificate signed by "tlscacert".
	TLSVerify bool               `json:"tlsverify,omitempty"`
	Source    inventory.Location `json:"source"`
}

// DockerHost is one "hosts" entry of daemon.json.
type DockerHost struct {
	URL      string             `json:"url"`
	Location inventory.Location `json:"location"`
}

// Swap holds the swap areas of the node.
type Swap struct {
	// Active are the swap areas in use (/proc/swaps).
	Active []SwapArea `json:"active,omitempty"`
	// Configured are the swap entries of /etc/fstab (with noauto ones: NoAuto is set).
	Configured []SwapArea `json:"configured,omitempty"`
}

// Backing of swap areas.
const (
	SwapZram    = "zram"     // compressed RAM (/dev/zramN): nothing reaches a disk
	SwapDMCrypt = "dm-crypt" // a device-mapper device over dm-crypt (directly or through LVM)
	SwapDisk    = "disk"     // a disk partition or device without encryption kube4c can see
	SwapFile    = "file"     // a file, on a filesystem kube4c does not follow
)

// SwapArea is a swap device or file.
type SwapArea struct {
	// Device is the path as listed (/dev/dm-1, /swapfile, UUID=..., /dev/mapper/cryptswap).
	Device string `json:"device"`
	// Type is "partition" or "file" for areas in use ("" for fstab entries).
	Type    string `json:"type,omitempty"`
	SizeKiB int64  `json:"sizeKiB,omitempty"`
	// Backing is SwapZram, SwapDMCrypt, SwapDisk or SwapFile; "" when it could not be told.
	Backing string `json:"backing,omitempty"`
	// NoAuto is set for fstab entries with the noauto option (not enabled at boot).
	NoAuto bool               `json:"noauto,omitempty"`
	Source inventory.Location `json:"source"`
}

// DeepCopyObject implements runtime.Object.
func (h *Host) DeepCopyObject() runtime.Object {
	return h.DeepCopy()
}

// DeepCopy returns a copy of the host that shares nothing with it.
func (h *Host) DeepCopy() *Host {
	if h == nil {
		return nil
	}
	out := *h
	out.Kernel = hostCopyOf(h.Kernel)
	if h.OS != nil {
		os := *h.OS
		os.IDLike = slices.Clone(h.OS.IDLike)
		out.OS = &os
	}
	out.Cgroup = hostCopyOf(h.Cgroup)
	out.LSM.Active = slices.Clone(h.LSM.Active)
	out.LSM.AppArmor = hostCopyOf(h.LSM.AppArmor)
	out.LSM.SELinux = hostCopyOf(h.LSM.SELinux)
	out.Modules.Rules = slices.Clone(h.Modules.Rules)
	out.Modules.ConfigFiles = slices.Clone(h.Modules.ConfigFiles)
	out.Modules.Loaded = slices.Clone(h.Modules.Loaded)
	out.Modules.Available = maps.Clone(h.Modules.Available)
	out.Listening = slices.Clone(h.Listening)
	out.ListeningSources = slices.Clone(h.ListeningSources)
	if h.Docker != nil {
		d := *h.Docker
		d.Hosts = slices.Clone(h.Docker.Hosts)
		out.Docker = &d
	}
	out.Swap.Active = slices.Clone(h.Swap.Active)
	out.Swap.Configured = slices.Clone(h.Swap.Configured)
	if h.Unread != nil {
		out.Unread = make([]UnreadFact, len(h.Unread))
		for i, u := range h.Unread {
			u.Paths = slices.Clone(u.Paths)
			out.Unread[i] = u
		}
	}
	return &out
}

// hostCopyOf copies the value p points to (whose fields hold no references).
func hostCopyOf[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
