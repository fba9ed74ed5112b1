package image

import (
	"bufio"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/kube4c/kube4c/internal/image"
)

// Shells are the shells looked for (image.Image.Shells), in /bin, /usr/bin, /usr/local/bin and
// /busybox (distroless debug images); busybox counts as a shell.
var Shells = []string{"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"}

// PackageManagers are the package managers looked for (image.Image.PackageManagers), in /bin,
// /sbin, /usr/bin, /usr/sbin and /usr/local/bin.
var PackageManagers = []string{"apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "zypper", "pip", "pip3", "npm"}

// osRelease reads /etc/os-release, or /usr/lib/os-release.
func (t *tree) osRelease() *image.OSRelease {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		n, _, err := t.resolve(p, true)
		if err != nil || n.kind != kindReg || n.blob == nil {
			continue
		}
		r, err := n.blob.open()
		if err != nil {
			continue
		}
		kv := parseOSRelease(r)
		r.Close()
		if kv["ID"] == "" {
			continue
		}
		rel := &image.OSRelease{
			ID:              kv["ID"],
			VersionID:       kv["VERSION_ID"],
			VersionCodename: kv["VERSION_CODENAME"],
			PrettyName:      kv["PRETTY_NAME"],
			Path:            "/" + p,
		}
		rel.IDLike = strings.Fields(kv["ID_LIKE"])
		return rel
	}
	return nil
}

// parseOSRelease parses os-release(5) assignments; values may be quoted with shell escapes.
func parseOSRelease(r interface{ Read([]byte) (int, error) }) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			if v[0] == '"' {
				if u, err := strconv.Unquote(v); err == nil {
					v = u
				} else {
					v = v[1 : len(v)-1]
				}
			} else {
				v = v[1 : len(v)-1]
			}
		}
		out[strings.TrimSpace(k)] = v
	}
	return out
}

// setuidFiles lists the regular files with the setuid or setgid bit.
func (t *tree) setuidFiles(layers []string) []image.File {
	var out []image.File
	var walk func(n *node, p string)
	walk = func(n *node, p string) {
		for name, c := range n.children {
			cp := p + "/" + name
			switch {
			case c.kind == kindDir:
				walk(c, cp)
			case c.kind == kindReg && c.mode&0o6000 != 0:
				out = append(out, image.File{Path: cp, Mode: c.mode, Layer: layerDigest(layers, c.layer)})
			}
		}
	}
	walk(t.root, "")
	slices.SortFunc(out, func(a, b image.File) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func layerDigest(layers []string, idx int32) string {
	if int(idx) < len(layers) {
		return layers[idx]
	}
	return ""
}

// executables returns, for each name, the paths in dirs where an executable of that name is
// found (symbolic links followed inside the image). A path whose directory is a link to one
// already listed (/bin -> usr/bin) is listed once, under the first name.
func (t *tree) executables(dirs, names []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, name := range names {
		for _, dir := range dirs {
			d, real, err := t.resolve(dir, true)
			if err != nil || d.kind != kindDir {
				continue
			}
			key := real + "/" + name
			if seen[key] {
				continue
			}
			n, _, err := t.resolve(path.Join(dir, name), true)
			if err != nil || n.kind != kindReg || n.mode&0o111 == 0 {
				continue
			}
			seen[key] = true
			out = append(out, "/"+path.Join(dir, name))
		}
	}
	return out
}

func (t *tree) shells() []string {
	return t.executables([]string{"bin", "usr/bin", "usr/local/bin", "busybox"}, Shells)
}

func (t *tree) packageManagers() []string {
	return t.executables([]string{"bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin"}, PackageManagers)
}

// secretFiles turns the secrets found in the layers into image.SecretFile records: one per path
// and kind, the one in the final file system when it is there, else the latest deleted one.
func (w *walker) secretFiles() []image.SecretFile {
	type key struct{ path, kind string }
	best := map[key]image.SecretFile{}
	var order []key
	for _, h := range w.secrets {
		n := w.t.lookup(h.path)
		deleted := n == nil || n.kind != kindReg || n.layer != int32(h.layer)
		sf := image.SecretFile{Path: "/" + h.path, Kind: h.kind, Line: h.line, Layer: layerDigest(w.layers, int32(h.layer)), Deleted: deleted}
		k := key{h.path, h.kind}
		old, ok := best[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || old.Deleted {
			best[k] = sf
		}
	}
	out := make([]image.SecretFile, 0, len(order))
	for _, k := range order {
		out = append(out, best[k])
	}
	slices.SortStableFunc(out, func(a, b image.SecretFile) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Kind, b.Kind)
	})
	return out
}
