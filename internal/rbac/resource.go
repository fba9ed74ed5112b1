package rbac

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// Resources resolves what a user types for a resource ("secrets", "secret", "deploy",
// "deployments.apps", "pods/exec", "widgets.example.com") to an API group and resource, the way
// kubectl does with discovery, but offline: from the kinds client-go knows, kubectl's short
// names, and the CustomResourceDefinitions of the inventory.
type Resources struct {
	byName map[string][]schema.GroupResource // lower-case plural, singular, kind or short name
}

// shortNames are kubectl's short names for built-in resources.
var shortNames = map[string]string{
	"cm": "configmaps", "cs": "componentstatuses", "csr": "certificatesigningrequests", "cj": "cronjobs",
	"crd": "customresourcedefinitions", "crds": "customresourcedefinitions", "deploy": "deployments",
	"ds": "daemonsets", "ep": "endpoints", "ev": "events", "hpa": "horizontalpodautoscalers", "ing": "ingresses",
	"limits": "limitranges", "netpol": "networkpolicies", "no": "nodes", "ns": "namespaces", "pdb": "poddisruptionbudgets",
	"po": "pods", "pc": "priorityclasses", "pv": "persistentvolumes", "pvc": "persistentvolumeclaims", "quota": "resourcequotas",
	"rc": "replicationcontrollers", "rs": "replicasets", "sa": "serviceaccounts", "sc": "storageclasses", "svc": "services",
	"sts": "statefulsets",
}

// NewResources builds the table from client-go's scheme and the inventory's
// CustomResourceDefinitions (inv may be nil).
func NewResources(inv *inventory.Inventory) *Resources {
	r := &Resources{byName: map[string][]schema.GroupResource{}}
	add := func(gr schema.GroupResource, names ...string) {
		for _, n := range names {
			n = strings.ToLower(n)
			if n == "" {
				continue
			}
			dup := false
			for _, x := range r.byName[n] {
				dup = dup || x == gr
			}
			if !dup {
				r.byName[n] = append(r.byName[n], gr)
			}
		}
	}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		if gvk.Version == "__internal" || strings.HasSuffix(gvk.Kind, "List") || strings.HasSuffix(gvk.Kind, "Options") ||
			gvk.Kind == "WatchEvent" || gvk.Kind == "Status" || gvk.Kind == "APIVersions" || gvk.Kind == "APIGroupList" ||
			gvk.Kind == "APIGroup" || gvk.Kind == "APIResourceList" {
			continue
		}
		plural, singular := meta.UnsafeGuessKindToResource(gvk)
		add(plural.GroupResource(), plural.Resource, singular.Resource)
	}
	if inv != nil {
		for _, o := range inv.OfKind("apiextensions.k8s.io", "CustomResourceDefinition") {
			u, ok := o.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
			plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
			if plural == "" {
				continue
			}
			singular, _, _ := unstructured.NestedString(u.Object, "spec", "names", "singular")
			kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
			short, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "names", "shortNames")
			add(schema.GroupResource{Group: group, Resource: plural}, append([]string{plural, singular, kind}, short...)...)
		}
	}
	// Resources that exist only for authorization: impersonation targets and CSR signers.
	add(schema.GroupResource{Resource: "users"}, "users", "user")
	add(schema.GroupResource{Resource: "groups"}, "groups", "group")
	add(schema.GroupResource{Group: "authentication.k8s.io", Resource: "uids"}, "uids", "uid")
	add(schema.GroupResource{Group: "authentication.k8s.io", Resource: "userextras"}, "userextras")
	add(schema.GroupResource{Group: "certificates.k8s.io", Resource: "signers"}, "signers", "signer")
	for s, plural := range shortNames {
		for _, gr := range r.byName[plural] {
			add(gr, s)
		}
	}
	for _, grs := range r.byName {
		// The core group first (kubectl prefers it, e.g. for events), the legacy extensions group
		// (no longer served) last, others by name.
		rank := func(g string) int {
			switch g {
			case "":
				return 0
			case "extensions":
				return 2
			}
			return 1
		}
		sort.Slice(grs, func(i, j int) bool {
			if ri, rj := rank(grs[i].Group), rank(grs[j].Group); ri != rj {
				return ri < rj
			}
			return grs[i].Group < grs[j].Group
		})
	}
	return r
}

// Resolve parses RESOURCE[.GROUP][/SUBRESOURCE]. A name the table does not know is taken as the
// plural of a resource in the group given, or in the core group when none is; known reports
// whether the table knew it. "*" stands for every resource.
func (r *Resources) Resolve(s string) (group, resource, sub string, known bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", "", false, fmt.Errorf("empty resource")
	}
	if i := strings.Index(s, "/"); i >= 0 {
		s, sub = s[:i], s[i+1:]
		if s == "" || sub == "" || strings.Contains(sub, "/") {
			return "", "", "", false, fmt.Errorf("resource %q: want RESOURCE[.GROUP][/SUBRESOURCE]", s+"/"+sub)
		}
	}
	if s == "*" {
		return "*", "*", sub, true, nil
	}
	if grs := r.byName[strings.ToLower(s)]; len(grs) > 0 {
		return grs[0].Group, grs[0].Resource, sub, true, nil
	}
	// RESOURCE.GROUP: the resource is the text before the first dot.
	if i := strings.Index(s, "."); i > 0 {
		name, g := strings.ToLower(s[:i]), strings.ToLower(s[i+1:])
		for _, gr := range r.byName[name] {
			if gr.Group == g {
				return gr.Group, gr.Resource, sub, true, nil
			}
		}
		return g, name, sub, false, nil
	}
	return "", strings.ToLower(s), sub, false, nil
}
