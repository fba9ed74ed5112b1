package rbac

import (
	"context"
	"fmt"
	"strings"

	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	rbacmodel "github.com/kube4c/kube4c/internal/rbac"
)

// paths judges the escalation controls with one search over every subject they look at:
//   - cluster/rbac-workload-admin-sa: workloads whose pods mount the token of a service account
//     that is admin-equivalent or reaches admin-equivalence within depth steps;
//   - cluster/rbac-escalation-path: binding subjects (not system grants) that are not
//     admin-equivalent themselves but reach it within depth steps.
func (r *run) paths(ctx context.Context, depth int) error {
	if depth <= 0 {
		depth = rbacmodel.DefaultMaxDepth
	}
	seen := map[rbacmodel.Subject]bool{}
	var subjects []rbacmodel.Subject
	add := func(s rbacmodel.Subject) {
		if !seen[s] {
			seen[s] = true
			subjects = append(subjects, s)
		}
	}
	// Binding subjects that some binding grants as a customer identity.
	for _, b := range r.m.Bindings {
		if b.Role == nil {
			continue
		}
		for _, bs := range subjectsOf(b) {
			if !coveredElsewhere(bs.s) && !systemGrant(b, bs.s) {
				add(bs.s)
			}
		}
	}
	var workloads []rbacmodel.Workload
	for _, w := range r.m.Workloads {
		if w.Object == nil {
			continue
		}
		r.rec.Evaluated(CtlWorkloadAdminSA, w.Object)
		if w.MountsToken {
			workloads = append(workloads, w)
			add(w.ServiceAccount)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rbacmodel.SortSubjects(subjects)
	found := r.m.AdminPaths(subjects, rbacmodel.PathOptions{MaxDepth: depth})
	if err := ctx.Err(); err != nil {
		return err
	}

	for _, w := range workloads {
		p, ok := found[w.ServiceAccount]
		if !ok || !p.Admin || len(p.Steps) == 0 {
			continue
		}
		how := "which is cluster-admin equivalent"
		if len(p.Steps) > 1 {
			how = fmt.Sprintf("which can become cluster-admin equivalent in %d steps", len(p.Steps))
		}
		r.rec.Fail(finding.New(CtlWorkloadAdminSA, w.Object, inventory.Path(w.Path, "serviceAccountName"), fmt.Sprintf(
			"%s runs as %s, %s, and its pods mount the token: whoever compromises one of them controls the cluster. Path: %s (%s); give it a role with only the permissions it needs, or set automountServiceAccountToken: false if it does not call the API",
			workloadName(w.Object), w.ServiceAccount, how, p.String(), stepTexts(p))))
	}

	// Escalation paths, placed on the binding of the first step's grant to the subject itself (a
	// path that starts with a grant to one of its groups is reported for that group).
	reported := map[*rbacmodel.Binding]map[int]bool{}
	for _, s := range subjects {
		p, ok := found[s]
		if !ok || !p.Admin || len(p.Steps) < 2 {
			continue // no path, or admin-equivalent by itself (reported by the grant controls)
		}
		g, ok := firstOwnGrant(p.Steps[0], s)
		if !ok {
			continue
		}
		if reported[g.Binding] == nil {
			reported[g.Binding] = map[int]bool{}
		}
		if reported[g.Binding][g.SubjectIndex] || g.Binding.Object == nil {
			continue
		}
		reported[g.Binding][g.SubjectIndex] = true
		r.fail(CtlEscalationPath, bindingSubject{g.Binding, g.SubjectIndex, s}, fmt.Sprintf(
			"%s is not cluster-admin but can become cluster-admin equivalent in %d steps, starting with %s: %s (%s); break the chain at its first step",
			s, len(p.Steps), g.Binding.Evidence(), p.String(), stepTexts(p)))
	}
	return nil
}

// firstOwnGrant returns the first grant of a step that a binding makes to the subject itself, not
// as a system component.
func firstOwnGrant(st rbacmodel.Step, s rbacmodel.Subject) (rbacmodel.Grant, bool) {
	for _, g := range st.Grants {
		if g.Subject == s && !systemGrant(g.Binding, s) {
			return g, true
		}
	}
	return rbacmodel.Grant{}, false
}

// stepTexts joins the explanation of each step.
func stepTexts(p rbacmodel.Path) string {
	texts := make([]string, 0, len(p.Steps))
	for _, st := range p.Steps {
		if st.Text != "" {
			texts = append(texts, st.Text)
		}
	}
	return strings.Join(texts, "; then ")
}

// workloadName renders "Deployment shop/api".
func workloadName(o *inventory.Object) string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}
