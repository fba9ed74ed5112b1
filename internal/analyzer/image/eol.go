package image

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kube4c/kube4c/internal/image"
)

// The distribution end-of-life table.
//
// Each release has the last day its maintainers publish security updates for it free of charge:
// Debian's end of LTS (the Debian LTS team is part of the Debian project; the commercial Extended
// LTS is not counted), Ubuntu's end of standard support (Expanded Security Maintenance needs an
// Ubuntu Pro subscription and is not counted), the end of Red Hat's maintenance support phase
// (Extended Life Cycle Support is a paid add-on), SUSE's end of general support (LTSS is paid),
// Oracle's end of Premier support. When the source gives only a month, the last day of the month
// is used: an image is never failed for a release that may still be maintained.
//
// Sources (read for the table, EOLTableChecked):
//
//	Debian        https://wiki.debian.org/LTS, https://endoflife.date/debian
//	Ubuntu        https://ubuntu.com/about/release-cycle, https://endoflife.date/ubuntu
//	Alpine        https://alpinelinux.org/releases/, https://endoflife.date/alpine-linux
//	RHEL, UBI     https://access.redhat.com/support/policy/updates/errata, https://endoflife.date/rhel
//	CentOS        https://endoflife.date/centos, https://endoflife.date/centos-stream
//	Rocky Linux   https://wiki.rockylinux.org/rocky/version/, https://endoflife.date/rocky-linux
//	AlmaLinux     https://wiki.almalinux.org/release-notes/, https://endoflife.date/almalinux
//	Oracle Linux  https://www.oracle.com/a/ocom/docs/elsp-lifetime-069338.pdf, https://endoflife.date/oracle-linux
//	Amazon Linux  https://aws.amazon.com/amazon-linux-2/faqs/, https://docs.aws.amazon.com/linux/al2023/ug/release-cadence.html
//	Fedora        https://docs.fedoraproject.org/en-US/releases/eol/, https://endoflife.date/fedora
//	openSUSE Leap https://en.opensuse.org/Lifetime, https://endoflife.date/opensuse
//	SLES          https://www.suse.com/lifecycle, https://endoflife.date/sles
//
// Releases newer than the table are not judged. Update the table (and EOLTableChecked, and
// docs/images.md) with every kube4c release.
const EOLTableChecked = "2026-11"

// Release is one distribution release of the table.
type Release struct {
	// ID is the os-release ID; Version the release as VersionKey renders it.
	ID, Version string
	// Name is the release for people ("Debian 10 (buster)").
	Name string
	// EOL is the last day of support.
	EOL time.Time
	// Support names what ends ("Debian LTS", "standard support", ...).
	Support string
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// monthEnd is the last day of a month (for sources that give only the month).
func monthEnd(y int, m time.Month) time.Time { return day(y, m+1, 1).AddDate(0, 0, -1) }

const (
	debianLTS      = "Debian LTS"
	ubuntuStandard = "standard support (Expanded Security Maintenance through Ubuntu Pro is not counted)"
	rhMaintenance  = "maintenance support (Extended Life Cycle Support is not counted)"
	security       = "security support"
	general        = "general support (LTSS is not counted)"
	premier        = "Premier support (Extended Support is not counted)"
)

// Releases is the table, by distribution, oldest first.
var Releases = []Release{
	{"debian", "7", "Debian 7 (wheezy)", day(2018, time.May, 31), debianLTS},
	{"debian", "8", "Debian 8 (jessie)", day(2020, time.June, 30), debianLTS},
	{"debian", "9", "Debian 9 (stretch)", day(2022, time.June, 30), debianLTS},
	{"debian", "10", "Debian 10 (buster)", day(2024, time.June, 30), debianLTS},
	{"debian", "11", "Debian 11 (bullseye)", day(2026, time.August, 31), debianLTS},
	{"debian", "12", "Debian 12 (bookworm)", day(2028, time.June, 30), debianLTS},
	{"debian", "13", "Debian 13 (trixie)", day(2030, time.June, 30), debianLTS},

	{"ubuntu", "12.04", "Ubuntu 12.04 LTS (precise)", day(2017, time.April, 28), ubuntuStandard},
	{"ubuntu", "14.04", "Ubuntu 14.04 LTS (trusty)", monthEnd(2019, time.April), ubuntuStandard},
	{"ubuntu", "16.04", "Ubuntu 16.04 LTS (xenial)", monthEnd(2021, time.April), ubuntuStandard},
	{"ubuntu", "18.04", "Ubuntu 18.04 LTS (bionic)", day(2023, time.May, 31), ubuntuStandard},
	{"ubuntu", "18.10", "Ubuntu 18.10 (cosmic)", day(2019, time.July, 18), ubuntuStandard},
	{"ubuntu", "19.04", "Ubuntu 19.04 (disco)", day(2020, time.January, 23), ubuntuStandard},
	{"ubuntu", "19.10", "Ubuntu 19.10 (eoan)", day(2020, time.July, 6), ubuntuStandard},
	{"ubuntu", "20.04", "Ubuntu 20.04 LTS (focal)", day(2025, time.May, 31), ubuntuStandard},
	{"ubuntu", "20.10", "Ubuntu 20.10 (groovy)", day(2021, time.July, 22), ubuntuStandard},
	{"ubuntu", "21.04", "Ubuntu 21.04 (hirsute)", day(2022, time.January, 20), ubuntuStandard},
	{"ubuntu", "21.10", "Ubuntu 21.10 (impish)", day(2022, time.July, 14), ubuntuStandard},
	{"ubuntu", "22.04", "Ubuntu 22.04 LTS (jammy)", monthEnd(2027, time.April), ubuntuStandard},
	{"ubuntu", "22.10", "Ubuntu 22.10 (kinetic)", day(2023, time.July, 20), ubuntuStandard},
	{"ubuntu", "23.04", "Ubuntu 23.04 (lunar)", day(2024, time.January, 25), ubuntuStandard},
	{"ubuntu", "23.10", "Ubuntu 23.10 (mantic)", day(2024, time.July, 12), ubuntuStandard},
	{"ubuntu", "24.04", "Ubuntu 24.04 LTS (noble)", monthEnd(2029, time.May), ubuntuStandard},
	{"ubuntu", "24.10", "Ubuntu 24.10 (oracular)", day(2025, time.July, 10), ubuntuStandard},
	{"ubuntu", "25.04", "Ubuntu 25.04 (plucky)", monthEnd(2026, time.January), ubuntuStandard},
	{"ubuntu", "25.10", "Ubuntu 25.10 (questing)", monthEnd(2026, time.July), ubuntuStandard},
	{"ubuntu", "26.04", "Ubuntu 26.04 LTS (resolute)", monthEnd(2031, time.April), ubuntuStandard},

	{"alpine", "3.0", "Alpine 3.0", day(2016, time.May, 1), security},
	{"alpine", "3.1", "Alpine 3.1", day(2016, time.November, 1), security},
	{"alpine", "3.2", "Alpine 3.2", day(2017, time.May, 1), security},
	{"alpine", "3.3", "Alpine 3.3", day(2017, time.November, 1), security},
	{"alpine", "3.4", "Alpine 3.4", day(2018, time.May, 1), security},
	{"alpine", "3.5", "Alpine 3.5", day(2018, time.November, 1), security},
	{"alpine", "3.6", "Alpine 3.6", day(2019, time.May, 1), security},
	{"alpine", "3.7", "Alpine 3.7", day(2019, time.November, 1), security},
	{"alpine", "3.8", "Alpine 3.8", day(2020, time.May, 1), security},
	{"alpine", "3.9", "Alpine 3.9", day(2020, time.November, 1), security},
	{"alpine", "3.10", "Alpine 3.10", day(2021, time.May, 1), security},
	{"alpine", "3.11", "Alpine 3.11", day(2021, time.November, 1), security},
	{"alpine", "3.12", "Alpine 3.12", day(2022, time.May, 1), security},
	{"alpine", "3.13", "Alpine 3.13", day(2022, time.November, 1), security},
	{"alpine", "3.14", "Alpine 3.14", day(2023, time.May, 1), security},
	{"alpine", "3.15", "Alpine 3.15", day(2023, time.November, 1), security},
	{"alpine", "3.16", "Alpine 3.16", day(2024, time.May, 23), security},
	{"alpine", "3.17", "Alpine 3.17", day(2024, time.November, 22), security},
	{"alpine", "3.18", "Alpine 3.18", day(2025, time.May, 9), security},
	{"alpine", "3.19", "Alpine 3.19", day(2025, time.November, 1), security},
	{"alpine", "3.20", "Alpine 3.20", day(2026, time.April, 1), security},
	{"alpine", "3.21", "Alpine 3.21", day(2026, time.November, 1), security},
	{"alpine", "3.22", "Alpine 3.22", day(2027, time.May, 1), security},
	{"alpine", "3.23", "Alpine 3.23", day(2027, time.November, 1), security},

	{"rhel", "6", "Red Hat Enterprise Linux 6", day(2020, time.November, 30), rhMaintenance},
	{"rhel", "7", "Red Hat Enterprise Linux 7", day(2024, time.June, 30), rhMaintenance},
	{"rhel", "8", "Red Hat Enterprise Linux 8", day(2029, time.May, 31), rhMaintenance},
	{"rhel", "9", "Red Hat Enterprise Linux 9", day(2032, time.May, 31), rhMaintenance},
	{"rhel", "10", "Red Hat Enterprise Linux 10", day(2035, time.May, 31), rhMaintenance},

	{"centos", "6", "CentOS Linux 6", day(2020, time.November, 30), security},
	{"centos", "7", "CentOS Linux 7", day(2024, time.June, 30), security},
	{"centos", "8", "CentOS Linux 8", day(2021, time.December, 31), security},
	{"centos", "stream 8", "CentOS Stream 8", day(2024, time.May, 31), security},
	{"centos", "stream 9", "CentOS Stream 9", day(2027, time.May, 31), security},

	{"rocky", "8", "Rocky Linux 8", day(2029, time.May, 31), security},
	{"rocky", "9", "Rocky Linux 9", day(2032, time.May, 31), security},
	{"rocky", "10", "Rocky Linux 10", day(2035, time.May, 31), security},

	{"almalinux", "8", "AlmaLinux 8", day(2029, time.March, 1), security},
	{"almalinux", "9", "AlmaLinux 9", day(2032, time.May, 31), security},
	{"almalinux", "10", "AlmaLinux 10", day(2035, time.May, 31), security},

	{"ol", "6", "Oracle Linux 6", monthEnd(2021, time.March), premier},
	{"ol", "7", "Oracle Linux 7", monthEnd(2024, time.December), premier},
	{"ol", "8", "Oracle Linux 8", monthEnd(2029, time.July), premier},
	{"ol", "9", "Oracle Linux 9", monthEnd(2032, time.June), premier},

	{"amzn", "1", "Amazon Linux AMI (Amazon Linux 1)", day(2023, time.December, 31), security},
	{"amzn", "2", "Amazon Linux 2", day(2026, time.June, 30), security},
	{"amzn", "2023", "Amazon Linux 2023", day(2029, time.June, 30), security},

	{"fedora", "35", "Fedora 35", day(2022, time.December, 13), security},
	{"fedora", "36", "Fedora 36", day(2023, time.May, 16), security},
	{"fedora", "37", "Fedora 37", day(2023, time.December, 5), security},
	{"fedora", "38", "Fedora 38", day(2024, time.May, 21), security},
	{"fedora", "39", "Fedora 39", day(2024, time.November, 26), security},
	{"fedora", "40", "Fedora 40", day(2025, time.May, 13), security},
	{"fedora", "41", "Fedora 41", day(2025, time.December, 15), security},
	{"fedora", "42", "Fedora 42", day(2026, time.May, 13), security},
	{"fedora", "43", "Fedora 43", day(2026, time.December, 9), security},

	{"opensuse-leap", "15.0", "openSUSE Leap 15.0", day(2019, time.December, 3), security},
	{"opensuse-leap", "15.1", "openSUSE Leap 15.1", day(2021, time.February, 2), security},
	{"opensuse-leap", "15.2", "openSUSE Leap 15.2", day(2022, time.January, 4), security},
	{"opensuse-leap", "15.3", "openSUSE Leap 15.3", day(2022, time.December, 31), security},
	{"opensuse-leap", "15.4", "openSUSE Leap 15.4", day(2023, time.December, 7), security},
	{"opensuse-leap", "15.5", "openSUSE Leap 15.5", day(2024, time.December, 31), security},
	{"opensuse-leap", "15.6", "openSUSE Leap 15.6", day(2026, time.April, 30), security},
	{"opensuse-leap", "16.0", "openSUSE Leap 16.0", day(2027, time.October, 31), security},

	{"sles", "12.3", "SUSE Linux Enterprise Server 12 SP3", day(2019, time.June, 30), general},
	{"sles", "12.4", "SUSE Linux Enterprise Server 12 SP4", day(2020, time.June, 30), general},
	{"sles", "12.5", "SUSE Linux Enterprise Server 12 SP5", day(2024, time.October, 31), general},
	{"sles", "15", "SUSE Linux Enterprise Server 15", day(2019, time.December, 31), general},
	{"sles", "15.1", "SUSE Linux Enterprise Server 15 SP1", day(2021, time.January, 31), general},
	{"sles", "15.2", "SUSE Linux Enterprise Server 15 SP2", day(2021, time.December, 31), general},
	{"sles", "15.3", "SUSE Linux Enterprise Server 15 SP3", day(2022, time.December, 31), general},
	{"sles", "15.4", "SUSE Linux Enterprise Server 15 SP4", day(2023, time.December, 31), general},
	{"sles", "15.5", "SUSE Linux Enterprise Server 15 SP5", day(2024, time.December, 31), general},
	{"sles", "15.6", "SUSE Linux Enterprise Server 15 SP6", day(2025, time.December, 31), general},
	{"sles", "15.7", "SUSE Linux Enterprise Server 15 SP7", day(2031, time.July, 31), general},
}

// RollingDistributions are os-release IDs of distributions without releases: every image is on
// the maintained stream (whether its packages are current is container/image-vulnerable-package's
// question).
var RollingDistributions = []string{"wolfi", "chainguard", "opensuse-tumbleweed", "arch"}

// VersionKey renders the release of an os-release the way the table keys it: the major version
// for Debian and the RHEL family, major.minor for Ubuntu, Alpine, openSUSE Leap and SLES, "1",
// "2" or "2023" for Amazon Linux, "stream N" for CentOS Stream. ok is false when the release
// cannot be read (no VERSION_ID: Debian testing and sid; Alpine edge's _alpha versions).
func VersionKey(os *image.OSRelease) (key string, ok bool) {
	v := strings.TrimSpace(os.VersionID)
	if v == "" || strings.ContainsAny(v, "_~") {
		return "", false
	}
	parts := strings.Split(v, ".")
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return "", false
		}
	}
	major := parts[0]
	majorMinor := func() (string, bool) {
		if len(parts) < 2 {
			return "", false
		}
		return parts[0] + "." + parts[1], true
	}
	switch os.ID {
	case "ubuntu", "alpine", "opensuse-leap":
		return majorMinor()
	case "sles":
		if len(parts) == 1 {
			return major, true
		}
		return majorMinor()
	case "amzn":
		if y, err := strconv.Atoi(major); err == nil && y >= 2010 && y <= 2018 {
			return "1", true // the Amazon Linux AMI: 2018.03 and earlier
		}
		return major, true
	case "centos":
		m, _ := strconv.Atoi(major)
		if m >= 9 || strings.Contains(strings.ToLower(os.PrettyName), "stream") {
			return "stream " + major, true
		}
		return major, true
	}
	return major, true
}

// EOLVerdict is the judgement of an image's distribution.
type EOLVerdict struct {
	// Release is the table's entry (nil for rolling distributions).
	Release *Release
	// Rolling: the distribution has no releases and never ends.
	Rolling bool
	// EndOfLife: the release is past its last day of support.
	EndOfLife bool
}

// JudgeOS judges a distribution release at a point in time; ok is false when the table does not
// know the distribution or the release.
func JudgeOS(os *image.OSRelease, now time.Time) (v EOLVerdict, ok bool) {
	if os == nil {
		return EOLVerdict{}, false
	}
	if slices.Contains(RollingDistributions, os.ID) {
		return EOLVerdict{Rolling: true}, true
	}
	key, ok := VersionKey(os)
	if !ok {
		return EOLVerdict{}, false
	}
	i := slices.IndexFunc(Releases, func(r Release) bool { return r.ID == os.ID && r.Version == key })
	if i < 0 {
		return EOLVerdict{}, false
	}
	u := now.UTC()
	today := day(u.Year(), u.Month(), u.Day())
	r := &Releases[i]
	return EOLVerdict{Release: r, EndOfLife: today.After(r.EOL)}, true
}

// eol judges the image's distribution against the table.
func (j judge) eol(now time.Time) {
	v, ok := JudgeOS(j.img.OS, now)
	if !ok {
		return // no os-release, or a distribution or release the table does not know: not judged
	}
	j.eval(CtlEOL)
	if !v.EndOfLife {
		return
	}
	r := v.Release
	j.fail(CtlEOL, nil, "the image is built on %s (%s), whose %s ended on %s: its packages get no more security updates",
		r.Name, osSource(j.img.OS), r.Support, r.EOL.Format(time.DateOnly))
}

// osSource says where the release was read: "/etc/os-release: ID=debian VERSION_ID=10".
func osSource(os *image.OSRelease) string {
	p := os.Path
	if p == "" {
		p = "os-release"
	}
	return fmt.Sprintf("%s: ID=%s VERSION_ID=%s", p, os.ID, os.VersionID)
}
