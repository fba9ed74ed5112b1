package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BinDirEnv names the environment variable that points at a directory
// holding kube-apiserver and kube-controller-manager (and optionally etcd),
// instead of <repo>/bin.
const BinDirEnv = "KUBE4C_TESTENV_BIN"

// ErrMissingBinaries is wrapped by the error Binaries returns when a
// control-plane binary cannot be found.
var ErrMissingBinaries = errors.New("control-plane binaries missing (run 'make testenv')")

const modulePath = "github.com/kube4c/kube4c"

// Binaries finds the control-plane binaries: kube-apiserver and
// kube-controller-manager in $KUBE4C_TESTENV_BIN, or else in <repo>/bin
// (where `make testenv` builds them); etcd in that directory if it is there,
// or else on PATH (`make testenv` installs Debian's etcd-server, /usr/bin/etcd).
func Binaries() (apiserver, kcm, etcd string, err error) {
	dir := os.Getenv(BinDirEnv)
	if dir == "" {
		root, rerr := repoRoot()
		if rerr != nil {
			return "", "", "", fmt.Errorf("%w: %v (or set %s)", ErrMissingBinaries, rerr, BinDirEnv)
		}
		dir = filepath.Join(root, "bin")
	}
	var missing []string
	find := func(name string) string {
		p := filepath.Join(dir, name)
		if isExecutable(p) {
			return p
		}
		missing = append(missing, p)
		return ""
	}
	apiserver = find("kube-apiserver")
	kcm = find("kube-controller-manager")
	if p := filepath.Join(dir, "etcd"); isExecutable(p) {
		etcd = p
	} else if p, lerr := exec.LookPath("etcd"); lerr == nil {
		etcd = p
	} else {
		missing = append(missing, "etcd (on PATH)")
	}
	if len(missing) > 0 {
		return "", "", "", fmt.Errorf("%w: not found: %s", ErrMissingBinaries, strings.Join(missing, ", "))
	}
	return apiserver, kcm, etcd, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path) // follows bin/kube-apiserver -> kube-apiserver-<version>
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// repoRoot walks up from the working directory (a package directory under
// `go test`) to kube4c's own go.mod, skipping nested modules such as
// hack/testenv.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if modulePathOf(filepath.Join(dir, "go.mod")) == modulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod for module %s above the working directory", modulePath)
		}
		dir = parent
	}
}

func modulePathOf(goMod string) string {
	f, err := os.Open(goMod)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
