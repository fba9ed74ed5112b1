package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Request is what an identity asks to do: a resource request (Verb, APIGroup, Resource,
// Subresource, Namespace, Name) or, when Path is set, a non-resource request (Verb and Path).
// Namespace is empty for cluster-scoped resources and for requests across all namespaces; Name is
// empty for requests that name no object (list, watch, create, deletecollection).
type Request struct {
	Verb        string `json:"verb"`
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	Path        string `json:"path,omitempty"`
}

// NonResource reports whether the request is for a non-resource URL.
func (r Request) NonResource() bool { return r.Path != "" }

// String renders the request for messages, e.g. "get secrets in namespace kube-system".
func (r Request) String() string {
	if r.NonResource() {
		return r.Verb + " " + r.Path
	}
	s := r.Verb + " " + qualifiedResource(r.APIGroup, r.Resource, r.Subresource)
	if r.Name != "" {
		s += " " + r.Name
	}
	if r.Namespace != "" {
		s += " in namespace " + r.Namespace
	} else {
		s += " cluster-wide"
	}
	return s
}

func qualifiedResource(group, resource, sub string) string {
	s := resource
	if sub != "" {
		s += "/" + sub
	}
	if group != "" {
		s += "." + group
	}
	return s
}

// RuleAllows reports whether a policy rule grants the request, with the matching the RBAC
// authorizer uses:
//   - verbs, API groups and resources match exactly or through "*";
//   - a resource "R/S" matches subresource S of R, "*/S" matches subresource S of any resource,
//     and "*" matches every resource and subresource;
//   - a rule with resourceNames matches only requests that name one of them (never list, watch,
//     create or deletecollection, which name no object);
//   - non-resource URLs match exactly, through "*", or by prefix with a trailing "*" (or several:
//     "/logs**" is the prefix "/logs").
func RuleAllows(rule *rbacv1.PolicyRule, r Request) bool {
	if !has(rule.Verbs, r.Verb) {
		return false
	}
	if r.NonResource() {
		return nonResourceURLMatches(rule.NonResourceURLs, r.Path)
	}
	return has(rule.APIGroups, r.APIGroup) &&
		resourceMatches(rule.Resources, r.Resource, r.Subresource) &&
		(len(rule.ResourceNames) == 0 || contains(rule.ResourceNames, r.Name))
}

// has reports whether list contains want or "*".
func has(list []string, want string) bool {
	for _, v := range list {
		if v == "*" || v == want {
			return true
		}
	}
	return false
}

func contains(list []string, want string) bool {
	for _, v := range list {
		if v == want {
			return true
		}
	}
	return false
}

func resourceMatches(ruleResources []string, resource, sub string) bool {
	combined := resource
	if sub != "" {
		combined += "/" + sub
	}
	for _, rr := range ruleResources {
		if rr == "*" || rr == combined {
			return true
		}
		if sub != "" && strings.HasPrefix(rr, "*/") && rr[2:] == sub {
			return true
		}
	}
	return false
}

func nonResourceURLMatches(urls []string, path string) bool {
	for _, u := range urls {
		if u == "*" || u == path {
			return true
		}
		// Every trailing "*" goes: "/logs**" is the prefix "/logs", as in the authorizer.
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

// Grants reports whether a rule grants verb on a resource (or subresource) for every object, or
// only for some: names is nil when every object is covered and lists the resourceNames otherwise.
// It is the question risk analysis asks ("may it read secrets?"), where RuleAllows answers one
// concrete request.
func Grants(rule *rbacv1.PolicyRule, verb, group, resource, sub string) (ok bool, names []string) {
	if len(rule.NonResourceURLs) > 0 && len(rule.Resources) == 0 {
		return false, nil
	}
	if !has(rule.Verbs, verb) || !has(rule.APIGroups, group) || !resourceMatches(rule.Resources, resource, sub) {
		return false, nil
	}
	if len(rule.ResourceNames) > 0 {
		return true, rule.ResourceNames
	}
	return true, nil
}
