package node

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/kube4c/kube4c/internal/hostfs"
	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Bounds on what ReadHost keeps from one node (files are already bounded by hostfs.MaxFileSize).
const (
	maxHostRules     = 4096 // modprobe rules
	maxHostConfFiles = 512  // modprobe.d files
	maxHostSockets   = 4096 // listening sockets
	maxHostSwaps     = 256  // swap areas
	maxHostModules   = 8192 // loaded modules
	maxDMDepth       = 8    // device-mapper layers followed to find dm-crypt
	maxHostProblems  = 100  // problems reported per file
)

// modprobeDirs are the directories modprobe (kmod) reads configuration from, highest priority
// first: a file shadows files of the same name in later directories (modprobe.d(5)).
var modprobeDirs = []string{"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"}

// hostReader carries the state of one ReadHost.
type hostReader struct {
	fsys     hostfs.FS
	h        *nodeinfo.Host
	problems []inventory.Problem
	perFile  map[string]int // problems reported per file
	// proc is true when the running kernel's /proc could be read.
	proc bool
	// bigEndian is the byte order of the node's CPU, for /proc/net/tcp addresses.
	bigEndian bool
}

// ReadHost reads the node's operating system: its hostname, kernel release, distribution, cgroup
// version, AppArmor and SELinux state, the modprobe rules and loaded kernel modules, the listening
// TCP sockets, the Docker daemon's API endpoints and the swap areas. Paths are node paths read
// through fsys. Files that do not exist are not problems (a copy of a node has no /proc): the
// facts they hold are listed in Host.Unread. Malformed lines are warnings naming file and line.
func ReadHost(fsys hostfs.FS) (*nodeinfo.Host, []inventory.Problem) {
	r := &hostReader{fsys: fsys, perFile: map[string]int{},
		h: &nodeinfo.Host{TypeMeta: metav1.TypeMeta{APIVersion: nodeinfo.APIVersion, Kind: nodeinfo.KindHost}}}
	r.kernel()
	r.hostname()
	r.osRelease()
	r.cgroup()
	r.securityModules()
	r.modules()
	r.listening()
	r.dockerDaemon()
	r.swap()
	return r.h, r.problems
}

func (r *hostReader) warn(file string, line int, format string, args ...any) {
	r.perFile[file]++
	switch n := r.perFile[file]; {
	case n > maxHostProblems+1:
		return
	case n == maxHostProblems+1:
		r.problems = append(r.problems, inventory.Problem{Severity: "warning", File: file,
			Message: fmt.Sprintf("more than %d problems; the rest are not reported", maxHostProblems)})
		return
	}
	r.problems = append(r.problems, inventory.Problem{Severity: "warning", File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// read returns a file's content, or the error.
func (r *hostReader) read(p string) ([]byte, error) { return r.fsys.ReadFile(p) }

// exists reports whether a path exists (following links).
func (r *hostReader) exists(p string) bool {
	_, err := r.fsys.Stat(p)
	return err == nil
}

// unread records a fact as unread. errs are the errors of the paths tried; those other than "does
// not exist" (permission denied, a file too large) are also warnings, since they hide a fact that
// is there.
func (r *hostReader) unread(f nodeinfo.Fact, paths []string, errs []error, reason string) {
	var other []string
	for _, err := range errs {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			other = append(other, err.Error())
			var pe *hostfs.PathError
			file := ""
			if errors.As(err, &pe) {
				file = pe.Path
			}
			r.warn(file, 0, "%s not read: %v", f, err)
		}
	}
	if reason == "" {
		if len(other) > 0 {
			reason = strings.Join(other, "; ")
		} else {
			reason = "not found: " + strings.Join(paths, ", ")
		}
	}
	r.h.Unread = append(r.h.Unread, nodeinfo.UnreadFact{Fact: f, Paths: paths, Reason: reason})
}

// hostLines splits a file into lines without their line endings.
func hostLines(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

// --- kernel, hostname, distribution ---

// releaseOK accepts what uname -r can print.
func releaseOK(s string) bool {
	return s != "" && len(s) <= 256 && !strings.ContainsAny(s, " \t\n/") && s[0] >= '0' && s[0] <= '9'
}

func (r *hostReader) kernel() {
	var errs []error
	const osrelease = "/proc/sys/kernel/osrelease"
	b, err := r.read(osrelease)
	if err == nil {
		r.proc = true
		if rel := strings.TrimSpace(string(b)); releaseOK(rel) {
			r.h.Kernel = &nodeinfo.Kernel{Release: rel, Source: inventory.Location{File: osrelease, Line: 1}, Running: true}
			return
		}
		r.warn(osrelease, 1, "not a kernel release: %q", truncate(string(b), 80))
	} else {
		errs = append(errs, err)
	}
	const version = "/proc/version"
	if b, err := r.read(version); err == nil {
		r.proc = true
		// "Linux version 6.1.0-25-amd64 (debian-kernel@lists.debian.org) ..."
		if f := strings.Fields(string(b)); len(f) >= 3 && f[0] == "Linux" && f[1] == "version" && releaseOK(f[2]) {
			r.h.Kernel = &nodeinfo.Kernel{Release: f[2], Source: inventory.Location{File: version, Line: 1}, Running: true}
			return
		}
		r.warn(version, 1, "does not start with \"Linux version RELEASE\"")
	} else {
		errs = append(errs, err)
	}
	// A copy of a node has no /proc: the kernel is the one installed, when there is only one.
	var releases []string
	var where string
	for _, dir := range []string{"/lib/modules", "/usr/lib/modules"} {
		names, err := r.fsys.ReadDir(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, n := range names {
			if releaseOK(n) && !slices.Contains(releases, n) {
				if st, err := r.fsys.Stat(dir + "/" + n); err == nil && st.Mode.IsDir() {
					releases = append(releases, n)
					where = dir
				}
			}
		}
	}
	paths := []string{osrelease, version, "/lib/modules", "/usr/lib/modules"}
	switch len(releases) {
	case 1:
		r.h.Kernel = &nodeinfo.Kernel{Release: releases[0], Source: inventory.Location{File: where + "/" + releases[0]}}
	case 0:
		r.unread(nodeinfo.FactKernel, paths, errs, "")
	default:
		r.unread(nodeinfo.FactKernel, paths, nil, fmt.Sprintf("/proc is not readable and %d kernels are installed (%s): the running one cannot be told",
			len(releases), strings.Join(releases, ", ")))
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func (r *hostReader) hostname() {
	// /proc/sys/kernel/hostname is that of the reader's UTS namespace: right on the host itself,
	// wrong for kube4c in a pod reading the host's filesystem under --root.
	paths := []string{"/proc/sys/kernel/hostname", "/etc/hostname"}
	if r.fsys.String() != "/" {
		paths[0], paths[1] = paths[1], paths[0]
	}
	var errs []error
	for _, p := range paths {
		b, err := r.read(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i, l := range hostLines(b) {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			if !hostnameOK(l) {
				r.warn(p, i+1, "not a hostname: %q", truncate(l, 80))
				break
			}
			r.h.Hostname, r.h.HostnameSource = l, p
			return
		}
	}
	r.unread(nodeinfo.FactHostname, paths, errs, "")
}

func hostnameOK(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '.' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func (r *hostReader) osRelease() {
	paths := []string{"/etc/os-release", "/usr/lib/os-release"}
	var errs []error
	for _, p := range paths {
		b, err := r.read(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		vars, lines := parseShellVars(b, func(line int, msg string) { r.warn(p, line, "%s", msg) })
		os := &nodeinfo.OSRelease{ID: vars["ID"], VersionID: vars["VERSION_ID"], PrettyName: vars["PRETTY_NAME"],
			Source: inventory.Location{File: p, Line: lines["ID"]}}
		if like := strings.Fields(vars["ID_LIKE"]); len(like) > 0 {
			os.IDLike = like
		}
		if os.ID == "" {
			os.ID = "linux" // os-release(5): the default when ID is not set
		}
		r.h.OS = os
		return
	}
	r.unread(nodeinfo.FactOS, paths, errs, "")
}

// parseShellVars parses KEY=value lines as os-release(5) and /etc/selinux/config write them:
// values may be quoted with " or ' (with \ escapes inside double quotes); # starts a comment line.
// It returns the values and the line of each key.
func parseShellVars(b []byte, warn func(line int, msg string)) (map[string]string, map[string]int) {
	vars, lines := map[string]string{}, map[string]int{}
	for i, l := range hostLines(b) {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || !shellName(k) {
			warn(i+1, "not a KEY=value assignment")
			continue
		}
		val, err := shellUnquote(v)
		if err != nil {
			warn(i+1, fmt.Sprintf("%s: %v", k, err))
			continue
		}
		vars[k], lines[k] = val, i+1
	}
	return vars, lines
}

func shellName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func shellUnquote(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch v[0] {
	case '\'':
		if len(v) < 2 || v[len(v)-1] != '\'' || strings.Contains(v[1:len(v)-1], "'") {
			return "", errors.New("unbalanced single quotes")
		}
		return v[1 : len(v)-1], nil
	case '"':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			switch c := v[i]; c {
			case '\\':
				if i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0 {
					i++
					b.WriteByte(v[i])
				} else {
					b.WriteByte(c)
				}
			case '"':
				if i != len(v)-1 {
					return "", errors.New("text after the closing quote")
				}
				return b.String(), nil
			default:
				b.WriteByte(c)
			}
		}
		return "", errors.New("unbalanced double quotes")
	}
	if strings.ContainsAny(v, " \t\"'`$\\") {
		return "", errors.New("unquoted value with spaces or shell characters")
	}
	return v, nil
}

// --- cgroups and security modules ---

// cgroupV1Dirs are the hierarchies systemd mounts under /sys/fs/cgroup on cgroup v1 hosts.
var cgroupV1Dirs = []string{"cpu", "cpuacct", "cpu,cpuacct", "cpuset", "memory", "blkio", "devices", "freezer",
	"pids", "net_cls", "net_prio", "net_cls,net_prio", "perf_event", "hugetlb", "rdma", "misc", "systemd"}

func (r *hostReader) cgroup() {
	const dir = "/sys/fs/cgroup"
	const controllers = dir + "/cgroup.controllers"
	if r.exists(controllers) {
		r.h.Cgroup = &nodeinfo.Cgroups{Version: 2, Source: inventory.Location{File: controllers}}
		return
	}
	names, err := r.fsys.ReadDir(dir)
	if err != nil {
		r.unread(nodeinfo.FactCgroup, []string{controllers, dir}, []error{err}, "")
		return
	}
	v1 := false
	for _, n := range names {
		if slices.Contains(cgroupV1Dirs, n) {
			v1 = true
		}
	}
	if !v1 {
		// An empty mount point (a copy of the node) or something kube4c does not know.
		r.unread(nodeinfo.FactCgroup, []string{controllers, dir}, nil,
			dir+" holds neither cgroup.controllers (cgroup v2) nor cgroup v1 hierarchies: cgroups are not mounted under the root read")
		return
	}
	r.h.Cgroup = &nodeinfo.Cgroups{Version: 1, Hybrid: slices.Contains(names, "unified"), Source: inventory.Location{File: dir}}
}

// sysfs reports whether the node's /sys is there to read (it is missing from copies).
func (r *hostReader) sysfs() bool {
	names, err := r.fsys.ReadDir("/sys/module")
	return err == nil && len(names) > 0
}

func (r *hostReader) securityModules() {
	lsm := &r.h.LSM
	const lsmFile = "/sys/kernel/security/lsm"
	activeKnown := false
	if b, err := r.read(lsmFile); err == nil {
		activeKnown = true
		lsm.Active = []string{}
		lsm.ActiveSource = lsmFile
		for _, m := range strings.Split(strings.TrimSpace(string(b)), ",") {
			if m = strings.TrimSpace(m); m == "" {
				continue
			}
			if !shellName(m) {
				r.warn(lsmFile, 1, "not a security module name: %q", truncate(m, 40))
				continue
			}
			lsm.Active = append(lsm.Active, m)
		}
	}
	sys := r.sysfs()

	// AppArmor: the active list says it; else the module parameter of a kernel built with AppArmor;
	// else, with /sys there, a kernel without /sys/module/apparmor was built without it.
	const aaParam = "/sys/module/apparmor/parameters/enabled"
	var aaErrs []error
	switch b, err := r.read(aaParam); {
	case activeKnown:
		lsm.AppArmor = &nodeinfo.AppArmor{Enabled: slices.Contains(lsm.Active, "apparmor"), Source: inventory.Location{File: lsmFile}}
	case err == nil && (strings.TrimSpace(string(b)) == "Y" || strings.TrimSpace(string(b)) == "N"):
		lsm.AppArmor = &nodeinfo.AppArmor{Enabled: strings.TrimSpace(string(b)) == "Y", Source: inventory.Location{File: aaParam, Line: 1}}
	case err == nil:
		r.warn(aaParam, 1, "expected Y or N, found %q", truncate(string(b), 40))
	case sys && errors.Is(err, fs.ErrNotExist) && !r.exists("/sys/module/apparmor"):
		lsm.AppArmor = &nodeinfo.AppArmor{Enabled: false, Source: inventory.Location{File: "/sys/module"}}
	default:
		aaErrs = append(aaErrs, err)
	}
	if lsm.AppArmor == nil {
		r.unread(nodeinfo.FactAppArmor, []string{lsmFile, aaParam}, aaErrs, "")
	}

	// SELinux: the running mode from selinuxfs; the kernel creates its mount point /sys/fs/selinux
	// only when SELinux is enabled, so with /sys there and no mount point it is disabled.
	se := &nodeinfo.SELinux{}
	const enforce = "/sys/fs/selinux/enforce"
	var seErrs []error
	switch b, err := r.read(enforce); {
	case err == nil && strings.TrimSpace(string(b)) == "1":
		se.Mode, se.Source = nodeinfo.SELinuxEnforcing, inventory.Location{File: enforce, Line: 1}
	case err == nil && strings.TrimSpace(string(b)) == "0":
		se.Mode, se.Source = nodeinfo.SELinuxPermissive, inventory.Location{File: enforce, Line: 1}
	case err == nil:
		r.warn(enforce, 1, "expected 1 or 0, found %q", truncate(string(b), 40))
	case activeKnown && !slices.Contains(lsm.Active, "selinux"):
		se.Mode, se.Source = nodeinfo.SELinuxDisabled, inventory.Location{File: lsmFile}
	case sys && r.exists("/sys/fs") && !r.exists("/sys/fs/selinux"):
		se.Mode, se.Source = nodeinfo.SELinuxDisabled, inventory.Location{File: "/sys/fs"}
	default:
		seErrs = append(seErrs, err)
	}
	const config = "/etc/selinux/config"
	if b, err := r.read(config); err == nil {
		vars, lines := parseShellVars(b, func(line int, msg string) { r.warn(config, line, "%s", msg) })
		if v, ok := vars["SELINUX"]; ok {
			switch v = strings.ToLower(v); v {
			case nodeinfo.SELinuxEnforcing, nodeinfo.SELinuxPermissive, nodeinfo.SELinuxDisabled:
				se.Config, se.ConfigSource = v, inventory.Location{File: config, Line: lines["SELINUX"]}
			default:
				r.warn(config, lines["SELINUX"], "SELINUX=%s is not enforcing, permissive or disabled", truncate(v, 40))
			}
		}
	}
	if se.Mode != "" || se.Config != "" {
		lsm.SELinux = se
	} else {
		r.unread(nodeinfo.FactSELinux, []string{lsmFile, enforce, config}, seErrs, "")
	}
}

// --- kernel modules ---

// normModule normalises a module name the way modprobe compares them.
func normModule(s string) string { return strings.ReplaceAll(s, "-", "_") }

func (r *hostReader) modules() {
	m := &r.h.Modules
	m.Loadable = true

	// modprobe.d: files by name across the directories, a name taken from the first directory
	// that has it; read in name order.
	files := map[string]string{} // name → path
	listed := false
	var errs []error
	for _, dir := range modprobeDirs {
		names, err := r.fsys.ReadDir(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		listed = true
		for _, n := range names {
			if _, dup := files[n]; dup || !strings.HasSuffix(n, ".conf") || len(files) >= maxHostConfFiles {
				continue
			}
			files[n] = dir + "/" + n
		}
	}
	// With /etc there, missing modprobe.d directories mean there is no configuration.
	if listed || r.exists("/etc") {
		for _, n := range sortedNames(files) {
			p := files[n]
			b, err := r.read(p)
			if err != nil {
				// A file linked to /dev/null masks the name; that is not a problem.
				if st, serr := r.fsys.Stat(p); serr == nil && !st.Mode.IsRegular() {
					continue
				}
				r.warn(p, 0, "modprobe configuration not read: %v", err)
				continue
			}
			m.ConfigFiles = append(m.ConfigFiles, p)
			rules := parseModprobeConf(p, b, func(line int, msg string) { r.warn(p, line, "%s", msg) })
			m.Rules = appendBounded(m.Rules, rules, maxHostRules)
		}
	} else {
		r.unread(nodeinfo.FactModprobe, modprobeDirs, errs, "")
	}
	// The kernel command line.
	if b, err := r.read("/proc/cmdline"); err == nil {
		m.Rules = appendBounded(m.Rules, parseCmdlineBlacklists("/proc/cmdline", b), maxHostRules)
	}

	// Loaded modules. A kernel without loadable module support has no /proc/modules.
	const procModules = "/proc/modules"
	switch b, err := r.read(procModules); {
	case err == nil:
		m.LoadedSource = procModules
		m.Loaded = parseProcModules(procModules, b, func(line int, msg string) { r.warn(procModules, line, "%s", msg) })
	case r.proc && errors.Is(err, fs.ErrNotExist):
		m.Loadable = false
	default:
		r.unread(nodeinfo.FactModulesLoaded, []string{procModules}, []error{err}, "")
	}

	// What the kernel ships: modules.dep lists module files, modules.builtin what is compiled in.
	if r.h.Kernel == nil {
		r.unread(nodeinfo.FactModulesAvailable, nil, nil, "the kernel release is not known")
		return
	}
	rel := r.h.Kernel.Release
	var tried []string
	errs = nil
	for _, dir := range []string{"/lib/modules/" + rel, "/usr/lib/modules/" + rel} {
		dep, builtin := dir+"/modules.dep", dir+"/modules.builtin"
		tried = append(tried, dep, builtin)
		db, err := r.read(dep)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		bb, err := r.read(builtin)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.Available = moduleAvailability(dep, db, builtin, bb, func(file string, line int, msg string) { r.warn(file, line, "%s", msg) })
		return
	}
	r.unread(nodeinfo.FactModulesAvailable, tried, errs, "")
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func appendBounded[T any](s, more []T, limit int) []T {
	if room := limit - len(s); len(more) > room {
		more = more[:max(room, 0)]
	}
	return append(s, more...)
}

// modprobeDirectives are the directives of modprobe.d(5); modprobe ignores other lines.
var modprobeDirectives = []string{"alias", "options", "install", "remove", "blacklist", "softdep", "weakdep"}

// parseModprobeConf returns the install and blacklist directives of a modprobe.d file. Lines
// ending in \ continue on the next; # starts a comment line. Lines modprobe would ignore are
// reported to warn.
func parseModprobeConf(file string, b []byte, warn func(line int, msg string)) []nodeinfo.ModuleRule {
	var rules []nodeinfo.ModuleRule
	lines := hostLines(b)
	for i := 0; i < len(lines); i++ {
		start := i + 1
		l := lines[i]
		for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
			i++
			l = strings.TrimSuffix(l, "\\") + " " + lines[i]
		}
		l = strings.TrimSpace(strings.TrimSuffix(l, "\\"))
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		switch f[0] {
		case nodeinfo.DirectiveInstall:
			if len(f) < 3 {
				warn(start, "install needs a module and a command; modprobe ignores this line")
				continue
			}
			// The command is the rest of the line after the directive and the module.
			rest := strings.TrimSpace(l[len(f[0]):])
			cmd := strings.TrimSpace(rest[len(f[1]):])
			rules = append(rules, nodeinfo.ModuleRule{Module: normModule(f[1]), Directive: nodeinfo.DirectiveInstall, Command: cmd,
				Location: inventory.Location{File: file, Line: start}})
		case nodeinfo.DirectiveBlacklist:
			if len(f) != 2 {
				warn(start, "blacklist takes one module name; modprobe ignores this line")
				continue
			}
			rules = append(rules, nodeinfo.ModuleRule{Module: normModule(f[1]), Directive: nodeinfo.DirectiveBlacklist,
				Location: inventory.Location{File: file, Line: start}})
		default:
			if !slices.Contains(modprobeDirectives, f[0]) {
				warn(start, fmt.Sprintf("unknown directive %q; modprobe ignores this line", truncate(f[0], 40)))
			}
		}
	}
	return rules
}

// parseCmdlineBlacklists returns the module_blacklist= and modprobe.blacklist= lists of a kernel
// command line.
func parseCmdlineBlacklists(file string, b []byte) []nodeinfo.ModuleRule {
	var rules []nodeinfo.ModuleRule
	for _, w := range strings.Fields(string(b)) {
		if w == "--" {
			break // what follows is for init
		}
		k, v, ok := strings.Cut(w, "=")
		if !ok || (k != nodeinfo.DirectiveKernelBlacklist && k != nodeinfo.DirectiveModprobeBlacklist) {
			continue
		}
		for _, mod := range strings.Split(v, ",") {
			if mod = strings.TrimSpace(mod); mod != "" {
				rules = append(rules, nodeinfo.ModuleRule{Module: normModule(mod), Directive: k, Location: inventory.Location{File: file, Line: 1}})
			}
		}
	}
	return rules
}

// parseProcModules returns the modules of /proc/modules ("dccp 45056 0 - Live 0x0...").
func parseProcModules(file string, b []byte, warn func(line int, msg string)) []nodeinfo.LoadedModule {
	var out []nodeinfo.LoadedModule
	for i, l := range hostLines(b) {
		f := strings.Fields(l)
		if len(f) < 3 {
			warn(i+1, "not a module line")
			continue
		}
		if len(out) < maxHostModules {
			out = append(out, nodeinfo.LoadedModule{Name: normModule(f[0]), Location: inventory.Location{File: file, Line: i + 1}})
		}
	}
	return out
}

// moduleName is the module a modules.dep or modules.builtin path names
// ("kernel/net/dccp/dccp.ko.zst" → "dccp").
func moduleName(p string) string {
	base := path.Base(p)
	if i := strings.Index(base, ".ko"); i > 0 {
		base = base[:i]
	}
	return normModule(base)
}

// moduleAvailability says, for each tracked module, whether modules.dep or modules.builtin lists
// it.
func moduleAvailability(dep string, depData []byte, builtin string, builtinData []byte, warn func(file string, line int, msg string)) map[string]nodeinfo.ModuleAvailability {
	out := map[string]nodeinfo.ModuleAvailability{}
	for i, l := range hostLines(depData) {
		if strings.TrimSpace(l) == "" {
			continue
		}
		name, _, ok := strings.Cut(l, ":")
		if !ok || !strings.Contains(name, ".ko") {
			warn(dep, i+1, "not a modules.dep line (MODULE.ko: DEPENDENCIES)")
			continue
		}
		if m := moduleName(name); slices.Contains(nodeinfo.TrackedModules, m) {
			if _, seen := out[m]; !seen {
				out[m] = nodeinfo.ModuleAvailability{Status: nodeinfo.ModuleFile, Location: inventory.Location{File: dep, Line: i + 1}}
			}
		}
	}
	for i, l := range hostLines(builtinData) {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if m := moduleName(l); slices.Contains(nodeinfo.TrackedModules, m) {
			out[m] = nodeinfo.ModuleAvailability{Status: nodeinfo.ModuleBuiltin, Location: inventory.Location{File: builtin, Line: i + 1}}
		}
	}
	for _, m := range nodeinfo.TrackedModules {
		if _, ok := out[m]; !ok {
			out[m] = nodeinfo.ModuleAvailability{Status: nodeinfo.ModuleAbsent, Location: inventory.Location{File: dep}}
		}
	}
	return out
}

// --- listening sockets ---

func (r *hostReader) listening() {
	if b, err := r.read("/sys/kernel/cpu_byteorder"); err == nil && strings.TrimSpace(string(b)) == "big" {
		r.bigEndian = true
	}
	read4 := false
	var errs []error
	var paths []string
	for _, fam := range []string{"tcp", "tcp6"} {
		// PID 1's network namespace is the host's; /proc/net is the reader's, which differs for
		// kube4c in a pod without hostNetwork.
		for _, p := range []string{"/proc/1/net/" + fam, "/proc/net/" + fam} {
			paths = append(paths, p)
			b, err := r.read(p)
			if err != nil {
				if fam == "tcp" {
					errs = append(errs, err)
				}
				continue
			}
			read4 = read4 || fam == "tcp"
			r.h.ListeningSources = append(r.h.ListeningSources, p)
			socks := parseProcNetTCP(p, fam, b, r.bigEndian, func(line int, msg string) { r.warn(p, line, "%s", msg) })
			r.h.Listening = appendBounded(r.h.Listening, socks, maxHostSockets)
			break
		}
	}
	if !read4 {
		r.unread(nodeinfo.FactListening, paths, errs, "")
	}
}

// tcpListen is the TCP_LISTEN state in /proc/net/tcp.
const tcpListen = "0A"

// parseProcNetTCP returns the listening sockets of /proc/net/tcp or tcp6 (family "tcp" or "tcp6").
// Addresses are the kernel's hex dump of 32-bit words in the CPU's byte order; ports are in host
// order.
func parseProcNetTCP(file, family string, b []byte, bigEndian bool, warn func(line int, msg string)) []nodeinfo.ListeningSocket {
	var out []nodeinfo.ListeningSocket
	for i, l := range hostLines(b) {
		f := strings.Fields(l)
		if i == 0 && len(f) > 0 && f[0] == "sl" {
			continue // header
		}
		if len(f) == 0 {
			continue
		}
		if len(f) < 10 || !strings.HasSuffix(f[0], ":") {
			warn(i+1, "not a socket line")
			continue
		}
		if f[3] != tcpListen {
			continue
		}
		addr, port, err := parseHexAddrPort(f[1], family == "tcp6", bigEndian)
		if err != nil {
			warn(i+1, fmt.Sprintf("local address %q: %v", truncate(f[1], 64), err))
			continue
		}
		uid, err := strconv.Atoi(f[7])
		if err != nil || uid < 0 {
			warn(i+1, fmt.Sprintf("uid %q is not a number", truncate(f[7], 20)))
			continue
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			warn(i+1, fmt.Sprintf("inode %q is not a number", truncate(f[9], 24)))
			continue
		}
		out = append(out, nodeinfo.ListeningSocket{Family: family, Address: addr.String(), Port: port, UID: uid, Inode: inode,
			Source: inventory.Location{File: file, Line: i + 1}})
	}
	return out
}

// parseHexAddrPort parses "0100007F:0CEA" (IPv4) or 32 hex digits and a port (IPv6).
func parseHexAddrPort(s string, v6, bigEndian bool) (netip.Addr, int, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok || len(p) != 4 {
		return netip.Addr{}, 0, errors.New("not ADDRESS:PORT in hex")
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, errors.New("port is not 4 hex digits")
	}
	want := 8
	if v6 {
		want = 32
	}
	if len(a) != want {
		return netip.Addr{}, 0, fmt.Errorf("address is not %d hex digits", want)
	}
	raw, err := hex.DecodeString(a)
	if err != nil {
		return netip.Addr{}, 0, errors.New("address is not hex")
	}
	// Each 32-bit word was printed as a number: undo the CPU's byte order.
	var buf [16]byte
	for w := 0; w < len(raw)/4; w++ {
		v := binary.BigEndian.Uint32(raw[4*w:])
		if bigEndian {
			binary.BigEndian.PutUint32(buf[4*w:], v)
		} else {
			binary.LittleEndian.PutUint32(buf[4*w:], v)
		}
	}
	if !v6 {
		return netip.AddrFrom4([4]byte(buf[:4])), int(port), nil
	}
	return netip.AddrFrom16(buf), int(port), nil
}

// --- Docker ---

func (r *hostReader) dockerDaemon() {
	const p = "/etc/docker/daemon.json"
	b, err := r.read(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			r.warn(p, 0, "not read: %v", err)
		}
		return
	}
	d, err := parseDockerDaemon(p, b)
	if err != nil {
		line := 0
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line = bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n")) + 1
		}
		r.warn(p, line, "not valid JSON (dockerd refuses to start with it): %v", err)
		return
	}
	r.h.Docker = d
}

// parseDockerDaemon reads the API endpoints of a daemon.json.
func parseDockerDaemon(file string, b []byte) (*nodeinfo.DockerDaemon, error) {
	var cfg struct {
		Hosts     []string `json:"hosts"`
		TLSVerify bool     `json:"tlsverify"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, err
	}
	d := &nodeinfo.DockerDaemon{TLSVerify: cfg.TLSVerify, Source: inventory.Location{File: file}}
	for _, h := range cfg.Hosts {
		d.Hosts = append(d.Hosts, nodeinfo.DockerHost{URL: h, Location: inventory.Location{File: file, Line: jsonStringLine(b, h)}})
	}
	return d, nil
}

// jsonStringLine is the line of the first occurrence of a JSON string, or 0.
func jsonStringLine(b []byte, s string) int {
	q, err := json.Marshal(s)
	if err != nil {
		return 0
	}
	i := bytes.Index(b, q)
	if i < 0 {
		return 0
	}
	return bytes.Count(b[:i], []byte("\n")) + 1
}

// --- swap ---

func (r *hostReader) swap() {
	sw := &r.h.Swap
	crypt := r.crypttab()

	const procSwaps = "/proc/swaps"
	if b, err := r.read(procSwaps); err == nil {
		sw.Active = parseProcSwaps(procSwaps, b, func(line int, msg string) { r.warn(procSwaps, line, "%s", msg) })
		for i := range sw.Active {
			sw.Active[i].Backing = r.activeBacking(sw.Active[i])
		}
	} else {
		r.unread(nodeinfo.FactSwap, []string{procSwaps}, []error{err}, "")
	}

	const fstab = "/etc/fstab"
	if b, err := r.read(fstab); err == nil {
		sw.Configured = parseFstabSwaps(fstab, b, func(line int, msg string) { r.warn(fstab, line, "%s", msg) })
		for i := range sw.Configured {
			sw.Configured[i].Backing = configuredBacking(sw.Configured[i].Device, crypt)
		}
	} else {
		r.unread(nodeinfo.FactFstab, []string{fstab}, []error{err}, "")
	}
}

// crypttab returns the names of the dm-crypt mappings /etc/crypttab opens at boot (empty when
// there is no crypttab).
func (r *hostReader) crypttab() map[string]bool {
	out := map[string]bool{}
	b, err := r.read("/etc/crypttab")
	if err != nil {
		return out
	}
	for _, l := range hostLines(b) {
		if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
			out[f[0]] = true
		}
	}
	return out
}

// activeBacking tells what a swap area in use is backed by, following device-mapper layers in
// /sys/block down to dm-crypt.
func (r *hostReader) activeBacking(a nodeinfo.SwapArea) string {
	if a.Type == "file" {
		return nodeinfo.SwapFile
	}
	dev := strings.TrimPrefix(a.Device, "/dev/")
	switch {
	case dev == a.Device:
		return "" // not a /dev path: cannot tell
	case strings.HasPrefix(dev, "zram"):
		return nodeinfo.SwapZram
	case strings.HasPrefix(dev, "mapper/"):
		name := strings.TrimPrefix(dev, "mapper/")
		if dev = r.dmByName(name); dev == "" {
			return ""
		}
	case !strings.HasPrefix(dev, "dm-"):
		return nodeinfo.SwapDisk
	}
	switch crypt, ok := r.dmCrypt(dev, 0); {
	case !ok:
		return ""
	case crypt:
		return nodeinfo.SwapDMCrypt
	default:
		return nodeinfo.SwapDisk
	}
}

// dmByName finds the dm-N device of a device-mapper name in /sys/block.
func (r *hostReader) dmByName(name string) string {
	names, err := r.fsys.ReadDir("/sys/block")
	if err != nil {
		return ""
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "dm-") {
			continue
		}
		if b, err := r.read("/sys/block/" + n + "/dm/name"); err == nil && strings.TrimSpace(string(b)) == name {
			return n
		}
	}
	return ""
}

// dmCrypt reports whether a device-mapper device is dm-crypt or sits on one (an LVM volume on a
// LUKS container); ok is false when /sys cannot tell.
func (r *hostReader) dmCrypt(dev string, depth int) (crypt, ok bool) {
	if depth > maxDMDepth || strings.Contains(dev, "/") {
		return false, false
	}
	b, err := r.read("/sys/block/" + dev + "/dm/uuid")
	if err != nil {
		return false, false
	}
	if strings.HasPrefix(strings.TrimSpace(string(b)), "CRYPT-") {
		return true, true
	}
	slaves, err := r.fsys.ReadDir("/sys/block/" + dev + "/slaves")
	if err != nil {
		return false, false
	}
	ok = true
	for _, s := range slaves {
		if !strings.HasPrefix(s, "dm-") {
			continue // a disk or partition: not encrypted at this layer
		}
		c, known := r.dmCrypt(s, depth+1)
		if c {
			return true, true
		}
		ok = ok && known
	}
	return false, ok
}

// configuredBacking tells what an fstab swap entry is backed by, from its name alone.
func configuredBacking(dev string, crypt map[string]bool) string {
	switch {
	case strings.HasPrefix(dev, "/dev/zram"):
		return nodeinfo.SwapZram
	case strings.HasPrefix(dev, "/dev/mapper/") && crypt[strings.TrimPrefix(dev, "/dev/mapper/")]:
		return nodeinfo.SwapDMCrypt
	case len(crypt) == 0 && strings.HasPrefix(dev, "/dev/"), len(crypt) == 0 && strings.Contains(dev, "="):
		// No crypttab: nothing is decrypted at boot, so no device can be dm-crypt.
		return nodeinfo.SwapDisk
	case strings.HasPrefix(dev, "/") && !strings.HasPrefix(dev, "/dev/"):
		return nodeinfo.SwapFile
	case strings.HasPrefix(dev, "/dev/") && !strings.HasPrefix(dev, "/dev/mapper/") && !strings.HasPrefix(dev, "/dev/dm-") &&
		!strings.HasPrefix(dev, "/dev/disk/"):
		return nodeinfo.SwapDisk // a disk or partition by its kernel name
	}
	return "" // UUID=, LABEL=, a mapper or by-* name: may be inside a LUKS container
}

// unescapeOctal undoes the \040-style escapes of /proc/swaps and fstab.
func unescapeOctal(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// parseProcSwaps returns the swap areas of /proc/swaps ("Filename Type Size Used Priority").
func parseProcSwaps(file string, b []byte, warn func(line int, msg string)) []nodeinfo.SwapArea {
	var out []nodeinfo.SwapArea
	for i, l := range hostLines(b) {
		f := strings.Fields(l)
		if len(f) == 0 || (i == 0 && f[0] == "Filename") {
			continue
		}
		if len(f) < 5 {
			warn(i+1, "not a swap line (Filename Type Size Used Priority)")
			continue
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size < 0 || (f[1] != "partition" && f[1] != "file") {
			warn(i+1, "not a swap line (Filename Type Size Used Priority)")
			continue
		}
		if len(out) < maxHostSwaps {
			out = append(out, nodeinfo.SwapArea{Device: unescapeOctal(f[0]), Type: f[1], SizeKiB: size,
				Source: inventory.Location{File: file, Line: i + 1}})
		}
	}
	return out
}

// parseFstabSwaps returns the swap entries of an fstab.
func parseFstabSwaps(file string, b []byte, warn func(line int, msg string)) []nodeinfo.SwapArea {
	var out []nodeinfo.SwapArea
	for i, l := range hostLines(b) {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		if len(f) < 3 {
			warn(i+1, "not an fstab entry (DEVICE MOUNTPOINT TYPE OPTIONS ...)")
			continue
		}
		if f[2] != "swap" {
			continue
		}
		noauto := false
		if len(f) >= 4 {
			noauto = slices.Contains(strings.Split(f[3], ","), "noauto")
		}
		if len(out) < maxHostSwaps {
			out = append(out, nodeinfo.SwapArea{Device: unescapeOctal(f[0]), NoAuto: noauto, Source: inventory.Location{File: file, Line: i + 1}})
		}
	}
	return out
}
