package probe

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Target
	}{
		{"node1", Target{Host: "node1"}},
		{"Node1.Example.COM.", Target{Host: "node1.example.com"}},
		{"node1:10250", Target{Host: "node1", Port: 10250}},
		{"10.0.0.1", Target{Host: "10.0.0.1"}},
		{"10.0.0.1:2379", Target{Host: "10.0.0.1", Port: 2379}},
		{"::1", Target{Host: "::1"}},
		{"[::1]", Target{Host: "::1"}},
		{"[::1]:2379", Target{Host: "::1", Port: 2379}},
		{"2001:DB8::1", Target{Host: "2001:db8::1"}},
		{"[2001:db8::1]:65535", Target{Host: "2001:db8::1", Port: 65535}},
		{"::ffff:10.0.0.1", Target{Host: "::ffff:10.0.0.1"}},
		{" node_1 ", Target{Host: "node_1"}},
	} {
		got, err := ParseTarget(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "empty target"},
		{"https://node1:6443", "not a URL"},
		{"10.0.0.0/24", "address ranges"},
		{"node1:0", "not a number from 1 to 65535"},
		{"node1:65536", "not a number from 1 to 65535"},
		{"node1:http", "not a number"},
		{"node1:", "not a number"},
		{"2001:db8::1:2379x", "brackets"},
		{"[::1]:", "not a number"},
		{"fe80::1%eth0", "zone"},
		{"no spaces", "neither an IP address nor a host name"},
		{"-bad.example", "neither"},
		{"a..b", "neither"},
		{"[node1]:80", "neither"},
	} {
		if got, err := ParseTarget(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTarget(%q) = %+v, %v; want an error about %q", tc.in, got, err, tc.want)
		}
	}
}

func TestTargetString(t *testing.T) {
	for _, tc := range []struct {
		t    Target
		want string
	}{{Target{Host: "node1"}, "node1"}, {Target{Host: "::1", Port: 2379}, "[::1]:2379"}, {Target{Host: "10.0.0.1", Port: 443}, "10.0.0.1:443"}} {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.t, got, tc.want)
		}
	}
}
