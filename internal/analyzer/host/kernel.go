package host

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	nodeinfo "github.com/kube4c/kube4c/internal/node"
)

// The kernel support table: the longterm branches of kernel.org.
//
// Source: https://www.kernel.org/category/releases.html ("Longterm release kernels": version,
// release date, projected end of life). The listing read for 6.1, 5.15, 5.10, 5.4, 4.19 and 4.14
// gives the dates below. 6.18 became longterm in December 2025 (projected end of life December
// 2027 at first); in 2026 the stable maintainers extended 6.18 and 6.12 to December 2028 and 6.6
// to December 2027 (announced on LKML and updated on the kernel.org page, as reported by the
// press; the kernel.org listing read earlier still said December 2026 for 6.6 and 6.12). The later
// dates are used: a node is never failed for a branch that may still be maintained.
//
// A projected end of life "Dec, 2026" means maintained through 2026-12-31. Branches older than
// the newest longterm branch that are not in the table are stable branches, maintained only until
// their successor was released; branches newer than it are not judged.
//
// Update the table (and KernelTableUpdated) with every kube4c release.
const (
	KernelTableUpdated = "2026-11"
	KernelTableSource  = "https://www.kernel.org/category/releases.html"
)

// KernelBranch is a longterm branch of kernel.org.
type KernelBranch struct {
	Major, Minor int
	// EndOfLife is the last day of the projected end-of-life month.
	EndOfLife time.Time
}

func endOfMonth(y int, m time.Month) time.Time {
	return time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
}

// LongtermKernels is the table, newest first.
var LongtermKernels = []KernelBranch{
	{6, 18, endOfMonth(2028, time.December)},
	{6, 12, endOfMonth(2028, time.December)},
	{6, 6, endOfMonth(2027, time.December)},
	{6, 1, endOfMonth(2027, time.December)},
	{5, 15, endOfMonth(2026, time.December)},
	{5, 10, endOfMonth(2026, time.December)},
	{5, 4, endOfMonth(2025, time.December)},
	{4, 19, endOfMonth(2024, time.December)},
	{4, 14, endOfMonth(2024, time.January)},
}

// vendorKernels are the os-release IDs (matched against ID and ID_LIKE) of distributions that
// maintain their kernel branches past kernel.org's end of life, on their own lifecycle.
var vendorKernels = []string{"rhel", "centos", "rocky", "almalinux", "ol", "amzn", "ubuntu", "sles", "sled", "suse", "opensuse-leap", "sl-micro"}

var kernelRE = regexp.MustCompile(`^(\d+)\.(\d+)`)

// KernelVerdict is the judgement of a kernel release against the table.
type KernelVerdict struct {
	Major, Minor int
	// Unsupported: kernel.org no longer maintains the branch.
	Unsupported bool
	// Newer: the branch is newer than the table; it is not judged.
	Newer bool
	// Longterm is the table's entry for the branch, when it has one.
	Longterm *KernelBranch
}

// JudgeKernel judges a kernel release ("6.8.0-45-generic") at a point in time.
func JudgeKernel(release string, now time.Time) (KernelVerdict, error) {
	m := kernelRE.FindStringSubmatch(release)
	if m == nil {
		return KernelVerdict{}, fmt.Errorf("kernel release %q does not start with MAJOR.MINOR", release)
	}
	var v KernelVerdict
	var err error
	if v.Major, err = strconv.Atoi(m[1]); err != nil {
		return KernelVerdict{}, fmt.Errorf("kernel release %q: %w", release, err)
	}
	if v.Minor, err = strconv.Atoi(m[2]); err != nil {
		return KernelVerdict{}, fmt.Errorf("kernel release %q: %w", release, err)
	}
	newest := LongtermKernels[0]
	if v.Major > newest.Major || v.Major == newest.Major && v.Minor > newest.Minor {
		v.Newer = true
		return v, nil
	}
	today := time.Date(now.UTC().Year(), now.UTC().Month(), now.UTC().Day(), 0, 0, 0, 0, time.UTC)
	for i := range LongtermKernels {
		if b := &LongtermKernels[i]; b.Major == v.Major && b.Minor == v.Minor {
			v.Longterm = b
			v.Unsupported = today.After(b.EndOfLife)
			return v, nil
		}
	}
	v.Unsupported = true // a stable branch older than the newest longterm one
	return v, nil
}

// vendorKernel reports whether the distribution maintains its own kernels past kernel.org's end
// of life, and its name.
func vendorKernel(os *nodeinfo.OSRelease) bool {
	if os == nil {
		return false
	}
	if slices.Contains(vendorKernels, os.ID) {
		return true
	}
	for _, like := range os.IDLike {
		if slices.Contains(vendorKernels, like) {
			return true
		}
	}
	return false
}
