package image

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/analyzertest"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/inventory"
)

var eq = analyzertest.Eq

var testNow = time.Date(2026, time.November, 15, 12, 0, 0, 0, time.UTC)

// imageObject wraps an image as the sources do (one object per digest, named by its first ref).
func imgObj(img *image.Image) *inventory.Object {
	img.APIVersion, img.Kind = image.APIVersion, image.Kind
	if img.Digest == "" {
		img.Digest = "sha256:" + strings.Repeat("ab", 32)
	}
	return &inventory.Object{APIVersion: image.APIVersion, Kind: image.Kind, Name: img.Name, Object: img,
		Source: inventory.Source{Origin: inventory.FromImage, Context: img.Name}}
}

// run runs the analyzer at testNow and checks the contract of analyzertest.Run, except that
// findings of the vulnerable-package control are told apart by their advisory and package (they
// have no field path: one image has many).
func run(t *testing.T, cfg *analyzer.Config, objs ...*inventory.Object) *analyzertest.Recorder {
	t.Helper()
	r, err := analyze(cfg, objs...)
	if err != nil {
		t.Fatal(err)
	}
	a := New()
	owned := a.Controls()
	evaluated := map[analyzertest.Evaluation]bool{}
	for _, e := range r.Evaluations {
		if !slices.Contains(owned, e.Control) {
			t.Errorf("evaluated control %s not owned", e.Control)
		}
		if e.Object == nil {
			t.Errorf("Evaluated(%s, nil)", e.Control)
		}
		evaluated[e] = true
	}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !slices.Contains(owned, f.ControlID) {
			t.Errorf("finding for control %s not owned", f.ControlID)
		}
		if f.Message == "" {
			t.Errorf("finding %s %s without a message", f.ControlID, f.Resource.Key())
		}
		if f.Object == nil || !evaluated[analyzertest.Evaluation{Control: f.ControlID, Object: f.Object}] {
			t.Errorf("finding %s %s was not recorded as evaluated", f.ControlID, f.Resource.Key())
		}
		k := fmt.Sprintf("%s %p %s", f.ControlID, f.Object, f.Path)
		if v := f.Vulnerability; v != nil {
			k += " " + v.ID + " " + v.Ecosystem + " " + v.Package + " " + v.Path
		}
		if seen[k] {
			t.Errorf("two findings %s", k)
		}
		seen[k] = true
	}
	return r
}

func analyze(cfg *analyzer.Config, objs ...*inventory.Object) (*analyzertest.Recorder, error) {
	if cfg == nil {
		cfg = analyzer.DefaultConfig()
	}
	r := &analyzertest.Recorder{}
	a := imageAnalyzer{now: func() time.Time { return testNow }}
	err := a.Analyze(context.Background(), analyzertest.Inventory("workloads.yaml", objs...), cfg, r)
	return r, err
}

func TestControlsAreInTheCatalog(t *testing.T) {
	a := New()
	if a.Name() != "image" {
		t.Errorf("Name() = %q", a.Name())
	}
	needs := a.(analyzer.KindNeeds).Needs()
	for _, id := range a.Controls() {
		c, ok := catalog.Lookup(id)
		if !ok {
			t.Errorf("control %s is not in the catalog", id)
			continue
		}
		if c.Layer != catalog.Container {
			t.Errorf("%s: layer %s", id, c.Layer)
		}
		if len(c.References.NSA) == 0 || len(c.References.MITRE) == 0 {
			t.Errorf("%s: references %+v", id, c.References)
		}
		if len(needs[id]) == 0 {
			t.Errorf("%s: no kinds in Needs", id)
		}
	}
	if len(a.Controls()) != 8 {
		t.Errorf("Controls() = %v", a.Controls())
	}
	if c, _ := catalog.Lookup(CtlVulnerable); c.Severity != catalog.High {
		t.Errorf("default severity of %s = %s", CtlVulnerable, c.Severity)
	}
	if c, _ := catalog.Lookup(CtlMinimalShell); c.Severity != catalog.Info {
		t.Errorf("severity of %s = %s", CtlMinimalShell, c.Severity)
	}
	if c, _ := catalog.Lookup(CtlSetuid); c.Severity != catalog.Low {
		t.Errorf("severity of %s = %s", CtlSetuid, c.Severity)
	}
}

// A bare image judged by nothing but the controls that always apply.
func TestCleanImage(t *testing.T) {
	img := &image.Image{Name: "ghcr.io/acme/app:1.0", Refs: []string{"ghcr.io/acme/app:1.0"}, Config: image.Config{User: "10001"},
		OS: &image.OSRelease{ID: "debian", VersionID: "12", Path: "/etc/os-release"}}
	r := run(t, nil, imgObj(img))
	eq(t, "findings", r.Failed(New().Controls()...), nil)
	eq(t, "passed", r.Passed(New().Controls()...), []string{
		CtlEOL + " Image/ghcr.io/acme/app:1.0",
		CtlRunsAsRoot + " Image/ghcr.io/acme/app:1.0",
		CtlSecretConfig + " Image/ghcr.io/acme/app:1.0",
		CtlSecretLayer + " Image/ghcr.io/acme/app:1.0",
		CtlSetuid + " Image/ghcr.io/acme/app:1.0",
	})
	for _, ctl := range []string{CtlVulnerable, CtlMinimalShell, CtlSignature} {
		if r.WasEvaluated(ctl, "Image/ghcr.io/acme/app:1.0") {
			t.Errorf("%s evaluated without its option or claim", ctl)
		}
	}
}

func TestRunsAsRoot(t *testing.T) {
	for _, tc := range []struct {
		user, platform string
		fail, judged   bool
	}{
		{"", "linux/amd64", true, true},
		{"root", "", true, true},
		{"0", "", true, true},
		{"0:0", "", true, true},
		{"root:root", "", true, true},
		{"0:1000", "", true, true},
		{"root:app", "", true, true},
		{"000", "", true, true},
		{" 0 ", "", true, true},
		{"1000", "", false, true},
		{"65532:65532", "", false, true},
		{"nonroot", "", false, true},
		{"app:app", "", false, true},
		{"rootless", "", false, true},
		{"10:0", "", false, true}, // group root is not user root
		{"ContainerAdministrator", "windows/amd64", true, true},
		{"containeradministrator", "windows/amd64", true, true},
		{"ContainerUser", "windows/amd64", false, true},
		{"", "windows/amd64", false, false},
	} {
		img := &image.Image{Name: "app", Platform: tc.platform, Config: image.Config{User: tc.user}}
		r := run(t, nil, imgObj(img))
		if got := len(r.FailedOf(CtlRunsAsRoot)) == 1; got != tc.fail {
			t.Errorf("USER %q on %q: fail = %v, want %v (%v)", tc.user, tc.platform, got, tc.fail, r.Messages(CtlRunsAsRoot))
		}
		if got := r.WasEvaluated(CtlRunsAsRoot, "Image/app"); got != tc.judged {
			t.Errorf("USER %q on %q: evaluated = %v, want %v", tc.user, tc.platform, got, tc.judged)
		}
	}
	r := run(t, nil, imgObj(&image.Image{Name: "app"}))
	eq(t, "message", r.Messages(CtlRunsAsRoot), []string{"the image configuration sets no USER: containers run as root (UID 0) unless the pod sets another user"})
	r = run(t, nil, imgObj(&image.Image{Name: "app", Config: image.Config{User: "0:0"}}))
	eq(t, "message", r.Messages(CtlRunsAsRoot), []string{`the image's USER is "0:0": containers run as root (UID 0) unless the pod sets another user`})
	eq(t, "path", r.FailedOf(CtlRunsAsRoot), []string{"Image/app config.user"})
}

func TestSecretInLayer(t *testing.T) {
	l1, l2 := "sha256:"+strings.Repeat("1", 64), "sha256:"+strings.Repeat("2", 64)
	img := &image.Image{Name: "app", Layers: []image.Layer{{Digest: l1}, {Digest: l2}}, Secrets: []image.SecretFile{
		{Path: "/root/.ssh/id_rsa", Kind: "an RSA private key", Layer: l2},
		{Path: "/app/.aws/credentials", Kind: "AWS credentials", Line: 3, Layer: l1, Deleted: true},
		{Path: "/x", Layer: "sha256:" + strings.Repeat("9", 64)},
	}}
	r := run(t, nil, imgObj(img))
	eq(t, "messages", r.Messages(CtlSecretLayer), []string{
		"/root/.ssh/id_rsa holds an RSA private key (added in layer 2/2 (sha256:222222222222))",
		"/app/.aws/credentials:3 holds AWS credentials; a later layer deleted it, but it is still in layer 1/2 (sha256:111111111111)",
		"/x holds credentials (added in layer sha256:999999999999)",
	})
	eq(t, "paths", r.FailedOf(CtlSecretLayer), []string{"Image/app secrets[0]", "Image/app secrets[1]", "Image/app secrets[2]"})
}

func TestSetuid(t *testing.T) {
	var files []image.File
	for i := 11; i >= 0; i-- {
		files = append(files, image.File{Path: fmt.Sprintf("/usr/bin/f%02d", i), Mode: 0o4755})
	}
	files[0].Mode = 0o2755 // f11
	files[1].Mode = 0o6755 // f10
	r := run(t, nil, imgObj(&image.Image{Name: "app", SetuidFiles: files}))
	eq(t, "messages", r.Messages(CtlSetuid), []string{"the image has 12 setuid/setgid files: " +
		"/usr/bin/f00 (setuid), /usr/bin/f01 (setuid), /usr/bin/f02 (setuid), /usr/bin/f03 (setuid), /usr/bin/f04 (setuid), " +
		"/usr/bin/f05 (setuid), /usr/bin/f06 (setuid), /usr/bin/f07 (setuid), /usr/bin/f08 (setuid), /usr/bin/f09 (setuid) and 2 more"})
	r = run(t, nil, imgObj(&image.Image{Name: "app", SetuidFiles: files[:2]}))
	eq(t, "messages", r.Messages(CtlSetuid), []string{"the image has 2 setuid/setgid files: /usr/bin/f10 (setuid+setgid), /usr/bin/f11 (setgid)"})
	r = run(t, nil, imgObj(&image.Image{Name: "app", SetuidFiles: files[11:]}))
	eq(t, "messages", r.Messages(CtlSetuid), []string{"the image has 1 setuid/setgid file: /usr/bin/f00 (setuid)"})
}

func TestMinimalHasShell(t *testing.T) {
	shell := []string{"/bin/sh", "/bin/bash"}
	apk := []string{"/sbin/apk"}
	for _, tc := range []struct {
		name   string
		refs   []string
		labels map[string]string
		shells []string
		pms    []string
		want   string // "" not judged, "pass", or the message
	}{
		{name: "gcr.io/distroless/static-debian12:nonroot", shells: shell,
			want: "the image presents itself as minimal (its reference gcr.io/distroless/static-debian12:nonroot names a distroless image) but contains a shell (/bin/sh, /bin/bash)"},
		{name: "gcr.io/distroless/static-debian12:nonroot", want: "pass"},
		{name: "gcr.io/distroless/base:debug", shells: []string{"/busybox/sh"}},
		{name: "gcr.io/distroless/base:debug-nonroot", shells: []string{"/busybox/sh"}},
		{name: "cgr.dev/chainguard/python:latest", shells: shell, pms: apk,
			want: "the image presents itself as minimal (its reference cgr.dev/chainguard/python:latest names a Chainguard image) but contains a shell (/bin/sh, /bin/bash) and a package manager (/sbin/apk)"},
		{name: "cgr.dev/chainguard/python:latest-dev", shells: shell, pms: apk},
		{name: "cgr.dev/acme.com/app@sha256:" + strings.Repeat("0", 64), pms: apk,
			want: "the image presents itself as minimal (its reference cgr.dev/acme.com/app@sha256:" + strings.Repeat("0", 64) + " names a Chainguard image) but contains a package manager (/sbin/apk)"},
		{name: "registry.local/app:1", refs: []string{"registry.local/app:1", "registry.local/distroless/app:1"}, shells: shell,
			want: "the image presents itself as minimal (its reference registry.local/distroless/app:1 names a distroless image) but contains a shell (/bin/sh, /bin/bash)"},
		{name: "ghcr.io/acme/app:1", labels: map[string]string{labelBaseName: "gcr.io/distroless/java21-debian12:nonroot"}, shells: shell,
			want: "the image presents itself as minimal (its label org.opencontainers.image.base.name names a distroless image as its base) but contains a shell (/bin/sh, /bin/bash)"},
		{name: "ghcr.io/acme/app:1", labels: map[string]string{labelBaseName: "gcr.io/distroless/java21-debian12:debug"}, shells: shell},
		{name: "ghcr.io/acme/app:1", labels: map[string]string{labelMinimal: "true"}, shells: shell,
			want: "the image presents itself as minimal (its label kube4c.io/minimal is true) but contains a shell (/bin/sh, /bin/bash)"},
		{name: "ghcr.io/acme/app:1", labels: map[string]string{labelMinimal: "false"}, shells: shell},
		{name: "registry.access.redhat.com/ubi9/ubi-minimal:9.4", shells: shell, pms: []string{"/usr/bin/microdnf"}},
		{name: "registry.access.redhat.com/ubi9-micro:9.4", shells: shell},
		{name: "mcr.microsoft.com/dotnet/runtime:8.0", shells: shell},
		{name: "python:3.12-slim", shells: shell},
		{name: "ghcr.io/acme/distroless-ish:1", shells: shell},
	} {
		img := &image.Image{Name: tc.name, Refs: tc.refs, Config: image.Config{Labels: tc.labels}, Shells: tc.shells, PackageManagers: tc.pms}
		o := imgObj(img)
		r := run(t, nil, o)
		res := finding.ResourceOf(o).Key()
		switch {
		case tc.want == "":
			if r.WasEvaluated(CtlMinimalShell, res) {
				t.Errorf("%s %v: judged, want not judged (%v)", tc.name, tc.labels, r.Messages(CtlMinimalShell))
			}
		case tc.want == "pass":
			eq(t, tc.name, r.PassedOf(CtlMinimalShell), []string{res})
		default:
			eq(t, tc.name, r.Messages(CtlMinimalShell), []string{tc.want})
		}
	}
}

func TestEOL(t *testing.T) {
	osr := func(id, version, pretty string) *image.OSRelease {
		return &image.OSRelease{ID: id, VersionID: version, PrettyName: pretty, Path: "/etc/os-release"}
	}
	for _, tc := range []struct {
		os   *image.OSRelease
		now  time.Time
		want string // "" not judged, "pass", or the message
	}{
		{osr("debian", "10", ""), testNow, "the image is built on Debian 10 (buster) (/etc/os-release: ID=debian VERSION_ID=10), whose Debian LTS ended on 2024-06-30: its packages get no more security updates"},
		{osr("debian", "11", ""), testNow, "the image is built on Debian 11 (bullseye) (/etc/os-release: ID=debian VERSION_ID=11), whose Debian LTS ended on 2026-08-31: its packages get no more security updates"},
		// The last day of support passes; the next day fails.
		{osr("debian", "11", ""), time.Date(2026, time.August, 31, 23, 59, 0, 0, time.UTC), "pass"},
		{osr("debian", "11", ""), time.Date(2026, time.September, 1, 0, 0, 1, 0, time.UTC), "fail"},
		{osr("debian", "12", "Distroless"), testNow, "pass"},
		{osr("debian", "13", ""), testNow, "pass"},
		{osr("debian", "", "Debian GNU/Linux trixie/sid"), testNow, ""},
		{osr("debian", "14", ""), testNow, ""}, // newer than the table
		{osr("ubuntu", "20.04", ""), testNow, "the image is built on Ubuntu 20.04 LTS (focal) (/etc/os-release: ID=ubuntu VERSION_ID=20.04), whose standard support (Expanded Security Maintenance through Ubuntu Pro is not counted) ended on 2025-05-31: its packages get no more security updates"},
		{osr("ubuntu", "22.04", ""), testNow, "pass"},
		{osr("ubuntu", "22.04", ""), time.Date(2027, time.May, 1, 0, 0, 0, 0, time.UTC), "fail"},
		{osr("ubuntu", "25.04", ""), testNow, "fail"},
		{osr("ubuntu", "25.10", ""), testNow, "fail"},
		{osr("ubuntu", "26.04", ""), testNow, "pass"},
		{osr("alpine", "3.18.4", ""), testNow, "fail"},
		{osr("alpine", "3.21.3", ""), testNow, "fail"}, // ended 2026-11-01
		{osr("alpine", "3.21.3", ""), time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC), "pass"},
		{osr("alpine", "3.22.1", ""), testNow, "pass"},
		{osr("alpine", "3.23.0_alpha20250612", "Alpine Linux edge"), testNow, ""},
		{osr("rhel", "7.9", ""), testNow, "fail"},
		{osr("rhel", "8.10", ""), testNow, "pass"},
		{osr("rhel", "9.4", ""), testNow, "pass"},
		{osr("centos", "7", "CentOS Linux 7 (Core)"), testNow, "fail"},
		{osr("centos", "8", "CentOS Linux 8"), time.Date(2023, time.January, 1, 0, 0, 0, 0, time.UTC), "fail"},
		{osr("centos", "8", "CentOS Stream 8"), time.Date(2023, time.January, 1, 0, 0, 0, 0, time.UTC), "pass"},
		{osr("centos", "9", "CentOS Stream 9"), testNow, "pass"},
		{osr("centos", "10", "CentOS Stream 10"), testNow, ""},
		{osr("rocky", "8.9", ""), testNow, "pass"},
		{osr("almalinux", "9.4", ""), testNow, "pass"},
		{osr("ol", "7.9", ""), testNow, "fail"},
		{osr("amzn", "2", ""), testNow, "fail"},
		{osr("amzn", "2", ""), time.Date(2026, time.June, 30, 0, 0, 0, 0, time.UTC), "pass"},
		{osr("amzn", "2018.03", ""), testNow, "the image is built on Amazon Linux AMI (Amazon Linux 1) (/etc/os-release: ID=amzn VERSION_ID=2018.03), whose security support ended on 2023-12-31: its packages get no more security updates"},
		{osr("amzn", "2023", ""), testNow, "pass"},
		{osr("fedora", "41", ""), testNow, "fail"},
		{osr("fedora", "43", ""), testNow, "pass"},
		{osr("opensuse-leap", "15.6", ""), testNow, "fail"},
		{osr("opensuse-leap", "16.0", ""), testNow, "pass"},
		{osr("sles", "15.6", ""), testNow, "fail"},
		{osr("sles", "15.7", ""), testNow, "pass"},
		{osr("wolfi", "20230201", "Wolfi"), testNow, "pass"},
		{osr("chainguard", "", ""), testNow, "pass"},
		{osr("gentoo", "2.15", ""), testNow, ""},
		{osr("ubuntu", "22.x", ""), testNow, ""},
		{nil, testNow, ""},
	} {
		name := "no os-release"
		if tc.os != nil {
			name = tc.os.ID + " " + tc.os.VersionID + " " + tc.os.PrettyName
		}
		img := &image.Image{Name: "app", OS: tc.os}
		r := &analyzertest.Recorder{}
		a := imageAnalyzer{now: func() time.Time { return tc.now }}
		if err := a.Analyze(context.Background(), analyzertest.Inventory("x", imgObj(img)), analyzer.DefaultConfig(), r); err != nil {
			t.Fatal(err)
		}
		switch tc.want {
		case "":
			if r.WasEvaluated(CtlEOL, "Image/app") {
				t.Errorf("%s: judged, want not judged (%v)", name, r.Messages(CtlEOL))
			}
		case "pass":
			eq(t, name+" at "+tc.now.Format(time.DateOnly), r.PassedOf(CtlEOL), []string{"Image/app"})
		case "fail":
			if len(r.Messages(CtlEOL)) != 1 {
				t.Errorf("%s at %s: %v, want a finding", name, tc.now.Format(time.DateOnly), r.Messages(CtlEOL))
			}
		default:
			eq(t, name, r.Messages(CtlEOL), []string{tc.want})
		}
	}
}

// The table keeps its promises: one entry per release, real dates, a support phase, and every
// distribution ID known to VersionKey's rules.
func TestEOLTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Releases {
		k := r.ID + " " + r.Version
		if seen[k] {
			t.Errorf("%s twice", k)
		}
		seen[k] = true
		if r.Name == "" || r.Support == "" {
			t.Errorf("%s: incomplete %+v", k, r)
		}
		if r.EOL.Year() < 2010 || r.EOL.Year() > 2040 || r.EOL.Hour() != 0 || r.EOL.Location() != time.UTC {
			t.Errorf("%s: EOL %v", k, r.EOL)
		}
		// The release, written as os-release would, finds its own entry.
		v := strings.TrimPrefix(r.Version, "stream ")
		pretty := ""
		if strings.HasPrefix(r.Version, "stream ") {
			pretty = "CentOS Stream " + v
		}
		if r.ID == "amzn" && r.Version == "1" {
			v = "2018.03"
		}
		got, ok := JudgeOS(&image.OSRelease{ID: r.ID, VersionID: v, PrettyName: pretty}, r.EOL)
		if !ok || got.Release == nil || got.Release.Name != r.Name || got.EndOfLife {
			t.Errorf("%s: JudgeOS on its last day = %+v, %v", k, got, ok)
		}
		if got, _ := JudgeOS(&image.OSRelease{ID: r.ID, VersionID: v, PrettyName: pretty}, r.EOL.AddDate(0, 0, 1)); !got.EndOfLife {
			t.Errorf("%s: not end of life the day after", k)
		}
	}
	if len(EOLTableChecked) != len("2026-11") {
		t.Errorf("EOLTableChecked = %q", EOLTableChecked)
	}
}

func TestVersionKey(t *testing.T) {
	for _, tc := range []struct{ id, version, pretty, want string }{
		{"debian", "12", "", "12"},
		{"ubuntu", "24.04", "", "24.04"},
		{"alpine", "3.20.3", "", "3.20"},
		{"alpine", "3", "", ""},
		{"rhel", "9.4", "", "9"},
		{"sles", "15.6", "", "15.6"},
		{"sles", "15", "", "15"},
		{"amzn", "2017.09", "", "1"},
		{"amzn", "2", "", "2"},
		{"centos", "8", "CentOS Stream 8", "stream 8"},
		{"centos", "8", "CentOS Linux 8", "8"},
		{"centos", "9", "", "stream 9"},
		{"debian", "", "", ""},
		{"debian", "12~beta", "", ""},
		{"ubuntu", "22.04.5", "", "22.04"},
	} {
		got, ok := VersionKey(&image.OSRelease{ID: tc.id, VersionID: tc.version, PrettyName: tc.pretty})
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("VersionKey(%s %s %q) = %q, want %q", tc.id, tc.version, tc.pretty, got, tc.want)
		}
	}
}

func TestAnalyzeStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := New().Analyze(ctx, analyzertest.Inventory("x", imgObj(&image.Image{Name: "app"})), analyzer.DefaultConfig(), &analyzertest.Recorder{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}
