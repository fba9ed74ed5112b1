package cluster

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints one self-overwriting status line while a cluster is read.
type progress struct {
	w    io.Writer
	mu   sync.Mutex
	last time.Time
	n    int64
}

func newProgress(w io.Writer) *progress { return &progress{w: w} }

func (p *progress) add(resource string, total int64) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n = total
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\033[Kkube4c: reading the cluster: %d objects (%s)", total, resource)
}

func (p *progress) done() {
	if p == nil || p.w == nil || p.last.IsZero() {
		return
	}
	fmt.Fprintf(p.w, "\r\033[Kkube4c: read %d objects from the cluster\n", p.n)
}
