package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/rbac"
	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
)

// rbacFlags are the flags every rbac command shares.
type rbacFlags struct {
	src              sourceFlags
	defaultNamespace string
	output           string
	skipInvalid      bool
}

func (f *rbacFlags) register(c *cobra.Command) {
	fl := c.Flags()
	f.src.register(fl, false)
	fl.StringVar(&f.defaultNamespace, "default-namespace", "default", "namespace for namespaced objects in files that have none (also the Helm release namespace)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	fl.BoolVar(&f.skipInvalid, "skip-invalid", false, "do not exit 2 because of malformed or unreadable input (the problems are still reported)")
}

// load reads the inputs and builds the RBAC model. Problems with single inputs go to stderr; the
// returned finish function turns them into exit code 2 after the answer is printed.
func (f *rbacFlags) load(c *cobra.Command, paths []string) (*rbac.Model, *inventory.Inventory, func() error, error) {
	if f.output != "table" && f.output != "json" {
		return nil, nil, nil, usageErr("unknown output format %q (want table or json)", f.output)
	}
	inv, finish, err := loadInventory(c, &f.src, paths, f.defaultNamespace, f.skipInvalid, func(u inventory.Unavailable) string {
		if u.Group == rbacv1.GroupName {
			return fmt.Sprintf("%ss could not be read: the answers below miss what they grant", u.Kind)
		}
		return ""
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return rbac.Build(inv), inv, finish, nil
}

func newRBACCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "rbac",
		Short: "Query RBAC: who can do what, what a subject can do, how it can escalate",
		Long: `Answer RBAC questions offline from manifests, Helm charts and Kustomize directories, or from a
live cluster with --cluster. Answers follow the API server's RBAC authorizer: ClusterRoleBindings
apply everywhere, RoleBindings in their namespace; aggregated ClusterRoles get the rules of the
roles they select; every identity carries the implicit groups the API server adds
(system:authenticated, system:serviceaccounts, system:serviceaccounts:NAMESPACE).

Subjects are written user:NAME, group:NAME or sa:NAMESPACE/NAME (or as a service account's
user name, system:serviceaccount:NAMESPACE:NAME). See docs/rbac.md.`,
	}
	c.AddCommand(newWhoCanCmd(), newCanCmd(), newPathsCmd())
	return c
}

// --- who-can ---

func newWhoCanCmd() *cobra.Command {
	f := &rbacFlags{}
	var namespace, name string
	c := &cobra.Command{
		Use:   "who-can VERB RESOURCE[/SUBRESOURCE] [PATH...]",
		Short: "List the subjects that may make a request, with the binding and role that allow it",
		Long: `List every subject (user, group, service account) that a binding allows to make the request, with
the binding, the role and the rule that allow it. RESOURCE is a plural, singular, kind or short
name (secrets, secret, Secret, deploy), optionally with its API group (deployments.apps) and a
subresource (pods/exec); a non-resource URL starts with / (who-can get /metrics).

Without -n the request is cluster-wide (cluster-scoped resources, or every namespace at once), so
only ClusterRoleBindings can allow it; with -n NAMESPACE, RoleBindings in that namespace count too.
Groups are listed as groups: their members are not known to kube4c.`,
		Example: `  kube4c rbac who-can get secrets -n kube-system examples/insecure-shop
  kube4c rbac who-can create pods/exec -n shop --cluster
  kube4c rbac who-can escalate clusterroles ./deploy -o json`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			m, inv, finish, err := f.load(c, args[2:])
			if err != nil {
				return err
			}
			req := rbac.Request{Verb: args[0], Namespace: namespace, Name: name}
			var note string
			if strings.HasPrefix(args[1], "/") {
				if namespace != "" || name != "" {
					return usageErr("a non-resource URL (%s) has no namespace or name", args[1])
				}
				req.Path = args[1]
			} else {
				g, r, sub, known, err := rbac.NewResources(inv).Resolve(args[1])
				if err != nil {
					return usageErr("%v", err)
				}
				req.APIGroup, req.Resource, req.Subresource = g, r, sub
				if !known {
					note = fmt.Sprintf("note: %q is not a resource kube4c knows; taken as resource %q in API group %q (write RESOURCE.GROUP to choose)", args[1], r, g)
				}
			}
			grants := m.WhoCan(req)
			if note != "" {
				fmt.Fprintln(c.ErrOrStderr(), note)
			}
			if err := writeWhoCan(c.OutOrStdout(), f.output, req, grants); err != nil {
				return err
			}
			return finish()
		},
	}
	f.register(c)
	c.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the request (default: cluster-wide)")
	c.Flags().StringVar(&name, "name", "", "name of the object the request is about (rules with resourceNames match only named requests)")
	return c
}

type refJSON struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Location is file:line for objects read from files.
	Location string `json:"location,omitempty"`
}

type grantJSON struct {
	Subject rbac.Subject      `json:"subject"`
	System  bool              `json:"systemComponent"`
	Scope   string            `json:"scope"`
	Binding refJSON           `json:"binding"`
	Role    refJSON           `json:"role"`
	Rule    rbacv1.PolicyRule `json:"rule"`
}

func objectRef(kind, namespace, name string, o *inventory.Object) refJSON {
	r := refJSON{Kind: kind, Namespace: namespace, Name: name}
	if o != nil && o.Source.Origin != inventory.FromCluster {
		r.Location = o.Where()
	}
	return r
}

func bindingRef(b *rbac.Binding) refJSON { return objectRef(b.Kind, b.Namespace, b.Name, b.Object) }

func roleRef(b *rbac.Binding) refJSON {
	if b.Role != nil {
		return objectRef(b.Role.Kind, b.Role.Namespace, b.Role.Name, b.Role.Object)
	}
	ns := ""
	if b.RoleRef.Kind == "Role" {
		ns = b.Namespace
	}
	return refJSON{Kind: b.RoleRef.Kind, Namespace: ns, Name: b.RoleRef.Name}
}

func toGrantJSON(g rbac.Grant) grantJSON {
	return grantJSON{Subject: g.Subject, System: rbac.IsSystemGrant(g.Binding, g.Subject), Scope: g.Binding.Scope(),
		Binding: bindingRef(g.Binding), Role: roleRef(g.Binding), Rule: *g.Rule()}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeWhoCan(w io.Writer, format string, req rbac.Request, grants []rbac.Grant) error {
	if format == "json" {
		out := struct {
			Request rbac.Request `json:"request"`
			Grants  []grantJSON  `json:"grants"`
		}{Request: req, Grants: []grantJSON{}}
		for _, g := range grants {
			out.Grants = append(out.Grants, toGrantJSON(g))
		}
		return writeJSON(w, out)
	}
	subjects := map[rbac.Subject]bool{}
	system := 0
	for _, g := range grants {
		if !subjects[g.Subject] && rbac.IsSystemGrant(g.Binding, g.Subject) {
			system++
		}
		subjects[g.Subject] = true
	}
	fmt.Fprintf(w, "Who can %s: %d subject(s)", req, len(subjects))
	if system > 0 {
		fmt.Fprintf(w, ", %d of them system components", system)
	}
	fmt.Fprintln(w)
	if len(grants) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tSCOPE\tBINDING\tROLE\tSOURCE")
	for _, g := range grants {
		subj := g.Subject.String()
		if rbac.IsSystemGrant(g.Binding, g.Subject) {
			subj += " (system)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", subj, g.Binding.Scope(), g.Binding.Ref(), g.Binding.RoleRefString(), where(g.Binding.Object))
	}
	return tw.Flush()
}

func where(o *inventory.Object) string {
	if o == nil {
		return "-"
	}
	return o.Where()
}

// --- can ---

func newCanCmd() *cobra.Command {
	f := &rbacFlags{}
	var namespace string
	c := &cobra.Command{
		Use:   "can SUBJECT [PATH...]",
		Short: "List what a subject may do, per namespace, with the bindings that grant it",
		Long: `List the effective rules of a subject: cluster-wide (ClusterRoleBindings) and per namespace
(RoleBindings), including what its implicit groups are granted (system:authenticated,
system:serviceaccounts, system:serviceaccounts:NAMESPACE). SUBJECT is user:NAME, group:NAME or
sa:NAMESPACE/NAME. A group's answer is what every member gets; members may hold other groups too.`,
		Example: `  kube4c rbac can sa:shop/ci examples/insecure-shop
  kube4c rbac can user:alice -n payments --cluster
  kube4c rbac can group:oncall ./rbac -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			subject, err := rbac.ParseSubject(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			m, _, finish, err := f.load(c, args[1:])
			if err != nil {
				return err
			}
			id := subject.Identity()
			var grants []rbac.Grant
			for _, g := range m.GrantsTo(id) {
				if namespace == "" || g.Namespace() == "" || g.Namespace() == namespace {
					grants = append(grants, g)
				}
			}
			if err := writeCan(c.OutOrStdout(), f.output, subject, id, grants, known(m, subject)); err != nil {
				return err
			}
			return finish()
		},
	}
	f.register(c)
	c.Flags().StringVarP(&namespace, "namespace", "n", "", "show only cluster-wide rules and those of this namespace")
	return c
}

// known reports whether the inventory mentions the subject (a binding names it or, for a service
// account, its ServiceAccount object exists).
func known(m *rbac.Model, s rbac.Subject) bool {
	if _, ok := m.ServiceAccounts[s]; ok {
		return true
	}
	for _, x := range m.Subjects() {
		if x == s {
			return true
		}
	}
	return false
}

type scopeJSON struct {
	Namespace string      `json:"namespace,omitempty"`
	Rules     []grantJSON `json:"rules"`
}

func groupByScope(grants []rbac.Grant) (order []string, by map[string][]rbac.Grant) {
	by = map[string][]rbac.Grant{}
	for _, g := range grants {
		ns := g.Namespace()
		if _, ok := by[ns]; !ok {
			order = append(order, ns)
		}
		by[ns] = append(by[ns], g)
	}
	sort.Strings(order) // "" (cluster-wide) first
	return order, by
}

func writeCan(w io.Writer, format string, s rbac.Subject, id rbac.Identity, grants []rbac.Grant, known bool) error {
	order, by := groupByScope(grants)
	if format == "json" {
		out := struct {
			Subject  rbac.Subject  `json:"subject"`
			Identity rbac.Identity `json:"identity"`
			Known    bool          `json:"known"`
			Scopes   []scopeJSON   `json:"scopes"`
		}{Subject: s, Identity: id, Known: known, Scopes: []scopeJSON{}}
		for _, ns := range order {
			sc := scopeJSON{Namespace: ns}
			for _, g := range by[ns] {
				sc.Rules = append(sc.Rules, toGrantJSON(g))
			}
			out.Scopes = append(out.Scopes, sc)
		}
		return writeJSON(w, out)
	}
	fmt.Fprintf(w, "%s", s)
	if id.User != "" && id.User != s.Name {
		fmt.Fprintf(w, " (user %s)", id.User)
	}
	fmt.Fprintf(w, ", groups %s\n", strings.Join(id.Groups, ", "))
	if !known {
		fmt.Fprintln(w, "Note: no binding names this subject and the input has no such ServiceAccount; only grants to its groups apply.")
	}
	if len(grants) == 0 {
		fmt.Fprintln(w, "No rules are granted.")
		return nil
	}
	for _, ns := range order {
		fmt.Fprintln(w)
		if ns == "" {
			fmt.Fprintln(w, "Cluster-wide (ClusterRoleBindings):")
		} else {
			fmt.Fprintf(w, "In namespace %s (RoleBindings):\n", ns)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  RESOURCES\tNON-RESOURCE URLS\tRESOURCE NAMES\tVERBS\tGRANTED BY")
		for _, g := range by[ns] {
			r := g.Rule()
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", orDash(qualifiedResources(r)), orDash(strings.Join(r.NonResourceURLs, ",")),
				orDash(strings.Join(r.ResourceNames, ",")), strings.Join(r.Verbs, ","), grantedBy(g, s))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// grantedBy names the binding and role, and the group through which the subject gets the grant
// when the binding names a group rather than the subject itself.
func grantedBy(g rbac.Grant, s rbac.Subject) string {
	e := g.Evidence()
	if g.Subject != s {
		e += " (via " + g.Subject.String() + ")"
	}
	return e
}

// qualifiedResources renders a rule's resources the way kubectl auth can-i --list does:
// "deployments.apps", "pods" for the core group.
func qualifiedResources(r *rbacv1.PolicyRule) string {
	var out []string
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			if g == "" {
				out = append(out, res)
			} else {
				out = append(out, res+"."+g)
			}
		}
	}
	return strings.Join(out, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// --- paths ---

func newPathsCmd() *cobra.Command {
	f := &rbacFlags{}
	var depth int
	c := &cobra.Command{
		Use:   "paths SUBJECT [PATH...]",
		Short: "Show how a subject can escalate: the identities it can become and the shortest chain to cluster-admin",
		Long: `Follow what a subject's permissions let it become: create pods (or workloads) that run as another
service account, request or read a service account's token, exec into pods, impersonate, bind
or escalate roles. Shows the shortest chain to cluster-admin equivalence when there is one, and
the shortest chain to every other identity reachable within --max-depth steps. See docs/rbac.md
for the techniques followed.`,
		Example: `  kube4c rbac paths sa:shop/ci examples/insecure-shop
  kube4c rbac paths user:alice --cluster --max-depth 3`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			subject, err := rbac.ParseSubject(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			if depth < 1 {
				return usageErr("--max-depth must be at least 1")
			}
			m, _, finish, err := f.load(c, args[1:])
			if err != nil {
				return err
			}
			paths := m.Paths(subject, rbac.PathOptions{MaxDepth: depth})
			if err := writePaths(c.OutOrStdout(), f.output, subject, depth, paths); err != nil {
				return err
			}
			return finish()
		},
	}
	f.register(c)
	c.Flags().IntVar(&depth, "max-depth", rbac.DefaultMaxDepth, "longest chain to follow, in steps")
	return c
}

type stepJSON struct {
	From      rbac.Subject  `json:"from"`
	Technique string        `json:"technique"`
	To        *rbac.Subject `json:"to,omitempty"`
	Text      string        `json:"text"`
	Grants    []grantJSON   `json:"grants"`
	Via       *refJSON      `json:"via,omitempty"`
}

type pathJSON struct {
	To    *rbac.Subject `json:"to,omitempty"`
	Admin bool          `json:"clusterAdmin"`
	Steps []stepJSON    `json:"steps"`
}

func pathTarget(p rbac.Path) *rbac.Subject {
	if p.Admin || len(p.Steps) == 0 {
		return nil
	}
	t := p.Steps[len(p.Steps)-1].To
	return &t
}

func writePaths(w io.Writer, format string, s rbac.Subject, depth int, paths []rbac.Path) error {
	if format == "json" {
		out := struct {
			Subject  rbac.Subject `json:"subject"`
			MaxDepth int          `json:"maxDepth"`
			Admin    bool         `json:"clusterAdmin"`
			Paths    []pathJSON   `json:"paths"`
		}{Subject: s, MaxDepth: depth, Paths: []pathJSON{}}
		for _, p := range paths {
			pj := pathJSON{To: pathTarget(p), Admin: p.Admin, Steps: []stepJSON{}}
			out.Admin = out.Admin || p.Admin
			for _, st := range p.Steps {
				sj := stepJSON{From: st.From, Technique: st.Technique, Text: st.Text, Grants: []grantJSON{}}
				if st.To != (rbac.Subject{}) {
					to := st.To
					sj.To = &to
				}
				for _, g := range st.Grants {
					sj.Grants = append(sj.Grants, toGrantJSON(g))
				}
				if st.Via != nil {
					r := objectRef(st.Via.Kind, st.Via.Namespace, st.Via.Name, st.Via)
					sj.Via = &r
				}
				pj.Steps = append(pj.Steps, sj)
			}
			out.Paths = append(out.Paths, pj)
		}
		return writeJSON(w, out)
	}
	var admin *rbac.Path
	var others []rbac.Path
	for i := range paths {
		if paths[i].Admin {
			if admin == nil {
				admin = &paths[i]
			}
			continue
		}
		others = append(others, paths[i])
	}
	if admin != nil {
		if len(admin.Steps) == 1 {
			fmt.Fprintf(w, "%s is cluster-admin equivalent:\n", s)
		} else {
			fmt.Fprintf(w, "%s can become cluster-admin equivalent in %d steps:\n", s, len(admin.Steps))
		}
		writeSteps(w, admin.Steps)
	} else {
		fmt.Fprintf(w, "%s cannot become cluster-admin equivalent within %d steps.\n", s, depth)
	}
	if len(others) == 0 {
		fmt.Fprintln(w, "\nIt can become no other identity.")
		return nil
	}
	fmt.Fprintf(w, "\nIt can become %d other identit%s:\n", len(others), plural(len(others), "y", "ies"))
	for _, p := range others {
		fmt.Fprintf(w, "\n%s (%d step%s):\n", pathTarget(p), len(p.Steps), plural(len(p.Steps), "", "s"))
		writeSteps(w, p.Steps)
	}
	return nil
}

func writeSteps(w io.Writer, steps []rbac.Step) {
	for i, st := range steps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, st.Text)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
