package clusterconfig

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// The Kubernetes support table kube4c judges API server versions against.
//
// Source: https://kubernetes.io/releases/ (the per-minor pages kubernetes.io/releases/1.NN/ and
// the end-of-life list data/releases/eol.yaml of github.com/kubernetes/website), and the release
// announcements on kubernetes.io/blog for the release dates. Latest patch releases were checked
// against the kubernetes.io pages and the k8s.io/api module tags (k8s.io/api v0.NN.P is tagged
// with every Kubernetes 1.NN.P release); they are those of the 2026-10-13 patch release day.
//
// Policy (kubernetes.io/releases/patch-releases): a minor version is released roughly every four
// months and gets about 14 months of patch support (12 months, then 2 months of maintenance mode
// for the upgrade). No entry below needed to be estimated from that policy: every date is
// published. When adding a minor version whose dates are not yet published, estimate them from
// the policy and mark the entry "estimated" in its comment.
//
// Update the table (and TableUpdated) with every kube4c release.
const (
	TableUpdated = "2026-11"
	TableSource  = "https://kubernetes.io/releases/"
)

// Release is one Kubernetes minor version in the support table.
type Release struct {
	Minor     int       // 1.Minor
	Released  time.Time // date of 1.Minor.0
	EndOfLife time.Time // last day of patch support
	// LatestPatch is the latest patch release known to kube4c (the final one for minors past end
	// of life).
	LatestPatch int
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Releases is the support table, oldest first. Minor versions older than the first entry are past
// end of life; newer than the last entry are newer than kube4c knows.
var Releases = []Release{
	// Final patch releases of minors past end of life: eol.yaml of kubernetes/website.
	{Minor: 28, Released: day(2023, time.August, 15), EndOfLife: day(2024, time.October, 22), LatestPatch: 15},
	{Minor: 29, Released: day(2023, time.December, 13), EndOfLife: day(2025, time.February, 28), LatestPatch: 14},
	{Minor: 30, Released: day(2024, time.April, 17), EndOfLife: day(2025, time.July, 15), LatestPatch: 14},
	{Minor: 31, Released: day(2024, time.August, 13), EndOfLife: day(2025, time.November, 11), LatestPatch: 14},
	{Minor: 32, Released: day(2024, time.December, 11), EndOfLife: day(2026, time.February, 28), LatestPatch: 13},
	// 1.33 and 1.34: end-of-life dates from kubernetes.io/releases/1.33 and /1.34; latest patch
	// from the k8s.io/api tags (v0.33.13, v0.34.13), the last monthly patch days before end of life.
	{Minor: 33, Released: day(2025, time.April, 23), EndOfLife: day(2026, time.June, 28), LatestPatch: 13},
	{Minor: 34, Released: day(2025, time.August, 27), EndOfLife: day(2026, time.October, 27), LatestPatch: 13},
	// Supported in 2026-11: dates from kubernetes.io/releases/1.35, /1.36 and /1.37; latest
	// patches 1.35.10, 1.36.6 and 1.37.2 of the 2026-10-13 patch day from the k8s.io/api tags (the
	// kubernetes.io pages read listed 1.35.9, 1.36.4 and 1.37.1 with the 2026-10-13 releases
	// scheduled).
	{Minor: 35, Released: day(2025, time.December, 17), EndOfLife: day(2027, time.February, 28), LatestPatch: 10},
	{Minor: 36, Released: day(2026, time.April, 22), EndOfLife: day(2027, time.June, 28), LatestPatch: 6},
	{Minor: 37, Released: day(2026, time.August, 26), EndOfLife: day(2027, time.October, 28), LatestPatch: 2},
}

// Version is a parsed API server version.
type Version struct{ Major, Minor, Patch int }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// versionRE takes major.minor.patch from a gitVersion and ignores what follows: pre-releases
// (v1.37.0-rc.1) and managed-cluster suffixes (v1.35.3-eks-1234, v1.34.2-gke.100, v1.33.1+k3s1).
var versionRE = regexp.MustCompile(`^[vV]?(\d+)\.(\d+)\.(\d+)(?:[-+.].*)?$`)

// ParseVersion parses an API server gitVersion.
func ParseVersion(s string) (Version, error) {
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("version %q is not of the form v<major>.<minor>.<patch>", s)
	}
	var v Version
	for i, p := range []*int{&v.Major, &v.Minor, &v.Patch} {
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return Version{}, fmt.Errorf("version %q: %w", s, err)
		}
		*p = n
	}
	return v, nil
}

// Verdict is the judgement of an API server version against the support table.
type Verdict struct {
	Version Version
	// Unsupported: the minor version is past end of life (the day after its end-of-life date).
	Unsupported bool
	// Outdated: the minor version is supported but a newer patch release is known. Not set for
	// unsupported versions.
	Outdated bool
	// Newer: the version is newer than the table (a newer minor, or a newer patch than the latest
	// known); it is judged neither unsupported nor outdated.
	Newer bool
	// Message explains the verdict, naming the table's date.
	Message string
}

// Judge judges a parsed version at a point in time.
func Judge(v Version, now time.Time) Verdict {
	out := Verdict{Version: v}
	first, last := Releases[0], Releases[len(Releases)-1]
	today := day(now.UTC().Date())
	switch {
	case v.Major > 1 || (v.Major == 1 && v.Minor > last.Minor):
		out.Newer = true
		out.Message = fmt.Sprintf("Kubernetes %s is newer than kube4c's support table (updated %s, up to 1.%d); not judged", v, TableUpdated, last.Minor)
		return out
	case v.Major < 1 || v.Minor < first.Minor:
		out.Unsupported = true
		out.Message = fmt.Sprintf("the API server runs Kubernetes %s; 1.%d reached end of life before 1.%d (end of life %s), so it gets no security fixes; upgrade to a supported minor version (see %s)",
			v, v.Minor, first.Minor, first.EndOfLife.Format(time.DateOnly), TableSource)
		return out
	}
	var r Release
	for _, x := range Releases {
		if x.Minor == v.Minor {
			r = x
		}
	}
	if r.Minor == 0 { // a gap in the table: never judge what it does not know
		out.Newer = true
		out.Message = fmt.Sprintf("Kubernetes %s is not in kube4c's support table (updated %s); not judged", v, TableUpdated)
		return out
	}
	supported := oldestSupported(today)
	if today.After(r.EndOfLife) {
		out.Unsupported = true
		upgrade := "upgrade to a supported minor version"
		if supported != nil {
			upgrade = fmt.Sprintf("upgrade one minor version at a time to 1.%d or later (latest patch 1.%d.%d)", supported.Minor, supported.Minor, supported.LatestPatch)
		}
		out.Message = fmt.Sprintf("the API server runs Kubernetes %s; 1.%d reached end of life on %s and gets no security fixes; %s (support table of %s, %s)",
			v, v.Minor, r.EndOfLife.Format(time.DateOnly), upgrade, TableUpdated, TableSource)
		return out
	}
	switch {
	case v.Patch < r.LatestPatch:
		out.Outdated = true
		out.Message = fmt.Sprintf("the API server runs Kubernetes %s, but 1.%d.%d is the latest patch release known to kube4c (support table of %s); upgrade the control plane and nodes to 1.%d.%d or later (1.%d is supported until %s)",
			v, v.Minor, r.LatestPatch, TableUpdated, v.Minor, r.LatestPatch, v.Minor, r.EndOfLife.Format(time.DateOnly))
	case v.Patch > r.LatestPatch:
		out.Newer = true
		out.Message = fmt.Sprintf("Kubernetes %s is newer than kube4c's support table (updated %s, latest 1.%d.%d); 1.%d is supported until %s",
			v, TableUpdated, v.Minor, r.LatestPatch, v.Minor, r.EndOfLife.Format(time.DateOnly))
	default:
		out.Message = fmt.Sprintf("Kubernetes %s is the latest patch release of 1.%d known to kube4c (support table of %s); 1.%d is supported until %s",
			v, v.Minor, TableUpdated, v.Minor, r.EndOfLife.Format(time.DateOnly))
	}
	return out
}

// oldestSupported returns the oldest minor version still supported on the given day, or nil.
func oldestSupported(today time.Time) *Release {
	for i := range Releases {
		if !today.After(Releases[i].EndOfLife) {
			return &Releases[i]
		}
	}
	return nil
}
