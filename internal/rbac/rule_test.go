package rbac_test

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kube4c/kube4c/internal/rbac"
)

// res is a resource request; sub may be empty.
func res(verb, group, resource, sub, ns, name string) rbac.Request {
	return rbac.Request{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
}

// url is a non-resource request.
func url(verb, path string) rbac.Request { return rbac.Request{Verb: verb, Path: path} }

func resourceRule(verbs, groups, resources []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
}

func urlRule(verbs []string, urls ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: urls}
}

func l(s ...string) []string { return s }

func TestRuleAllows(t *testing.T) {
	core := l("")
	tests := []struct {
		name string
		rule rbacv1.PolicyRule
		req  rbac.Request
		want bool
	}{
		// Verbs.
		{"verb exact", resourceRule(l("get"), core, l("pods")), res("get", "", "pods", "", "ns", "p"), true},
		{"verb other", resourceRule(l("get"), core, l("pods")), res("list", "", "pods", "", "ns", ""), false},
		{"verb one of several", resourceRule(l("get", "list", "watch"), core, l("pods")), res("watch", "", "pods", "", "", ""), true},
		{"verb wildcard", resourceRule(l("*"), core, l("pods")), res("escalate", "", "pods", "", "ns", ""), true},
		{"verb wildcard among others", resourceRule(l("get", "*"), core, l("pods")), res("frobnicate", "", "pods", "", "", ""), true},
		{"request verb * is not a wildcard", resourceRule(l("get"), core, l("pods")), res("*", "", "pods", "", "", ""), false},
		{"verbs are case-sensitive", resourceRule(l("GET"), core, l("pods")), res("get", "", "pods", "", "", ""), false},
		{"no verbs", resourceRule(nil, core, l("pods")), res("get", "", "pods", "", "", ""), false},

		// API groups.
		{"core group", resourceRule(l("get"), core, l("deployments")), res("get", "apps", "deployments", "", "", ""), false},
		{"named group", resourceRule(l("get"), l("apps"), l("deployments")), res("get", "apps", "deployments", "", "", ""), true},
		{"group wildcard", resourceRule(l("get"), l("*"), l("deployments")), res("get", "example.com", "deployments", "", "", ""), true},
		{"group wildcard covers core", resourceRule(l("get"), l("*"), l("pods")), res("get", "", "pods", "", "", ""), true},
		{"no groups", resourceRule(l("get"), nil, l("pods")), res("get", "", "pods", "", "", ""), false},

		// Resources and subresources.
		{"resource exact", resourceRule(l("get"), core, l("pods")), res("get", "", "pods", "", "", ""), true},
		{"resource other", resourceRule(l("get"), core, l("pods")), res("get", "", "secrets", "", "", ""), false},
		{"resource does not cover its subresources", resourceRule(l("create"), core, l("pods")), res("create", "", "pods", "exec", "ns", "p"), false},
		{"R/S matches subresource S of R", resourceRule(l("create"), core, l("pods/exec")), res("create", "", "pods", "exec", "ns", "p"), true},
		{"R/S does not match R", resourceRule(l("get"), core, l("pods/log")), res("get", "", "pods", "", "ns", "p"), false},
		{"R/S does not match another subresource", resourceRule(l("get"), core, l("pods/log")), res("get", "", "pods", "exec", "ns", "p"), false},
		{"R/S does not match S of another resource", resourceRule(l("get"), core, l("pods/status")), res("get", "", "nodes", "status", "", "n"), false},
		{"*/S matches S of any resource", resourceRule(l("get"), l("*"), l("*/status")), res("get", "apps", "deployments", "status", "ns", "d"), true},
		{"*/S does not match the resource", resourceRule(l("get"), l("*"), l("*/status")), res("get", "apps", "deployments", "", "ns", "d"), false},
		{"*/S does not match another subresource", resourceRule(l("get"), l("*"), l("*/status")), res("get", "apps", "deployments", "scale", "ns", "d"), false},
		{"*/S is not a suffix match", resourceRule(l("get"), l("*"), l("*/tatus")), res("get", "", "pods", "status", "ns", "d"), false},
		{"* matches every resource", resourceRule(l("get"), core, l("*")), res("get", "", "configmaps", "", "", ""), true},
		{"* matches every subresource", resourceRule(l("get"), core, l("*")), res("get", "", "pods", "log", "ns", "p"), true},
		{"*/* matches only a subresource named *", resourceRule(l("get"), core, l("*/*")), res("get", "", "pods", "log", "ns", "p"), false},
		{"*/* and subresource *", resourceRule(l("get"), core, l("*/*")), res("get", "", "pods", "*", "ns", "p"), true},
		{"R/* is not a wildcard", resourceRule(l("get"), core, l("pods/*")), res("get", "", "pods", "log", "ns", "p"), false},
		{"request resource * is not a wildcard", resourceRule(l("get"), core, l("pods")), res("get", "", "*", "", "", ""), false},
		{"one of several resources", resourceRule(l("update"), l("apps"), l("deployments", "deployments/scale")), res("update", "apps", "deployments", "scale", "ns", "d"), true},

		// Resource names.
		{"name listed", resourceRule(l("get"), core, l("secrets"), "token", "cfg"), res("get", "", "secrets", "", "ns", "cfg"), true},
		{"name not listed", resourceRule(l("get"), core, l("secrets"), "token"), res("get", "", "secrets", "", "ns", "other"), false},
		{"list names no object", resourceRule(l("list"), core, l("secrets"), "token"), res("list", "", "secrets", "", "ns", ""), false},
		{"create names no object", resourceRule(l("create"), core, l("secrets"), "token"), res("create", "", "secrets", "", "ns", ""), false},
		{"watch names no object", resourceRule(l("watch"), core, l("secrets"), "token"), res("watch", "", "secrets", "", "ns", ""), false},
		{"deletecollection names no object", resourceRule(l("deletecollection"), core, l("secrets"), "token"), res("deletecollection", "", "secrets", "", "ns", ""), false},
		// The authorizer does not know which verbs name objects: a list request that carries a name
		// (a list with a metadata.name field selector) matches.
		{"list of a named object", resourceRule(l("list"), core, l("secrets"), "token"), res("list", "", "secrets", "", "ns", "token"), true},
		{"resourceNames * is a name, not a wildcard", resourceRule(l("get"), core, l("secrets"), "*"), res("get", "", "secrets", "", "ns", "token"), false},
		{"empty resourceName matches requests without a name", resourceRule(l("list"), core, l("secrets"), ""), res("list", "", "secrets", "", "ns", ""), true},
		{"names apply to subresources", resourceRule(l("create"), core, l("pods/exec"), "web"), res("create", "", "pods", "exec", "ns", "web"), true},
		{"names apply to subresources (other name)", resourceRule(l("create"), core, l("pods/exec"), "web"), res("create", "", "pods", "exec", "ns", "db"), false},

		// A resource rule never matches a non-resource request and vice versa.
		{"resource rule and URL", resourceRule(l("*"), l("*"), l("*")), url("get", "/healthz"), false},
		{"URL rule and resource", urlRule(l("*"), "*"), res("get", "", "pods", "", "", ""), false},

		// Non-resource URLs.
		{"URL exact", urlRule(l("get"), "/healthz"), url("get", "/healthz"), true},
		{"URL exact is not a prefix", urlRule(l("get"), "/healthz"), url("get", "/healthz/etcd"), false},
		{"URL verb", urlRule(l("get"), "/healthz"), url("post", "/healthz"), false},
		{"URL verb wildcard", urlRule(l("*"), "/healthz"), url("post", "/healthz"), true},
		{"URL *", urlRule(l("get"), "*"), url("get", "/anything/at/all"), true},
		{"URL trailing * is a prefix", urlRule(l("get"), "/logs/*"), url("get", "/logs/kube/x.log"), true},
		{"URL trailing * needs the whole prefix", urlRule(l("get"), "/logs/*"), url("get", "/logs"), false},
		{"URL trailing * without slash", urlRule(l("get"), "/healthz*"), url("get", "/healthzfoo"), true},
		{"URL trailing * matches the prefix itself", urlRule(l("get"), "/healthz*"), url("get", "/healthz"), true},
		{"URL several trailing * are one prefix", urlRule(l("get"), "/deep**"), url("get", "/deep"), true},
		{"URL several trailing * (longer)", urlRule(l("get"), "/deep**"), url("get", "/deepest/x"), true},
		{"URL /* matches every path", urlRule(l("get"), "/*"), url("get", "/version"), true},
		{"URL * in the middle is literal", urlRule(l("get"), "/a/*/b"), url("get", "/a/x/b"), false},
		{"URL * in the middle (exact)", urlRule(l("get"), "/a/*/b"), url("get", "/a/*/b"), true},
		{"URL one of several", urlRule(l("get"), "/version", "/api", "/api/*"), url("get", "/api/v1"), true},
		{"URLs are case-sensitive", urlRule(l("get"), "/Healthz"), url("get", "/healthz"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rbac.RuleAllows(&tc.rule, tc.req); got != tc.want {
				t.Errorf("RuleAllows(%+v, %s) = %v, want %v", tc.rule, tc.req, got, tc.want)
			}
		})
	}
}

func TestGrants(t *testing.T) {
	tests := []struct {
		name                string
		rule                rbacv1.PolicyRule
		verb, group, r, sub string
		want                bool
		wantNames           []string
	}{
		{"every object", resourceRule(l("get", "list"), l(""), l("secrets")), "get", "", "secrets", "", true, nil},
		{"some objects", resourceRule(l("get"), l(""), l("secrets"), "a", "b"), "get", "", "secrets", "", true, l("a", "b")},
		{"wildcards", resourceRule(l("*"), l("*"), l("*")), "create", "", "pods", "exec", true, nil},
		{"*/S", resourceRule(l("get"), l("*"), l("*/status")), "get", "apps", "deployments", "status", true, nil},
		{"other verb", resourceRule(l("get"), l(""), l("secrets")), "list", "", "secrets", "", false, nil},
		{"other group", resourceRule(l("get"), l("apps"), l("secrets")), "get", "", "secrets", "", false, nil},
		{"subresource", resourceRule(l("get"), l(""), l("pods")), "get", "", "pods", "log", false, nil},
		{"URL rule", urlRule(l("*"), "*"), "get", "", "secrets", "", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, names := rbac.Grants(&tc.rule, tc.verb, tc.group, tc.r, tc.sub)
			if ok != tc.want || !slices.Equal(names, tc.wantNames) || (names == nil) != (tc.wantNames == nil) {
				t.Errorf("Grants = %v %q, want %v %q", ok, names, tc.want, tc.wantNames)
			}
		})
	}
}

func TestRequestString(t *testing.T) {
	for _, tc := range []struct {
		req  rbac.Request
		want string
	}{
		{res("get", "", "secrets", "", "kube-system", ""), "get secrets in namespace kube-system"},
		{res("create", "", "pods", "exec", "shop", "web"), "create pods/exec web in namespace shop"},
		{res("list", "apps", "deployments", "", "", ""), "list deployments.apps cluster-wide"},
		{url("get", "/metrics"), "get /metrics"},
	} {
		if got := tc.req.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		if got := tc.req.NonResource(); got != (tc.req.Path != "") {
			t.Errorf("%s: NonResource() = %v", tc.want, got)
		}
	}
}
