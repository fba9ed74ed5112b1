// Package node reads a node as it is into the inventory: the Kubernetes components it runs (from
// /proc/*/cmdline) or defines (static pod manifests, the kubelet's systemd unit), their flags with
// the file and line each comes from, the configuration files those flags name, the files the CIS
// Kubernetes Benchmark wants protected, and the host operating system. It reads through a
// hostfs.FS, so the same code reads the running host, a copy of a node's filesystem, or a tar of
// one. Nothing here judges: analyzers do.
package node

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/kube4c/kube4c/internal/hostfs"
	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
	"github.com/kube4c/kube4c/internal/platform"
)

// Options for reading a node.
type Options struct {
	// Platform, when set, is used instead of detecting the platform.
	Platform platform.Platform
}

// DefaultManifestDir is where kubeadm (and the kubelet's staticPodPath, by convention) keeps
// static pod manifests.
const DefaultManifestDir = "/etc/kubernetes/manifests"

// reader carries the state of one Load.
type reader struct {
	fsys     hostfs.FS
	inv      *inventory.Inventory
	problems []inventory.Problem
	users    map[int]string
	groups   map[int]string
	files    map[string]bool // paths already added as File objects
}

// Load reads the node into inv. Unreadable or malformed files are problems in inv; Load only
// fails when ctx is cancelled.
func Load(ctx context.Context, fsys hostfs.FS, opts Options, inv *inventory.Inventory) error {
	r := &reader{fsys: fsys, inv: inv, files: map[string]bool{}}
	r.users = r.names("/etc/passwd")
	r.groups = r.names("/etc/group")

	procs := r.processes()
	if err := ctx.Err(); err != nil {
		return err
	}
	// The kubelet comes first: it says where the static pod manifests are.
	kubelets := r.kubelets(procs)
	manifestDir := DefaultManifestDir
	for _, k := range kubelets {
		if v, _, ok := k.Flag("pod-manifest-path"); ok && v != "" {
			manifestDir = v
		} else if v, _, ok := k.Config("staticPodPath"); ok && v != "" {
			manifestDir = v
		}
	}
	static := r.staticPods(manifestDir)
	comps := kubelets
	for _, name := range []string{nodeinfo.APIServer, nodeinfo.ControllerManager, nodeinfo.Scheduler, nodeinfo.Etcd, nodeinfo.Proxy} {
		comps = append(comps, r.instances(name, procs[name], static[name])...)
	}
	for _, c := range comps {
		r.readFiles(c)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	host, problems := ReadHost(fsys)
	r.problems = append(r.problems, problems...)

	info := &inventory.NodeInfo{Root: fsys.String(), Platform: string(opts.Platform), PlatformSource: "--platform"}
	if opts.Platform == "" {
		p, why := platform.Detect(fsys)
		info.Platform, info.PlatformSource = string(p), why
	}
	if host != nil {
		info.Hostname = host.Hostname
	}
	inv.SetNode(info)
	if info.Platform == string(platform.K3s) {
		comps = append(comps, r.k3s(comps)...)
	}

	named := map[string]int{}
	for _, c := range comps {
		named[c.Name]++
	}
	for _, c := range comps {
		r.addComponent(c, named[c.Name] > 1)
	}
	if len(comps) == 0 && info.Platform != string(platform.K3s) {
		r.problem("", 0, "no Kubernetes component found: no kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kubelet or kube-proxy process in /proc, no static pod manifest in "+manifestDir+
			" and no kubelet systemd unit; is "+fsys.String()+" a node's filesystem (and readable: run as root)?")
	}
	r.addFiles(comps, static)
	if host != nil {
		name := host.Hostname
		if name == "" {
			name = "node"
		}
		host.TypeMeta.APIVersion, host.TypeMeta.Kind = nodeinfo.APIVersion, nodeinfo.KindHost
		inv.Add(&inventory.Object{APIVersion: nodeinfo.APIVersion, Kind: nodeinfo.KindHost, Name: name, Object: host,
			Source: inventory.Source{Origin: inventory.FromNode}})
	}
	inv.AddProblem(r.problems...)
	return ctx.Err()
}

func (r *reader) problem(file string, line int, msg string) {
	r.problems = append(r.problems, inventory.Problem{Severity: "warning", File: file, Line: line, Message: msg})
}

// read returns a file's content, or nil when it does not exist; other errors are problems.
func (r *reader) read(p string) []byte {
	b, err := r.fsys.ReadFile(p)
	if err != nil {
		if !isNotExist(err) {
			r.problems = append(r.problems, inventory.Problem{Severity: "warning", File: p, Message: errText(err)})
		}
		return nil
	}
	return b
}

// errText adds the likely remedy to permission errors: the files kube4c node reads are root's.
func errText(err error) string {
	if errors.Is(err, fs.ErrPermission) {
		return err.Error() + " (run kube4c node as root)"
	}
	return err.Error()
}

// names reads /etc/passwd or /etc/group: id → name.
func (r *reader) names(p string) map[int]string {
	out := map[int]string{}
	for _, line := range strings.Split(string(r.read(p)), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 3 || strings.HasPrefix(line, "#") {
			continue
		}
		if id, err := strconv.Atoi(f[2]); err == nil {
			if _, dup := out[id]; !dup {
				out[id] = f[0]
			}
		}
	}
	return out
}

// process is a running process of a known component.
type process struct {
	pid  int
	argv []string
}

// componentNames maps program names to components.
var componentNames = map[string]string{
	"kube-apiserver": nodeinfo.APIServer, "apiserver": nodeinfo.APIServer,
	"kube-controller-manager": nodeinfo.ControllerManager, "controller-manager": nodeinfo.ControllerManager,
	"kube-scheduler": nodeinfo.Scheduler, "scheduler": nodeinfo.Scheduler,
	"etcd": nodeinfo.Etcd, "kubelet": nodeinfo.Kubelet, "kube-proxy": nodeinfo.Proxy, "proxy": nodeinfo.Proxy,
}

// identify names the component a command line runs, and returns its arguments. hyperkube names
// the component in its first argument.
func identify(argv []string) (string, []string) {
	if len(argv) == 0 {
		return "", nil
	}
	base := path.Base(argv[0])
	if base == "hyperkube" && len(argv) > 1 {
		return componentNames[argv[1]], argv[2:]
	}
	switch base {
	case "apiserver", "controller-manager", "scheduler", "proxy":
		return "", nil // too generic on their own
	}
	return componentNames[base], argv[1:]
}

// processes reads /proc/*/cmdline and keeps the components' processes, by component.
func (r *reader) processes() map[string][]process {
	out := map[string][]process{}
	entries, err := r.fsys.ReadDir("/proc")
	if err != nil {
		return out // a copied tree has no /proc
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e)
		if err != nil || pid <= 0 {
			continue
		}
		b, err := r.fsys.ReadFile("/proc/" + e + "/cmdline")
		if err != nil || len(b) == 0 {
			continue // exited, a kernel thread, or not ours to read
		}
		argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if name, _ := identify(argv); name != "" {
			out[name] = append(out[name], process{pid: pid, argv: argv})
		}
	}
	return out
}

// definition is a component's static pod manifest or systemd unit, with its flags.
type definition struct {
	found string // nodeinfo.FoundStaticPod or FoundSystemd
	file  string
	line  int
	args  []nodeinfo.Arg
	// env holds the ETCD_* variables the definition sets (etcd reads its flags from them too).
	env []nodeinfo.Arg
}

// instances builds the components of one name: one per running process (flags located in the
// definition when it sets the same flag to the same value), or the definition when nothing
// runs.
func (r *reader) instances(name string, procs []process, defs []definition) []*nodeinfo.Component {
	var out []*nodeinfo.Component
	for _, p := range procs {
		c := &nodeinfo.Component{Name: name, Found: nodeinfo.FoundProcess, PID: p.pid}
		file := "/proc/" + strconv.Itoa(p.pid) + "/cmdline"
		_, args := identify(p.argv)
		c.Args = parseArgs(args, func(int) inventory.Location { return inventory.Location{File: file} })
		if name == nodeinfo.Etcd {
			c.Args = append(r.etcdEnviron(p.pid), c.Args...)
		}
		if len(defs) > 0 {
			d := defs[0]
			c.Definition = d.file
			for i, a := range c.Args {
				for _, da := range d.args {
					if da.Name == a.Name && da.Value == a.Value {
						c.Args[i].Location = da.Location
					}
				}
			}
		}
		out = append(out, c)
	}
	if len(procs) == 0 {
		for _, d := range defs {
			args := append(append([]nodeinfo.Arg(nil), d.env...), d.args...)
			out = append(out, &nodeinfo.Component{Name: name, Found: d.found, Definition: d.file, Args: args})
		}
	}
	for _, c := range out {
		c.TypeMeta.APIVersion, c.TypeMeta.Kind = nodeinfo.APIVersion, nodeinfo.KindComponent
		if name == nodeinfo.Etcd {
			r.etcdConfigFile(c)
		}
	}
	return out
}

// etcdFlagsFromEnv are the etcd flags whose ETCD_* variables are read: the ones controls judge.
// Other variables (which could hold anything) are never read.
var etcdFlagsFromEnv = []string{"cert-file", "key-file", "client-cert-auth", "auto-tls", "trusted-ca-file",
	"peer-cert-file", "peer-key-file", "peer-client-cert-auth", "peer-auto-tls", "peer-trusted-ca-file",
	"listen-client-urls", "listen-peer-urls", "data-dir", "config-file"}

func etcdEnvName(flag string) string {
	return "ETCD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// etcdEnviron reads the ETCD_* variables of a running etcd; flags given on the command line come
// later and so override them, as etcd does.
func (r *reader) etcdEnviron(pid int) []nodeinfo.Arg {
	file := "/proc/" + strconv.Itoa(pid) + "/environ"
	b, err := r.fsys.ReadFile(file)
	if err != nil {
		return nil
	}
	var out []nodeinfo.Arg
	for _, kv := range strings.Split(string(b), "\x00") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		for _, f := range etcdFlagsFromEnv {
			if k == etcdEnvName(f) {
				out = append(out, nodeinfo.Arg{Name: f, Value: v, HasValue: true, Location: inventory.Location{File: file}})
			}
		}
	}
	return out
}

// addComponent puts a component in the inventory; several instances of one component are told
// apart by their process ID.
func (r *reader) addComponent(c *nodeinfo.Component, several bool) {
	name := c.Name
	if several && c.PID > 0 {
		name += " (pid " + strconv.Itoa(c.PID) + ")"
	} else if several && c.Definition != "" {
		name += " (" + c.Definition + ")"
	}
	src := inventory.Source{Origin: inventory.FromNode, File: c.Definition}
	if c.PID > 0 && c.Definition == "" {
		src.File = "/proc/" + strconv.Itoa(c.PID) + "/cmdline"
	}
	r.inv.Add(&inventory.Object{APIVersion: nodeinfo.APIVersion, Kind: nodeinfo.KindComponent, Name: name, Object: c, Source: src})
}

// document reads and parses a configuration file a flag names; problems name the flag.
func (r *reader) document(p, what string) *nodeinfo.Document {
	b, err := r.fsys.ReadFile(p)
	if err != nil {
		d := &nodeinfo.Document{Path: p, Err: errText(err)}
		r.problem(p, 0, what+": "+errText(err))
		return d
	}
	d := nodeinfo.ParseDocument(p, b)
	if d.Err != "" {
		r.problem(p, 0, what+": "+d.Err)
	}
	return d
}

// apiserverFiles are the API server flags naming files the controls read.
var apiserverFiles = []string{"encryption-provider-config", "audit-policy-file", "authentication-config", "authorization-config"}

// readFiles reads the configuration files a component's flags name.
func (r *reader) readFiles(c *nodeinfo.Component) {
	if c.Name == nodeinfo.APIServer {
		for _, f := range apiserverFiles {
			if v, _, ok := c.Flag(f); ok && v != "" {
				if c.Files == nil {
					c.Files = map[string]*nodeinfo.Document{}
				}
				c.Files[f] = r.document(v, c.Name+" --"+f)
			}
		}
	}
	if c.Name == nodeinfo.Proxy {
		if v, _, ok := c.Flag("config"); ok && v != "" {
			c.Configs = append(c.Configs, r.document(v, "kube-proxy --config"))
		}
	}
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// K3sEtcdConfig is the configuration file k3s writes for its embedded etcd.
const K3sEtcdConfig = "/var/lib/rancher/k3s/server/db/etcd/config"

// k3s reads what can be read of a k3s node: k3s runs the API server, controller manager,
// scheduler and kubelet inside its own process, so their flags are not on any command line kube4c
// reads; its embedded etcd's configuration file is. The rest is a warning, never a silent pass.
func (r *reader) k3s(found []*nodeinfo.Component) []*nodeinfo.Component {
	var out []*nodeinfo.Component
	has := map[string]bool{}
	for _, c := range found {
		has[c.Name] = true
	}
	if !has[nodeinfo.Etcd] {
		if _, err := r.fsys.Stat(K3sEtcdConfig); err == nil {
			c := &nodeinfo.Component{Name: nodeinfo.Etcd, Found: "k3s", Definition: K3sEtcdConfig,
				Args: []nodeinfo.Arg{{Name: "config-file", Value: K3sEtcdConfig, HasValue: true}}}
			c.TypeMeta.APIVersion, c.TypeMeta.Kind = nodeinfo.APIVersion, nodeinfo.KindComponent
			r.etcdConfigFile(c)
			out = append(out, c)
		}
	}
	var missing []string
	for _, n := range []string{nodeinfo.APIServer, nodeinfo.ControllerManager, nodeinfo.Scheduler, nodeinfo.Kubelet} {
		if !has[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		r.problem("", 0, "k3s runs "+strings.Join(missing, ", ")+" inside the k3s process; kube4c does not read k3s's arguments yet, so their controls are not evaluated (see docs/node.md)")
	}
	return out
}
