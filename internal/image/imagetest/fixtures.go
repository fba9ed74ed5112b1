package imagetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// os-release files.
const (
	Debian12OSRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`
	Ubuntu2204OSRelease = `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
UBUNTU_CODENAME=jammy
`
	Alpine320OSRelease = `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.20.3
PRETTY_NAME="Alpine Linux v3.20"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
`
)

// DpkgPackage is one package of a dpkg status file.
type DpkgPackage struct {
	Name, Version string
	// Source is the Source: field ("openssl", or "util-linux (2.38.1-5)"); empty when the source
	// package has the binary package's name.
	Source string
}

// Debian12Packages are installed in the Debian 12 fixture. libssl3 3.0.11-1~deb12u2 (source
// openssl) is below Debian's fixes of later OpenSSL advisories (e.g. 3.0.13-1~deb12u1).
var Debian12Packages = []DpkgPackage{
	{Name: "base-files", Version: "12.4+deb12u5"},
	{Name: "libc6", Version: "2.36-9+deb12u4", Source: "glibc"},
	{Name: "libssl3", Version: "3.0.11-1~deb12u2", Source: "openssl"},
	{Name: "openssl", Version: "3.0.11-1~deb12u2"},
	{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Source: "zlib"},
	{Name: "libblkid1", Version: "2.38.1-5+b1", Source: "util-linux (2.38.1-5)"},
}

// DebianCurlPackages are what `apt-get install curl` adds to Debian12Packages.
var DebianCurlPackages = []DpkgPackage{
	{Name: "curl", Version: "7.88.1-10+deb12u5"},
	{Name: "libcurl4", Version: "7.88.1-10+deb12u5", Source: "curl"},
}

// DpkgStatus is a /var/lib/dpkg/status file listing the packages as installed.
func DpkgStatus(pkgs ...DpkgPackage) []byte {
	var b strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nPriority: optional\nSection: libs\n", p.Name)
		fmt.Fprintf(&b, "Installed-Size: 1024\nMaintainer: Debian Developers <debian-devel@lists.debian.org>\nArchitecture: amd64\n")
		if p.Source != "" {
			fmt.Fprintf(&b, "Source: %s\n", p.Source)
		}
		fmt.Fprintf(&b, "Version: %s\nDescription: the %s package\n a fixture of kube4c's tests.\n\n", p.Version, p.Name)
	}
	return []byte(b.String())
}

// Debian12Files is a minimal Debian 12 root file system: os-release (/etc/os-release a link to
// /usr/lib/os-release), the dpkg status of pkgs, /bin a link to usr/bin (merged /usr), dash as
// /bin/sh, bash, apt-get and dpkg, and a setuid /usr/bin/passwd.
func Debian12Files(pkgs ...DpkgPackage) []File {
	return []File{
		Dir("etc"),
		Dir("usr/lib"),
		Reg("usr/lib/os-release", Debian12OSRelease),
		Symlink("etc/os-release", "../usr/lib/os-release"),
		Dir("usr/bin"),
		Symlink("bin", "usr/bin"),
		Exec("usr/bin/dash", []byte("#!fake dash\n")),
		Symlink("usr/bin/sh", "dash"),
		Exec("usr/bin/bash", []byte("#!fake bash\n")),
		Exec("usr/bin/apt-get", []byte("#!fake apt-get\n")),
		Exec("usr/bin/dpkg", []byte("#!fake dpkg\n")),
		{Path: "usr/bin/passwd", Content: []byte("#!fake passwd\n"), Mode: 0o4755},
		Dir("var/lib/dpkg"),
		{Path: "var/lib/dpkg/status", Content: DpkgStatus(pkgs...)},
	}
}

// Alpine320Installed is an /lib/apk/db/installed of Alpine 3.20.
const Alpine320Installed = `C:Q1Ly6H0ExampleChecksumOfMusl0000000=
P:musl
V:1.2.5-r0
A:x86_64
S:411017
I:651264
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1712668617
c:4eb9e6c3ac0a6aa64d7d8ee9a1a1d4e7b5a5e5f6

C:Q1ExampleChecksumOfBusybox0000000000=
P:busybox
V:1.36.1-r29
A:x86_64
S:507831
I:958464
T:Size optimized toolbox of many common UNIX utilities
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1716399126
c:1a6e2d1a7e0a3c8f5cfa7a8de9e1b5f1e7a1c9e2

C:Q1ExampleChecksumOfLibcrypto300000000=
P:libcrypto3
V:3.3.0-r2
A:x86_64
S:1764553
I:4947968
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1714044187
c:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567

C:Q1ExampleChecksumOfLibssl300000000000=
P:libssl3
V:3.3.0-r2
A:x86_64
S:353584
I:806912
T:SSL shared libraries
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1714044187
c:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567

C:Q1ExampleChecksumOfZlib00000000000000=
P:zlib
V:1.3.1-r1
A:x86_64
S:53467
I:110592
T:A compression/decompression Library
U:https://zlib.net/
L:Zlib
o:zlib
m:Natanael Copa <ncopa@alpinelinux.org>
t:1711920930
c:9f8e7d6c5b4a39281706f5e4d3c2b1a098765432

`

// Alpine320Files is a minimal Alpine 3.20 root file system: os-release, the apk database,
// busybox as /bin/sh, and apk.
func Alpine320Files() []File {
	return []File{
		Dir("etc"),
		Reg("etc/os-release", Alpine320OSRelease),
		Dir("lib/apk/db"),
		Reg("lib/apk/db/installed", Alpine320Installed),
		Exec("bin/busybox", []byte("#!fake busybox\n")),
		Symlink("bin/sh", "/bin/busybox"),
		Exec("sbin/apk", []byte("#!fake apk\n")),
	}
}

// The module the Go binary fixture is built against: golang.org/x/text v0.3.7 is affected by
// GO-2022-1059 (CVE-2022-32149), fixed in v0.3.8.
const (
	GoBinaryModule        = "golang.org/x/text"
	GoBinaryModuleVersion = "v0.3.7"
	// GoBinaryMain is the main module's path.
	GoBinaryMain = "example.com/kube4c/textapp"
)

var goBinary struct {
	once sync.Once
	b    []byte
	err  error
}

// GoBinary returns a small linux/amd64 Go program built, on first use in the test process, with
// the go command against golang.org/x/text v0.3.7 (fetched through the module proxy the go
// command is configured with, or its module cache).
func GoBinary(t testing.TB) []byte {
	t.Helper()
	goBinary.once.Do(func() { goBinary.b, goBinary.err = buildGoBinary() })
	if goBinary.err != nil {
		t.Fatalf("imagetest: building the Go binary fixture: %v", goBinary.err)
	}
	return goBinary.b
}

func buildGoBinary() ([]byte, error) {
	dir, err := os.MkdirTemp("", "kube4c-gobinary-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	files := map[string]string{
		"go.mod": "module " + GoBinaryMain + "\n\ngo 1.22\n\nrequire " + GoBinaryModule + " " + GoBinaryModuleVersion + "\n",
		"go.sum": GoBinaryModule + " " + GoBinaryModuleVersion + " h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n" +
			GoBinaryModule + " " + GoBinaryModuleVersion + "/go.mod h1:u+2+/6zg+i71rQMx5EYifcz6MCKuco9NR6JIITiCfzQ=\n",
		"main.go": `package main

import (
	"fmt"
	"os"

	"golang.org/x/text/language"
)

func main() {
	tag, err := language.Parse(os.Args[len(os.Args)-1])
	fmt.Println(tag, err)
}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	goCmd, err := exec.LookPath("go")
	if err != nil && os.Getenv("GOROOT") != "" {
		goCmd, err = filepath.Join(os.Getenv("GOROOT"), "bin", "go"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("the go command is needed: %w", err)
	}
	out := filepath.Join(dir, "textapp")
	cmd := exec.Command(goCmd, "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOWORK=off")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, msg)
	}
	return os.ReadFile(out)
}
