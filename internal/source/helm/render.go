package helm

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/engine"
)

// tplInfo is one template of the chart tree, keyed by its engine name ("web/charts/db/templates/x.yaml").
type tplInfo struct {
	key  string
	file *common.File
	rel  string // name relative to the root chart: "templates/x.yaml", "charts/db/templates/x.yaml"
}

func (t *tplInfo) partial() bool { return strings.HasPrefix(path.Base(t.key), "_") }

// templateIndex lists the templates the engine will see (after ProcessDependencies), by engine name.
func templateIndex(root *chartv2.Chart) map[string]*tplInfo {
	out := map[string]*tplInfo{}
	rootName := root.Name()
	var walk func(c *chartv2.Chart)
	walk = func(c *chartv2.Chart) {
		for _, d := range c.Dependencies() {
			walk(d)
		}
		full := c.ChartFullPath()
		for _, t := range c.Templates {
			if t == nil {
				continue
			}
			key := path.Join(full, t.Name)
			rel := strings.TrimPrefix(strings.TrimPrefix(key, rootName), "/")
			out[key] = &tplInfo{key: key, file: t, rel: rel}
		}
	}
	walk(root)
	return out
}

// failure is a template that could not be rendered.
type failure struct {
	tpl  *tplInfo // nil when the failing template is unknown
	line int      // line in the template, when the engine said
	msg  string
}

// maxFailures bounds re-renders when many templates fail.
const maxFailures = 50

// render runs Helm's engine. The engine stops at the first failing template, so on an error the
// failing template is identified from the message, blanked, and the chart rendered again; the other
// templates still render. When the culprit cannot be told (an execution error inside a partial),
// every template is rendered on its own.
func render(ctx context.Context, ch *chartv2.Chart, vals common.Values, tpls map[string]*tplInfo) (map[string]string, []failure) {
	blanked := map[*common.File][]byte{}
	defer func() {
		for f, data := range blanked {
			f.Data = data
		}
	}()
	blank := func(f *common.File) {
		if _, ok := blanked[f]; !ok {
			blanked[f] = f.Data
			f.Data = nil
		}
	}
	var fails []failure
	for len(fails) < maxFailures {
		if ctx.Err() != nil {
			return nil, append(fails, failure{msg: ctx.Err().Error()})
		}
		out, err := renderOnce(ctx, ch, vals)
		if err == nil {
			return out, fails
		}
		t, line, parseErr := culprit(err, tpls)
		if t == nil || (t.partial() && !parseErr) {
			return isolate(ctx, ch, vals, tpls, blanked, fails)
		}
		if _, done := blanked[t.file]; done {
			// Blanking did not help (should not happen): give up with the error.
			return nil, append(fails, failure{tpl: t, line: line, msg: cleanMessage(err)})
		}
		fails = append(fails, failure{tpl: t, line: line, msg: cleanMessage(err)})
		blank(t.file)
	}
	return nil, append(fails, failure{msg: fmt.Sprintf("more than %d templates failed to render; giving up", maxFailures)})
}

// isolate renders each remaining non-partial template alone (all others blanked).
func isolate(ctx context.Context, ch *chartv2.Chart, vals common.Values, tpls map[string]*tplInfo, blanked map[*common.File][]byte, fails []failure) (map[string]string, []failure) {
	// Files still rendered (not blanked, not partials), each once even if aliased.
	var todo []*common.File
	byFile := map[*common.File][]*tplInfo{}
	keys := make([]string, 0, len(tpls))
	for k := range tpls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t := tpls[k]
		if t.partial() {
			continue
		}
		if _, ok := blanked[t.file]; ok {
			continue
		}
		if _, ok := byFile[t.file]; !ok {
			todo = append(todo, t.file)
		}
		byFile[t.file] = append(byFile[t.file], t)
	}
	saved := map[*common.File][]byte{}
	for _, f := range todo {
		saved[f] = f.Data
	}
	defer func() {
		for f, d := range saved {
			f.Data = d
		}
	}()
	out := map[string]string{}
	for _, f := range todo {
		if ctx.Err() != nil {
			return out, append(fails, failure{msg: ctx.Err().Error()})
		}
		for _, g := range todo {
			g.Data = nil
		}
		f.Data = saved[f]
		res, err := renderOnce(ctx, ch, vals)
		f.Data = nil
		if err != nil {
			t, line, _ := culprit(err, tpls)
			if t == nil || t.file != f {
				t, line = byFile[f][0], 0
			}
			fails = append(fails, failure{tpl: t, line: line, msg: cleanMessage(err)})
			continue
		}
		for _, t := range byFile[f] {
			if s, ok := res[t.key]; ok {
				out[t.key] = s
			}
		}
	}
	return out, fails
}

// renderOnce runs the engine, turning panics into errors. The zero Engine has no cluster client
// (lookup returns nothing) and DNS lookups disabled: rendering never reaches the network.
func renderOnce(ctx context.Context, ch *chartv2.Chart, vals common.Values) (out map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("rendering failed: %v", r)
		}
	}()
	return engine.Engine{}.RenderWithContext(ctx, ch, vals)
}

// culprit finds the template an engine error names first (the outermost executing template), and
// the line the error points at in it.
func culprit(err error, tpls map[string]*tplInfo) (t *tplInfo, line int, parseErr bool) {
	msg := err.Error()
	parseErr = strings.HasPrefix(msg, "parse error")
	best := -1
	for k, ti := range tpls {
		for from := 0; ; {
			i := strings.Index(msg[from:], k)
			if i < 0 {
				break
			}
			i += from
			end := i + len(k)
			from = end
			// The name must be delimited: followed by ':' ')' '"' or the end.
			if end < len(msg) && !strings.ContainsRune(`:)"`, rune(msg[end])) {
				continue
			}
			if best == -1 || i < best || (i == best && len(k) > len(t.key)) {
				best, t = i, ti
				line = 0
				if end < len(msg) && msg[end] == ':' {
					digits := leadingDigits(msg[end+1:])
					if n, err := strconv.Atoi(digits); err == nil {
						line = n
					}
				}
			}
			break
		}
	}
	return t, line, parseErr
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

var spaces = regexp.MustCompile(`\s+`)

// cleanMessage flattens the engine's multi-line message.
func cleanMessage(err error) string {
	return strings.TrimSpace(spaces.ReplaceAllString(err.Error(), " "))
}
