// Package scan runs one scan: sources fill the inventory, analyzers record results, findings are
// located in their sources and exceptions applied. The result is what reports render.
package scan

import (
	"context"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/analyzer/clusterconfig"
	"github.com/kube4c/kube4c/internal/analyzer/exposure"
	"github.com/kube4c/kube4c/internal/analyzer/host"
	imageanalyzer "github.com/kube4c/kube4c/internal/analyzer/image"
	"github.com/kube4c/kube4c/internal/analyzer/namespace"
	"github.com/kube4c/kube4c/internal/analyzer/netpol"
	"github.com/kube4c/kube4c/internal/analyzer/nodeconfig"
	"github.com/kube4c/kube4c/internal/analyzer/rbac"
	"github.com/kube4c/kube4c/internal/analyzer/workload"
	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/exception"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/platform"
	"github.com/kube4c/kube4c/internal/source"
	"github.com/kube4c/kube4c/internal/source/cluster"
)

// Analyzers returns every analyzer, in a fixed order.
func Analyzers() []analyzer.Analyzer {
	return []analyzer.Analyzer{workload.New(), namespace.New(), clusterconfig.New(), rbac.New(), netpol.New(), nodeconfig.New(), host.New(), exposure.New(), imageanalyzer.New()}
}

// NoVulnDBReason is why the vulnerable-package control is not evaluated without a database.
const NoVulnDBReason = "no vulnerability database: run 'kube4c db update', or 'kube4c db import' with OSV files where the scan runs offline (docs/vulndb.md)"

// imageGroup is the API group of image objects.
var imageGroup = strings.TrimSuffix(image.APIVersion, "/v1")

// Options for one scan.
type Options struct {
	Paths      []string
	Source     source.Options
	Config     *analyzer.Config
	Exceptions *exception.Set // may be nil
	Exception  exception.Options
	// Cluster, when set, reads a live cluster instead of Paths.
	Cluster *cluster.Options
	// Referenced, when set, reads what the loaded objects refer to into the inventory before the
	// analyzers run (scan --images: the images of the workloads).
	Referenced func(ctx context.Context, inv *inventory.Inventory) error
}

// Run loads the paths and analyzes them.
func Run(ctx context.Context, opts Options) (*finding.Result, error) {
	inv, n, err := Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	if opts.Referenced != nil {
		if err := opts.Referenced(ctx, inv); err != nil {
			return nil, err
		}
	}
	res, err := Analyze(ctx, inv, opts)
	if err != nil {
		return nil, err
	}
	res.Sources = n
	return res, nil
}

// Analyze runs every analyzer over an inventory that is already loaded (used by Run and by
// sources that fill the inventory themselves, such as a live cluster).
func Analyze(ctx context.Context, inv *inventory.Inventory, opts Options) (*finding.Result, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = analyzer.DefaultConfig()
	}
	rec := newRecorder()
	analyzers := Analyzers()
	// A control that reads a kind the source could not read is not evaluated: whatever an analyzer
	// records for it (passes that only mean "nothing seen", or a partial picture) is dropped, so
	// reports never show both "not evaluated" and results for one control.
	notEval := notEvaluated(analyzers, inv.Unavailable())
	// Without a vulnerability database, images' packages are not judged: say so instead of
	// passing them.
	if cfg.Vulns == nil && len(inv.OfKind(imageGroup, image.Kind)) > 0 {
		notEval = append(notEval, finding.NotEvaluated{ControlID: imageanalyzer.CtlVulnerable, Reason: NoVulnDBReason})
		slices.SortFunc(notEval, func(a, b finding.NotEvaluated) int { return strings.Compare(a.ControlID, b.ControlID) })
	}
	// On managed services the provider owns the control plane: whatever is recorded for those
	// controls is dropped, and the report lists them as provider-managed.
	managed := providerManaged(inv.Node())
	var r analyzer.Recorder = rec
	if len(notEval) > 0 || len(managed) > 0 {
		skip := map[string]bool{}
		for _, n := range notEval {
			skip[n.ControlID] = true
		}
		for _, m := range managed {
			skip[m.ControlID] = true
		}
		r = skipRecorder{rec, skip}
	}
	errs := make([]error, len(analyzers))
	var wg sync.WaitGroup
	inv.Objects() // sort once before analyzers read concurrently
	for i, a := range analyzers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("analyzer %s failed: %v", a.Name(), r)
				}
			}()
			if err := a.Analyze(ctx, inv, cfg, r); err != nil {
				errs[i] = fmt.Errorf("analyzer %s: %w", a.Name(), err)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, f := range rec.findings {
		if _, ok := catalog.Lookup(f.ControlID); !ok {
			return nil, fmt.Errorf("internal error: finding for unknown control %q", f.ControlID)
		}
	}
	locate(rec.findings)
	res := &finding.Result{
		Findings:   rec.findings,
		Passed:     rec.passed(),
		Problems:   inv.Problems(),
		Objects:    inv.Len(),
		PSSLevel:   string(cfg.PSSLevel),
		PSSVersion: cfg.PSSVersion.String(),
	}
	res.NotEvaluated = notEval
	res.ProviderManaged = managed
	res.Node = inv.Node()
	res.Warnings = exception.Apply(res.Findings, opts.Exceptions, opts.Exception)
	Sort(res.Findings)
	return res, nil
}

// skipRecorder drops what is recorded for the controls in skip.
type skipRecorder struct {
	analyzer.Recorder
	skip map[string]bool
}

func (s skipRecorder) Evaluated(control string, o *inventory.Object) {
	if !s.skip[control] {
		s.Recorder.Evaluated(control, o)
	}
}

func (s skipRecorder) Fail(f finding.Finding) {
	if !s.skip[f.ControlID] {
		s.Recorder.Fail(f)
	}
}

// providerManaged lists the controls the node's platform provider owns.
func providerManaged(n *inventory.NodeInfo) []finding.ProviderManaged {
	if n == nil {
		return nil
	}
	p := platform.Platform(n.Platform)
	var out []finding.ProviderManaged
	for _, c := range catalog.All() {
		if platform.Owner(p, c) == platform.Provider {
			out = append(out, finding.ProviderManaged{ControlID: c.ID, Owner: platform.Provider, Platform: n.Platform})
		}
	}
	return out
}

// notEvaluated lists the controls that read a kind the source could not read.
func notEvaluated(analyzers []analyzer.Analyzer, unavailable []inventory.Unavailable) []finding.NotEvaluated {
	if len(unavailable) == 0 {
		return nil
	}
	reasons := map[string][]string{}
	for _, a := range analyzers {
		kn, ok := a.(analyzer.KindNeeds)
		if !ok {
			continue
		}
		for ctl, kinds := range kn.Needs() {
			for _, u := range unavailable {
				for _, k := range kinds {
					if k.Group == u.Group && k.Kind == u.Kind && !slices.Contains(reasons[ctl], u.Reason) {
						reasons[ctl] = append(reasons[ctl], u.Reason)
					}
				}
			}
		}
	}
	var out []finding.NotEvaluated
	for ctl, rs := range reasons {
		slices.Sort(rs)
		out = append(out, finding.NotEvaluated{ControlID: ctl, Reason: strings.Join(rs, "; ")})
	}
	slices.SortFunc(out, func(a, b finding.NotEvaluated) int { return strings.Compare(a.ControlID, b.ControlID) })
	return out
}

// locate resolves each finding's field path to a file and line, re-reading each object's source
// once for all of its findings, in parallel. Findings whose analyzer set a location keep it (node
// findings point into the configuration file that holds the setting).
func locate(fs []finding.Finding) {
	byObj := map[*inventory.Object][]int{}
	var order []*inventory.Object
	for i := range fs {
		o := fs[i].Object
		if o == nil || fs[i].Location.File != "" {
			continue // nothing to resolve, or the analyzer knew the location
		}
		if _, ok := byObj[o]; !ok {
			order = append(order, o)
		}
		byObj[o] = append(byObj[o], i)
	}
	ch := make(chan *inventory.Object)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range ch {
				idx := byObj[o]
				paths := make([]inventory.FieldPath, len(idx))
				for j, i := range idx {
					paths[j] = fs[i].Path
				}
				locs := o.Locate(paths)
				for j, i := range idx {
					if j < len(locs) {
						fs[i].Location = locs[j]
					}
				}
			}
		}()
	}
	for _, o := range order {
		ch <- o
	}
	close(ch)
	wg.Wait()
}

var layerOrder = func() map[catalog.Layer]int {
	m := map[catalog.Layer]int{}
	for i, l := range catalog.Layers {
		m[l] = i
	}
	return m
}()

// Sort orders findings by layer, severity (worst first), control, resource and location.
func Sort(fs []finding.Finding) {
	type keyed struct {
		layer, sev int
		ctl, res   string
		f          finding.Finding
	}
	ks := make([]keyed, len(fs))
	for i, f := range fs {
		c, _ := catalog.Lookup(f.ControlID)
		ks[i] = keyed{layer: layerOrder[c.Layer], sev: -int(c.Severity), ctl: f.ControlID, res: f.Resource.Key(), f: f}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		switch {
		case a.layer != b.layer:
			return a.layer - b.layer
		case a.sev != b.sev:
			return a.sev - b.sev
		}
		if c := strings.Compare(a.ctl, b.ctl); c != 0 {
			return c
		}
		if c := strings.Compare(a.res, b.res); c != 0 {
			return c
		}
		if c := strings.Compare(a.f.Location.File, b.f.Location.File); c != 0 {
			return c
		}
		if a.f.Location.Line != b.f.Location.Line {
			return a.f.Location.Line - b.f.Location.Line
		}
		return strings.Compare(a.f.Message, b.f.Message)
	})
	for i := range ks {
		fs[i] = ks[i].f
	}
}

// recorder collects analyzer results. Evaluated pairs are kept as one bitset per object over the
// catalog's control indexes: a 10,000-workload scan records ~300,000 pairs, and a map keyed by
// strings made recording the most expensive part of analysis.
type recorder struct {
	mu       sync.Mutex
	index    map[string]int // control ID → bit
	ids      []string
	objs     map[*inventory.Object]*pairBits
	order    []*inventory.Object
	findings []finding.Finding
}

type pairBits struct{ evaluated, failed []uint64 }

func (b *pairBits) set(words *[]uint64, i int) {
	for len(*words) <= i/64 {
		*words = append(*words, 0)
	}
	(*words)[i/64] |= 1 << (i % 64)
}

func has(words []uint64, i int) bool { return i/64 < len(words) && words[i/64]&(1<<(i%64)) != 0 }

func newRecorder() *recorder {
	r := &recorder{index: map[string]int{}, objs: map[*inventory.Object]*pairBits{}}
	for i, c := range catalog.All() {
		r.index[c.ID] = i
		r.ids = append(r.ids, c.ID)
	}
	return r
}

func (r *recorder) bits(o *inventory.Object) *pairBits {
	b := r.objs[o]
	if b == nil {
		b = &pairBits{}
		r.objs[o] = b
		r.order = append(r.order, o)
	}
	return b
}

func (r *recorder) Evaluated(control string, o *inventory.Object) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.index[control]
	if !ok || o == nil {
		return // unknown controls are caught when findings are checked; passes of them are dropped
	}
	b := r.bits(o)
	b.set(&b.evaluated, i)
}

func (r *recorder) Fail(f finding.Finding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.findings = append(r.findings, f)
	if i, ok := r.index[f.ControlID]; ok && f.Object != nil {
		b := r.bits(f.Object)
		b.set(&b.evaluated, i)
		b.set(&b.failed, i)
	}
}

// passed lists the evaluated pairs without a finding, ordered by control then resource.
func (r *recorder) passed() []finding.Check {
	type keyed struct {
		ctl string
		key string
		o   *inventory.Object
		pos int
		bit int
	}
	var ks []keyed
	for pos, o := range r.order {
		b := r.objs[o]
		key := ""
		for w, word := range b.evaluated {
			for word != 0 {
				bit := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				if has(b.failed, bit) {
					continue
				}
				if key == "" {
					key = finding.ResourceOf(o).Key()
				}
				ks = append(ks, keyed{ctl: r.ids[bit], key: key, o: o, pos: pos, bit: bit})
			}
		}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := strings.Compare(a.ctl, b.ctl); c != 0 {
			return c
		}
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return a.pos - b.pos
	})
	out := make([]finding.Check, len(ks))
	for i, k := range ks {
		out[i] = finding.Check{ControlID: k.ctl, Resource: finding.ResourceOf(k.o),
			Location: inventory.Location{File: k.o.Source.File, Line: k.o.Source.Line}}
	}
	return out
}
