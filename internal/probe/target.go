package probe

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Target is a host the user named, with a port or (Port 0) for the default port set.
type Target struct {
	Host string
	Port int
}

func (t Target) String() string {
	if t.Port == 0 {
		return t.Host
	}
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// ParseTarget reads HOST or HOST:PORT: a DNS name or an IP address, IPv6 addresses in brackets
// when a port follows ("[::1]:2379"; a bare "::1" is a host without a port). URLs and address
// ranges are refused: kube4c probes only the hosts it is given, one by one.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Target{}, fmt.Errorf("empty target")
	case strings.Contains(s, "://"):
		return Target{}, fmt.Errorf("%q: give HOST or HOST:PORT, not a URL", s)
	case strings.Contains(s, "/"):
		return Target{}, fmt.Errorf("%q: address ranges are not probed; name each host", s)
	}
	// A bare IPv6 address, or one in brackets without a port.
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil && (!strings.HasPrefix(s, "[") || strings.HasSuffix(s, "]")) {
		if a.Zone() != "" {
			return Target{}, fmt.Errorf("%q: addresses with a zone are not supported", s)
		}
		return Target{Host: a.String()}, nil
	}
	host, port := s, 0
	if strings.Contains(s, ":") {
		h, p, err := net.SplitHostPort(s)
		if err != nil {
			return Target{}, fmt.Errorf("%q: %v (IPv6 addresses with a port go in brackets: [::1]:2379)", s, errText(err))
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Target{}, fmt.Errorf("%q: port %q is not a number from 1 to 65535", s, p)
		}
		host, port = h, n
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return Target{}, fmt.Errorf("%q: addresses with a zone are not supported", s)
		}
		return Target{Host: a.String(), Port: port}, nil
	}
	if strings.HasPrefix(s, "[") || !validHostname(host) {
		// Brackets are for IPv6 addresses only.
		return Target{}, fmt.Errorf("%q: %q is neither an IP address nor a host name", s, host)
	}
	return Target{Host: strings.ToLower(strings.TrimSuffix(host, ".")), Port: port}, nil
}

func errText(err error) string {
	if ae, ok := err.(*net.AddrError); ok {
		return ae.Err
	}
	return err.Error()
}

// validHostname accepts DNS names: labels of letters, digits, hyphens and underscores, separated
// by dots, at most 253 characters.
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
