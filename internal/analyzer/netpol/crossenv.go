package netpol

import (
	"context"
	"fmt"
	"strings"

	"github.com/kube4c/kube4c/internal/finding"
	netmodel "github.com/kube4c/kube4c/internal/netpol"
	"github.com/kube4c/kube4c/internal/podspec"
)

// envKeys cleans the configured environment label keys: trimmed, non-empty, each once.
func envKeys(keys []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range keys {
		k = strings.TrimSpace(k)
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// envGroup is the sources of one other environment (key=value) that reach a destination.
type envGroup struct {
	key, value string
	sources    []int // matrix indexes
}

// crossEnvironment reports workloads that workloads of another environment can connect to. A
// namespace's environment is the value of an environment label key on its Namespace object (so
// namespaces without an object, whose labels are unknown, are not judged); two namespaces are in
// different environments when both carry a key with different values (compared case-insensitively).
func (r *analysis) crossEnvironment(ctx context.Context) error {
	if !r.on[CtlCrossEnvironment] {
		return nil
	}
	keys := envKeys(r.cfg.EnvironmentLabelKeys)
	if len(keys) == 0 {
		return nil
	}
	envs := map[string][]string{} // namespace → value per key ("" when it does not carry the key)
	distinct := make([]map[string]bool, len(keys))
	for i := range distinct {
		distinct[i] = map[string]bool{}
	}
	for name, ns := range r.m.Namespaces {
		if ns.Object == nil {
			continue
		}
		vals := make([]string, len(keys))
		has := false
		for i, k := range keys {
			vals[i] = strings.TrimSpace(ns.Labels[k])
			if vals[i] != "" {
				has = true
				distinct[i][strings.ToLower(vals[i])] = true
			}
		}
		if has {
			envs[name] = vals
		}
	}
	isDst := func(e *netmodel.Endpoint) bool {
		return e.Object != nil && r.judged[e.Namespace] && envs[e.Namespace] != nil
	}
	several := false
	for _, d := range distinct {
		several = several || len(d) > 1
	}
	if !several {
		// One environment (or none): every judged, labelled workload passes.
		for _, e := range r.m.Endpoints {
			if isDst(e) {
				r.rec.Evaluated(CtlCrossEnvironment, e.Object)
			}
		}
		return nil
	}
	x := r.m.Matrix(func(e *netmodel.Endpoint) bool { return e.Object != nil && envs[e.Namespace] != nil })
	var internal []int
	for i, e := range x.Endpoints {
		if !e.IsExternal() {
			internal = append(internal, i)
		}
	}
	// The environment of each matrix endpoint, by index (nil for the external ones).
	envOf := make([][]string, len(x.Endpoints))
	for _, i := range internal {
		envOf[i] = envs[x.Endpoints[i].Namespace]
	}
	cross := make([]int, 0, len(keys))
	for n, j := range internal {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		dst := x.Endpoints[j]
		if !isDst(dst) {
			continue
		}
		r.rec.Evaluated(CtlCrossEnvironment, dst.Object)
		dstEnv := envOf[j]
		var groups []*envGroup
		for _, i := range internal {
			srcEnv := envOf[i]
			cross = cross[:0]
			for k := range keys {
				if srcEnv[k] != "" && dstEnv[k] != "" && srcEnv[k] != dstEnv[k] && !strings.EqualFold(srcEnv[k], dstEnv[k]) {
					cross = append(cross, k)
				}
			}
			if len(cross) == 0 || x.Conns(i, j).IsEmpty() {
				continue
			}
			for _, k := range cross {
				var g *envGroup
				for _, h := range groups {
					if h.key == keys[k] && strings.EqualFold(h.value, srcEnv[k]) {
						g = h
						break
					}
				}
				if g == nil {
					g = &envGroup{key: keys[k], value: srcEnv[k]}
					groups = append(groups, g)
				}
				g.sources = append(g.sources, i)
			}
		}
		if len(groups) > 0 {
			r.crossFinding(x, j, dstEnv, keys, groups)
		}
	}
	return nil
}

// maxExplained bounds how many sources of one destination are traced to find the rules that
// allow them: tracing is the expensive part, and a destination of a large cluster can have
// thousands of sources. The first source of each namespace comes first (rules usually select by
// namespace), then the others in order.
const maxExplained = 16

func (r *analysis) crossFinding(x *netmodel.Matrix, j int, dstEnv, keys []string, groups []*envGroup) {
	dst := x.Endpoints[j]
	var here []string
	for k, v := range dstEnv {
		if v != "" {
			here = append(here, keys[k]+"="+v)
		}
	}
	var parts []string
	var all []int
	seenSrc := map[int]bool{}
	for _, g := range groups {
		var srcs []string
		for n, i := range g.sources {
			if n < maxCited {
				srcs = append(srcs, fmt.Sprintf("%s (%s)", x.Endpoints[i], portsText(x.Conns(i, j))))
			}
			if !seenSrc[i] {
				seenSrc[i] = true
				all = append(all, i)
			}
		}
		if len(g.sources) > maxCited {
			srcs = append(srcs, fmt.Sprintf("and %d more", len(g.sources)-maxCited))
		}
		parts = append(parts, fmt.Sprintf("%s=%s: %s", g.key, g.value, strings.Join(srcs, ", ")))
	}
	why := "its ingress is not isolated: " + notIsolated(dst, netmodel.Ingress)
	if dst.IngressIsolated() {
		var rules []string
		seenRule := map[*netmodel.Rule]bool{}
		explained := explainOrder(x, all)
		for _, i := range explained {
			for _, rt := range matchedRules(r.m.Explain(x.Endpoints[i], dst).Ingress, false) {
				if !seenRule[rt.Rule] {
					seenRule[rt.Rule] = true
					rules = append(rules, fmt.Sprintf("%s (%s)", r.ruleRef(rt.Rule), peerText(rt)))
				}
			}
		}
		why = "allowed by " + joinCited(rules, "rules")
		if len(explained) < len(all) {
			why += fmt.Sprintf(" (traced for %d of the %d sources)", len(explained), len(all))
		}
	}
	w := workload{e: dst, o: dst.Object}
	if t, ok := podspec.Of(dst.Object); ok {
		w.labels, w.host = t.MetaPath.Child("labels"), t.SpecPath.Child("hostNetwork")
	}
	r.rec.Fail(finding.New(CtlCrossEnvironment, w.o, w.path(), fmt.Sprintf(
		"its pods (%s) accept connections from workloads of other environments, %s; %s; allow only namespaces of its own environment (namespaceSelector on %s)%s",
		strings.Join(here, ", "), strings.Join(parts, "; "), why, strings.Join(here, ", "), r.note(dst.Namespace))))
}

// explainOrder picks the sources to trace (at most maxExplained): the first of each namespace,
// then the others, in order.
func explainOrder(x *netmodel.Matrix, sources []int) []int {
	if len(sources) <= maxExplained {
		return sources
	}
	var out, rest []int
	seenNS := map[string]bool{}
	for _, i := range sources {
		if ns := x.Endpoints[i].Namespace; !seenNS[ns] && len(out) < maxExplained {
			seenNS[ns] = true
			out = append(out, i)
		} else {
			rest = append(rest, i)
		}
	}
	for _, i := range rest {
		if len(out) == maxExplained {
			break
		}
		out = append(out, i)
	}
	return out
}
