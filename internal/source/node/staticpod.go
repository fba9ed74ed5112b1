package node

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	nodeinfo "github.com/kube4c/kube4c/internal/node"
	"go.yaml.in/yaml/v3"
)

// staticPods reads the static pod manifests in dir and returns the control-plane components they
// define, by component name. A container is a component when its command (or, without one, its
// name) is the component's program.
func (r *reader) staticPods(dir string) map[string][]definition {
	out := map[string][]definition{}
	names, err := r.fsys.ReadDir(dir)
	if err != nil {
		if !isNotExist(err) {
			r.problem(dir, 0, "static pod manifests: "+err.Error())
		}
		return out
	}
	for _, n := range names {
		switch path.Ext(n) {
		case ".yaml", ".yml", ".json", ".manifest":
		default:
			continue
		}
		p := path.Join(dir, n)
		b := r.read(p)
		if b == nil {
			continue
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil || len(doc.Content) == 0 {
			msg := "not a valid static pod manifest"
			if err != nil {
				msg += ": " + err.Error()
			}
			r.problem(p, 0, msg)
			continue
		}
		root := doc.Content[0]
		if kind := nodeinfo.Get(root, "kind"); kind == nil || kind.Value != "Pod" {
			continue
		}
		containers := nodeinfo.Get(root, "spec", "containers")
		if containers == nil || containers.Kind != yaml.SequenceNode {
			continue
		}
		for _, c := range containers.Content {
			var words []string
			var lines []int
			for _, field := range []string{"command", "args"} {
				if seq := nodeinfo.Get(c, field); seq != nil && seq.Kind == yaml.SequenceNode {
					for _, item := range seq.Content {
						words, lines = append(words, item.Value), append(lines, item.Line)
					}
				}
			}
			name := ""
			var args []string
			var offset int
			if len(words) > 0 {
				name, args = identify(words)
				offset = len(words) - len(args)
			}
			if name == "" && len(words) > 0 && strings.HasPrefix(words[0], "-") {
				// only args: the image's entrypoint is the program; go by the container's name
				if cn := nodeinfo.Get(c, "name"); cn != nil {
					name, args, offset = componentNames[cn.Value], words, 0
				}
			}
			if name == "" || name == nodeinfo.Kubelet {
				continue
			}
			def := definition{found: nodeinfo.FoundStaticPod, file: p, line: c.Line}
			def.args = parseArgs(args, func(i int) inventory.Location {
				return inventory.Location{File: p, Line: lines[i+offset]}
			})
			if name == nodeinfo.Etcd {
				def.env = etcdEnvFromPod(c, p)
			}
			out[name] = append(out[name], def)
		}
	}
	return out
}

// etcdEnvFromPod reads the ETCD_* variables a static pod's container sets.
func etcdEnvFromPod(c *yaml.Node, file string) []nodeinfo.Arg {
	env := nodeinfo.Get(c, "env")
	if env == nil || env.Kind != yaml.SequenceNode {
		return nil
	}
	var out []nodeinfo.Arg
	for _, e := range env.Content {
		n, v := nodeinfo.Get(e, "name"), nodeinfo.Get(e, "value")
		if n == nil || v == nil {
			continue
		}
		for _, f := range etcdFlagsFromEnv {
			if n.Value == etcdEnvName(f) {
				out = append(out, nodeinfo.Arg{Name: f, Value: v.Value, HasValue: true, Location: inventory.Location{File: file, Line: n.Line}})
			}
		}
	}
	return out
}

// etcdConfigKeys maps the keys of etcd's --config-file to its flags.
var etcdConfigKeys = map[string]string{
	"data-dir":           "data-dir",
	"listen-client-urls": "listen-client-urls",
	"listen-peer-urls":   "listen-peer-urls",

	"client-transport-security.cert-file":        "cert-file",
	"client-transport-security.key-file":         "key-file",
	"client-transport-security.client-cert-auth": "client-cert-auth",
	"client-transport-security.auto-tls":         "auto-tls",
	"client-transport-security.trusted-ca-file":  "trusted-ca-file",

	"peer-transport-security.cert-file":        "peer-cert-file",
	"peer-transport-security.key-file":         "peer-key-file",
	"peer-transport-security.client-cert-auth": "peer-client-cert-auth",
	"peer-transport-security.auto-tls":         "peer-auto-tls",
	"peer-transport-security.trusted-ca-file":  "peer-trusted-ca-file",
}

// etcdConfigFile applies etcd's --config-file: when it is given, etcd ignores its other flags and
// environment variables and reads everything from the file.
func (r *reader) etcdConfigFile(c *nodeinfo.Component) {
	p, _, ok := c.Flag("config-file")
	if !ok || p == "" {
		return
	}
	d := r.document(p, "etcd --config-file")
	c.Files = map[string]*nodeinfo.Document{"config-file": d}
	if d.Root == nil {
		return
	}
	var args []nodeinfo.Arg
	for _, key := range slices.Sorted(maps.Keys(etcdConfigKeys)) {
		segs := strings.Split(key, ".")
		n := d.Get(segs...)
		if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			continue
		}
		args = append(args, nodeinfo.Arg{Name: etcdConfigKeys[key], Value: n.Value, HasValue: true, Location: d.Location(segs...)})
	}
	c.Args = args
}
