package image

import (
	"fmt"
	"strings"
)

// The minimal-image claim.
//
// An image claims to be minimal — to have no shell and no package manager — when
//
//   - a reference to it (its Name or one of its Refs) names a distroless image: a repository
//     path component "distroless" (gcr.io/distroless/static, .../distroless/java21), or a
//     Chainguard image (registry cgr.dev, or a path component "chainguard");
//   - its label org.opencontainers.image.base.name names such an image as its base; or
//   - its label kube4c.io/minimal is "true".
//
// References whose tag names a debug or development variant (debug, dev, shell, and tags ending
// in -debug, -dev, -shell such as latest-dev and nonroot-debug) include a shell on purpose and do
// not claim anything. ubi-minimal, ubi-micro and -slim images ship a shell by design (minimal
// there means fewer packages) and are not claims.
const (
	labelBaseName = "org.opencontainers.image.base.name"
	labelMinimal  = "kube4c.io/minimal"
)

// minimalClaim returns why the image claims to be minimal ("" when it does not).
func (j judge) minimalClaim() string {
	if v, ok := j.img.Config.Labels[labelMinimal]; ok && strings.EqualFold(strings.TrimSpace(v), "true") {
		return fmt.Sprintf("its label %s is true", labelMinimal)
	}
	refs := append([]string{j.img.Name}, j.img.Refs...)
	for _, r := range refs {
		if what := minimalRef(r); what != "" {
			return fmt.Sprintf("its reference %s names %s", r, what)
		}
	}
	if base := j.img.Config.Labels[labelBaseName]; base != "" {
		if what := minimalRef(base); what != "" {
			return fmt.Sprintf("its label %s names %s as its base", labelBaseName, what)
		}
	}
	return ""
}

// minimalRef says which minimal image a reference names ("a distroless image", "a Chainguard
// image"), or "" when it names none or a debug variant.
func minimalRef(ref string) string {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if ref == "" {
		return ""
	}
	name, _, _ := strings.Cut(ref, "@")
	tag := ""
	if i := strings.LastIndex(name, ":"); i >= 0 && i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	if debugTag(tag) {
		return ""
	}
	parts := strings.Split(name, "/")
	if len(parts) > 1 && parts[0] == "cgr.dev" {
		return "a Chainguard image"
	}
	for _, p := range parts {
		switch p {
		case "distroless":
			return "a distroless image"
		case "chainguard":
			return "a Chainguard image"
		}
	}
	return ""
}

// debugTag reports whether a tag names a variant that has a shell on purpose.
func debugTag(tag string) bool {
	for _, s := range []string{"debug", "dev", "shell"} {
		if tag == s || strings.HasSuffix(tag, "-"+s) || strings.HasPrefix(tag, s+"-") {
			return true
		}
	}
	return false
}

// minimalShell reports an image that claims to be minimal but has a shell or package manager.
func (j judge) minimalShell() {
	claim := j.minimalClaim()
	if claim == "" {
		return // not judged: the image does not claim to be minimal
	}
	j.eval(CtlMinimalShell)
	var has []string
	if len(j.img.Shells) > 0 {
		has = append(has, "a shell ("+list(j.img.Shells, 5)+")")
	}
	if len(j.img.PackageManagers) > 0 {
		has = append(has, "a package manager ("+list(j.img.PackageManagers, 5)+")")
	}
	if len(has) == 0 {
		return
	}
	j.fail(CtlMinimalShell, nil, "the image presents itself as minimal (%s) but contains %s", claim, strings.Join(has, " and "))
}
