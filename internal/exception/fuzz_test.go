package exception

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kube4c/kube4c/internal/finding"
)

// Seed corpora live in testdata/fuzz/FuzzParse and testdata/fuzz/FuzzInlineAnnotation.

// watchdog runs check and fails the input when it reports a problem or runs for too long, so
// that a hang is saved as a crasher like a panic is.
func watchdog(t *testing.T, check func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic: %v", r)
			}
		}()
		done <- check()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("hang: input took more than 20s")
	}
}

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { watchdog(t, func() error { return checkParse(data) }) })
}

func checkParse(data []byte) error {
	set, err := Parse(data, "fuzz.yaml")
	if err != nil {
		if set != nil {
			return fmt.Errorf("set returned with error %v", err)
		}
		if !strings.Contains(err.Error(), "fuzz.yaml") {
			return fmt.Errorf("error does not name the file: %v", err)
		}
		return nil
	}
	if set == nil {
		return fmt.Errorf("nil set without error")
	}
	for _, e := range set.entries {
		if len(e.controls) == 0 || e.justification == "" || e.id == "" || e.line <= 0 {
			return fmt.Errorf("incomplete entry accepted: %+v", e)
		}
	}
	for _, at := range []time.Time{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)} {
		fs := corpus()
		ws := Apply(fs, set, Options{Now: at, InlineIgnores: true})
		if len(ws) > set.Len() {
			return fmt.Errorf("%d warnings for %d exceptions", len(ws), set.Len())
		}
		for _, f := range fs {
			if s := f.Suppression; s != nil && (s.Kind != "exception" || s.Justification == "" || s.Exception == "") {
				return fmt.Errorf("bad suppression %+v", s)
			}
		}
	}
	return nil
}

func FuzzInlineAnnotation(f *testing.F) {
	f.Fuzz(func(t *testing.T, value, controlID string) {
		watchdog(t, func() error { return checkInline(value, controlID) })
	})
}

func checkInline(value, controlID string) error {
	o := object("Deployment", "prod", "web", annotations(IgnoreAnnotation, value))
	fs := []finding.Finding{find(controlID, o), find(ctlRoot, o)}
	ws := Apply(fs, nil, Options{Now: now, InlineIgnores: true})
	_, reason, hasColon := strings.Cut(value, ":")
	for _, f := range fs {
		s := f.Suppression
		if s == nil {
			continue
		}
		if s.Kind != "inline" || s.Justification == "" || s.Justification != strings.TrimSpace(s.Justification) ||
			s.Exception != "Deployment/prod/web annotation kube4c.io/ignore" {
			return fmt.Errorf("bad suppression %+v", s)
		}
		if !hasColon || strings.TrimSpace(reason) == "" {
			return fmt.Errorf("suppressed without a reason: %q", value)
		}
	}
	for _, w := range ws {
		if !strings.HasPrefix(w.Message, "Deployment/prod/web: annotation kube4c.io/ignore: ") {
			return fmt.Errorf("warning %q", w.Message)
		}
	}
	// Turned off: nothing happens.
	fs = []finding.Finding{find(controlID, o)}
	if ws := Apply(fs, nil, Options{Now: now}); len(ws) != 0 || fs[0].Suppression != nil {
		return fmt.Errorf("InlineIgnores off: %v %+v", ws, fs[0].Suppression)
	}
	return nil
}
