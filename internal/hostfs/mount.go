package hostfs

import "strings"

// mounted reads the paths under a mount point from another FS.
type mounted struct {
	base  FS
	point string // cleaned, e.g. "/proc"
	sub   FS
}

// Mount returns an FS that reads the paths under point (e.g. "/proc") from sub, whose "/" is
// point, and every other path from base. A pod that mounts its node's / at /host and shares the
// node's PID namespace reads the node with Mount(Dir("/host"), "/proc", Dir("/proc")).
// Symbolic links are resolved within the FS the path is routed to.
func Mount(base FS, point string, sub FS) FS {
	return mounted{base: base, point: Clean(point), sub: sub}
}

func (m mounted) route(name string) (FS, string) {
	p := Clean(name)
	if p == m.point {
		return m.sub, "/"
	}
	if rest, ok := strings.CutPrefix(p, m.point+"/"); ok {
		return m.sub, "/" + rest
	}
	return m.base, p
}

func (m mounted) ReadFile(name string) ([]byte, error) {
	f, p := m.route(name)
	return f.ReadFile(p)
}

func (m mounted) Stat(name string) (Info, error) {
	f, p := m.route(name)
	return f.Stat(p)
}

func (m mounted) ReadDir(name string) ([]string, error) {
	f, p := m.route(name)
	return f.ReadDir(p)
}

func (m mounted) String() string {
	return m.base.String() + " (" + m.point + " from " + m.sub.String() + ")"
}
