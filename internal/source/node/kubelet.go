package node

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
)

// unitDirs are systemd's unit directories, most overriding first.
var unitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}

// defaultKubeletConfigs are where node images keep the kubelet's config file, for nodes read
// without their processes (kubeadm, GKE, EKS AL2 and AL2023, AKS).
var defaultKubeletConfigs = []string{"/var/lib/kubelet/config.yaml", "/home/kubernetes/kubelet-config.yaml",
	"/etc/kubernetes/kubelet/kubelet-config.json", "/etc/kubernetes/kubelet/config.json", "/etc/default/kubeletconfig.json"}

// kubelets returns the kubelet: its running processes, or else its systemd definition; with its
// config file and drop-in directory read.
func (r *reader) kubelets(procs map[string][]process) []*nodeinfo.Component {
	var defs []definition
	unit := r.kubeletUnit()
	if unit != nil {
		defs = append(defs, *unit)
	}
	out := r.instances(nodeinfo.Kubelet, procs[nodeinfo.Kubelet], defs)
	for _, k := range out {
		cfg, _, ok := k.Flag("config")
		if !ok && k.Found != nodeinfo.FoundProcess {
			// A definition read without its process may still name no --config; look where node
			// images put it.
			for _, p := range defaultKubeletConfigs {
				if _, err := r.fsys.Stat(p); err == nil {
					cfg, ok = p, true
					break
				}
			}
		}
		if ok && cfg != "" {
			k.Configs = append(k.Configs, r.document(cfg, "kubelet --config"))
		}
		if dir, _, ok := k.Flag("config-dir"); ok && dir != "" {
			names, err := r.fsys.ReadDir(dir)
			if err != nil && !isNotExist(err) {
				r.problem(dir, 0, "kubelet --config-dir: "+err.Error())
			}
			for _, n := range names { // the kubelet merges *.conf files in lexical order
				if strings.HasSuffix(n, ".conf") {
					k.Configs = append(k.Configs, r.document(path.Join(dir, n), "kubelet --config-dir"))
				}
			}
		}
	}
	return out
}

// unitFile is one systemd unit file or drop-in.
type unitFile struct {
	path string
	data []byte
}

// kubeletUnitFiles returns kubelet.service and its drop-ins in the order systemd applies them.
func (r *reader) kubeletUnitFiles() []unitFile {
	var out []unitFile
	for _, d := range unitDirs {
		p := d + "/kubelet.service"
		if b := r.read(p); b != nil {
			out = append(out, unitFile{p, b})
			break
		}
	}
	dropins := map[string]string{} // file name → path; a name in a more overriding directory wins
	for i := len(unitDirs) - 1; i >= 0; i-- {
		dir := unitDirs[i] + "/kubelet.service.d"
		names, _ := r.fsys.ReadDir(dir)
		for _, n := range names {
			if strings.HasSuffix(n, ".conf") {
				dropins[n] = dir + "/" + n
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(dropins)) {
		if b := r.read(dropins[n]); b != nil {
			out = append(out, unitFile{dropins[n], b})
		}
	}
	return out
}

// unitPaths lists the kubelet's systemd unit files that exist, in the order systemd applies them.
func (r *reader) unitPaths() []string {
	var out []string
	for _, u := range r.kubeletUnitFiles() {
		out = append(out, u.path)
	}
	return out
}

// envValue is an environment variable's value and where it was set.
type envValue struct {
	value string
	loc   inventory.Location
}

// kubeletUnit reads the kubelet's systemd unit: its ExecStart with the variables of Environment=
// and EnvironmentFile= expanded, each flag located where its text was written.
func (r *reader) kubeletUnit() *definition {
	files := r.kubeletUnitFiles()
	if len(files) == 0 {
		return nil
	}
	env := map[string]envValue{}
	var envFiles []inventory.Location // EnvironmentFile= paths (File) and where they were named
	var exec string
	var execLoc inventory.Location
	for _, f := range files {
		for _, l := range unitLines(string(f.data)) {
			key, val, ok := strings.Cut(l.text, "=")
			if !ok {
				continue
			}
			loc := inventory.Location{File: f.path, Line: l.line}
			switch strings.TrimSpace(key) {
			case "Environment":
				for _, w := range shellSplit(val) {
					if k, v, ok := strings.Cut(w, "="); ok {
						env[k] = envValue{v, loc}
					}
				}
			case "EnvironmentFile":
				envFiles = append(envFiles, inventory.Location{File: strings.TrimPrefix(strings.TrimSpace(val), "-"), Line: l.line})
			case "ExecStart":
				exec, execLoc = strings.TrimSpace(val), loc // an empty ExecStart= resets; the last wins
			}
		}
	}
	// Variables from EnvironmentFile= override those of Environment=.
	for _, ef := range envFiles {
		b := r.read(ef.File)
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			if w := shellSplit(v); len(w) == 1 {
				v = w[0]
			} else if len(w) == 0 {
				v = ""
			}
			env[strings.TrimSpace(strings.TrimPrefix(k, "export "))] = envValue{v, inventory.Location{File: ef.File, Line: i + 1}}
		}
	}
	if exec == "" {
		return nil
	}
	exec = strings.TrimLeft(exec, "@-:+!")
	var words []string
	var locs []inventory.Location
	for _, w := range shellSplit(exec) {
		if name, whole := wholeVar(w); whole {
			ev := env[name]
			for _, x := range shellSplit(ev.value) {
				words, locs = append(words, x), append(locs, ev.loc)
			}
			continue
		}
		words, locs = append(words, expandVars(w, env)), append(locs, execLoc)
	}
	if len(words) == 0 || path.Base(words[0]) != "kubelet" {
		return nil
	}
	args := parseArgs(words[1:], func(i int) inventory.Location { return locs[i+1] })
	return &definition{found: nodeinfo.FoundSystemd, file: files[0].path, line: execLoc.Line, args: args}
}

// line is one logical line of a unit file (continuations joined), with its first line number.
type line struct {
	text string
	line int
}

func unitLines(s string) []line {
	var out []line
	var cur strings.Builder
	start := 0
	for i, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, "\r")
		if cur.Len() == 0 {
			start = i + 1
			if t := strings.TrimSpace(l); t == "" || t[0] == '#' || t[0] == ';' {
				continue
			}
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\") + " ")
			continue
		}
		cur.WriteString(l)
		out = append(out, line{cur.String(), start})
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, line{cur.String(), start})
	}
	return out
}

// wholeVar reports whether a word is exactly $NAME, which systemd splits into words.
func wholeVar(w string) (string, bool) {
	if !strings.HasPrefix(w, "$") || strings.HasPrefix(w, "${") {
		return "", false
	}
	name := w[1:]
	for _, c := range name {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return "", false
		}
	}
	return name, name != ""
}

// expandVars replaces ${NAME} (and $NAME) inside a word, without splitting.
func expandVars(w string, env map[string]envValue) string {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] != '$' || i+1 == len(w) {
			b.WriteByte(w[i])
			continue
		}
		if w[i+1] == '{' {
			if end := strings.IndexByte(w[i:], '}'); end > 0 {
				b.WriteString(env[w[i+2:i+end]].value)
				i += end
				continue
			}
		}
		j := i + 1
		for j < len(w) && (w[j] == '_' || w[j] >= 'A' && w[j] <= 'Z' || w[j] >= 'a' && w[j] <= 'z' || w[j] >= '0' && w[j] <= '9') {
			j++
		}
		b.WriteString(env[w[i+1:j]].value)
		i = j - 1
	}
	return b.String()
}
