package report

import (
	"math"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/finding"
)

// SeverityCounts counts findings by severity.
type SeverityCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

// Get returns the count of one severity.
func (c SeverityCounts) Get(s catalog.Severity) int {
	switch s {
	case catalog.Critical:
		return c.Critical
	case catalog.High:
		return c.High
	case catalog.Medium:
		return c.Medium
	case catalog.Low:
		return c.Low
	case catalog.Info:
		return c.Info
	}
	return 0
}

func (c *SeverityCounts) add(s catalog.Severity) {
	switch s {
	case catalog.Critical:
		c.Critical++
	case catalog.High:
		c.High++
	case catalog.Medium:
		c.Medium++
	case catalog.Low:
		c.Low++
	case catalog.Info:
		c.Info++
	}
}

// Total is the sum over all severities.
func (c SeverityCounts) Total() int { return c.Critical + c.High + c.Medium + c.Low + c.Info }

// LayerSummary sums up one layer.
type LayerSummary struct {
	Layer catalog.Layer `json:"layer"`
	// Findings counts unsuppressed findings; BySeverity splits them by severity.
	Findings   int            `json:"findings"`
	BySeverity SeverityCounts `json:"bySeverity"`
	// Suppressed counts suppressed findings.
	Suppressed int `json:"suppressed"`
	// PassedChecks and FailedChecks count control × resource pairs. A pair fails when it has at
	// least one unsuppressed finding; a pair whose findings are all suppressed passes.
	PassedChecks int `json:"passedChecks"`
	FailedChecks int `json:"failedChecks"`
	// Score is 0–100 (see Score in docs/output.md), nil when the layer evaluated nothing.
	Score *float64 `json:"score"`
}

// ControlSummary sums up one control that was evaluated at least once.
type ControlSummary struct {
	ID           string           `json:"id"`
	Title        string           `json:"title"`
	Layer        catalog.Layer    `json:"layer"`
	Severity     catalog.Severity `json:"severity"`
	PassedChecks int              `json:"passedChecks"`
	FailedChecks int              `json:"failedChecks"`
	Findings     int              `json:"findings"`
	Suppressed   int              `json:"suppressed"`
}

// Summary sums up a result: counts of unsuppressed findings by layer and severity, suppressed
// findings, passed and failed control × resource pairs, and scores.
type Summary struct {
	Findings     int            `json:"findings"`
	BySeverity   SeverityCounts `json:"bySeverity"`
	Suppressed   int            `json:"suppressed"`
	PassedChecks int            `json:"passedChecks"`
	FailedChecks int            `json:"failedChecks"`
	// Score is the overall score, nil when nothing was evaluated.
	Score *float64 `json:"score"`
	// Layers has one entry per layer, in catalog.Layers order.
	Layers []LayerSummary `json:"layers"`
	// Controls lists the evaluated controls by layer, severity (worst first) and ID.
	Controls []ControlSummary `json:"-"`
	// Errors and Problems count input problems (Errors those of severity "error"), Warnings the
	// exception and configuration warnings, NotEvaluated the controls that could not be evaluated.
	Errors       int `json:"errors"`
	Problems     int `json:"problems"`
	Warnings     int `json:"warnings"`
	NotEvaluated int `json:"notEvaluated"`
}

// Layer returns the summary of one layer (zero with the layer set when unknown).
func (s Summary) Layer(l catalog.Layer) LayerSummary {
	for _, ls := range s.Layers {
		if ls.Layer == l {
			return ls
		}
	}
	return LayerSummary{Layer: l}
}

// Weight is the severity weight of a control × resource pair in scores.
func Weight(s catalog.Severity) int {
	switch s {
	case catalog.Critical:
		return 10
	case catalog.High:
		return 6
	case catalog.Medium:
		return 3
	case catalog.Low:
		return 1
	}
	return 0
}

// Summarize sums up every finding and check of the result (no severity filter). Findings and
// checks of controls the catalog does not know are not counted (Write refuses them).
func Summarize(res *finding.Result) Summary {
	if res == nil {
		return summarize(nil, nil, &finding.Result{})
	}
	v := newView(res, catalog.Info)
	return v.summary
}

type pairState struct {
	control *catalog.Control
	failed  bool
}

func summarize(items []item, passed []check, res *finding.Result) Summary {
	s := Summary{
		Problems:     len(res.Problems),
		Errors:       res.Errors(),
		Warnings:     len(res.Warnings),
		NotEvaluated: len(res.NotEvaluated),
	}
	layers := make([]LayerSummary, len(catalog.Layers))
	for i, l := range catalog.Layers {
		layers[i].Layer = l
	}
	layerOf := func(l catalog.Layer) *LayerSummary {
		if i, ok := layerOrder[l]; ok {
			return &layers[i]
		}
		return nil
	}

	pairs := map[string]*pairState{}
	var order []string // pair keys in first-seen order (items and checks are sorted)
	controls := map[string]*ControlSummary{}
	var controlOrder []catalog.Control
	ctl := func(c catalog.Control) *ControlSummary {
		cs, ok := controls[c.ID]
		if !ok {
			cs = &ControlSummary{ID: c.ID, Title: c.Title, Layer: c.Layer, Severity: c.Severity}
			controls[c.ID] = cs
			controlOrder = append(controlOrder, c)
		}
		return cs
	}
	pair := func(c *catalog.Control, r finding.Resource) *pairState {
		k := pairKey(c.ID, r)
		p, ok := pairs[k]
		if !ok {
			p = &pairState{control: c}
			pairs[k] = p
			order = append(order, k)
		}
		return p
	}

	for _, it := range items {
		ls := layerOf(it.Control.Layer)
		cs := ctl(*it.Control)
		p := pair(it.Control, it.Resource)
		if it.Suppression != nil {
			s.Suppressed++
			cs.Suppressed++
			if ls != nil {
				ls.Suppressed++
			}
			continue
		}
		p.failed = true
		s.Findings++
		s.BySeverity.add(it.Severity)
		cs.Findings++
		if ls != nil {
			ls.Findings++
			ls.BySeverity.add(it.Severity)
		}
	}
	for _, c := range passed {
		ctl(*c.Control)
		pair(c.Control, c.Resource)
	}

	type weights struct {
		failed, total int
		pairs         int
	}
	var all weights
	perLayer := make([]weights, len(catalog.Layers))
	for _, k := range order {
		p := pairs[k]
		w := Weight(p.control.Severity)
		cs := controls[p.control.ID]
		ls := layerOf(p.control.Layer)
		all.pairs++
		all.total += w
		if p.failed {
			all.failed += w
			s.FailedChecks++
			cs.FailedChecks++
			if ls != nil {
				ls.FailedChecks++
			}
		} else {
			s.PassedChecks++
			cs.PassedChecks++
			if ls != nil {
				ls.PassedChecks++
			}
		}
		if i, ok := layerOrder[p.control.Layer]; ok {
			perLayer[i].pairs++
			perLayer[i].total += w
			if p.failed {
				perLayer[i].failed += w
			}
		}
	}
	s.Score = score(all.pairs, all.failed, all.total)
	for i := range layers {
		layers[i].Score = score(perLayer[i].pairs, perLayer[i].failed, perLayer[i].total)
	}
	s.Layers = layers

	sortControls(controlOrder)
	s.Controls = make([]ControlSummary, 0, len(controlOrder))
	for _, c := range controlOrder {
		s.Controls = append(s.Controls, *controls[c.ID])
	}
	return s
}

func sortControls(cs []catalog.Control) {
	// Insertion sort keeps this dependency-free and stable; the list is short.
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0; j-- {
			if less, _ := controlLess(cs[j], cs[j-1]); !less {
				break
			}
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// score is 100 × (1 − failed/total), rounded to one decimal; nil when no pair was evaluated, 100
// when pairs were evaluated but all weigh nothing (info controls).
func score(pairs, failed, total int) *float64 {
	if pairs == 0 {
		return nil
	}
	v := 100.0
	if total > 0 {
		v = 100 * (1 - float64(failed)/float64(total))
	}
	v = math.Round(v*10) / 10
	return &v
}
