// Package cluster reads a live cluster into the inventory, read-only: it lists every kind the
// analyzers need with pagination and bounded concurrency, trims objects on arrival (no
// managedFields, no last-applied annotations, no Secret data) so memory stays bounded, and records
// kinds it may not list as unavailable instead of failing the scan.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kube4c/kube4c/internal/inventory"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/pager"
)

// Options control how a cluster is read.
type Options struct {
	// Kubeconfig and Context select the cluster like kubectl does ($KUBECONFIG and the in-cluster
	// configuration are used when Kubeconfig is empty).
	Kubeconfig string
	Context    string
	// Config, when set, is used instead of a kubeconfig (tests, embedding).
	Config *rest.Config
	// Namespaces limits namespaced kinds to these namespaces (all when empty);
	// ExcludeNamespaces drops namespaces.
	Namespaces        []string
	ExcludeNamespaces []string
	// QPS and Burst limit the request rate (client-go's token bucket).
	QPS   float32
	Burst int
	// Timeout bounds the whole read (default 5 minutes).
	Timeout time.Duration
	// PageSize is the list page size (default 500); Concurrency the number of lists in flight
	// (default 4).
	PageSize    int64
	Concurrency int
	// Progress, when set, receives a progress line (the CLI passes stderr when it is a terminal).
	Progress io.Writer
}

// Stats describe one read.
type Stats struct {
	Requests int64
	Objects  int64
}

// Connect builds the client configuration and checks the cluster answers. The error is meant
// for the user as is: unreachable server, rejected credentials, unknown context.
func Connect(ctx context.Context, opts Options) (*rest.Config, string, error) {
	cfg, name := opts.Config, "custom"
	if cfg == nil {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		if opts.Kubeconfig != "" {
			rules.ExplicitPath = opts.Kubeconfig
		}
		cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: opts.Context})
		var err error
		if cfg, err = cc.ClientConfig(); err != nil {
			if clientcmd.IsEmptyConfig(err) {
				return nil, "", errors.New("no cluster configured: set --kubeconfig or $KUBECONFIG, or run inside a pod")
			}
			return nil, "", fmt.Errorf("kubeconfig: %w", err)
		}
		if raw, err := cc.RawConfig(); err == nil {
			name = raw.CurrentContext
			if opts.Context != "" {
				name = opts.Context
			}
		}
		if name == "" {
			name = "in-cluster"
		}
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = opts.QPS, opts.Burst
	if cfg.QPS == 0 {
		cfg.QPS = 50
	}
	if cfg.Burst == 0 {
		cfg.Burst = 100
	}
	cfg.UserAgent = "kube4c"
	return cfg, name, nil
}

// describe turns a client error into a sentence about the cluster.
func describe(err error, server string) error {
	var se *apierrors.StatusError
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the cluster at %s rejected the credentials (401 Unauthorized): they are missing, invalid or expired", server)
	case errors.As(err, &se):
		return fmt.Errorf("the cluster at %s answered: %v", server, err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("cannot reach the cluster at %s: %v", server, ue.Err)
	}
	return fmt.Errorf("cannot read the cluster at %s: %v", server, err)
}

// Load reads the cluster into inv.
func Load(ctx context.Context, opts Options, inv *inventory.Inventory) (Stats, error) {
	var st Stats
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	cfg, name, err := Connect(ctx, opts)
	if err != nil {
		return st, err
	}
	var requests atomic.Int64
	prev := cfg.WrapTransport
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if prev != nil {
			rt = prev(rt)
		}
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			requests.Add(1)
			return rt.RoundTrip(r)
		})
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return st, fmt.Errorf("cluster client: %w", err)
	}
	info, err := cs.Discovery().ServerVersion()
	if err != nil {
		return st, describe(err, cfg.Host)
	}
	ci := &inventory.ClusterInfo{Context: name, Server: cfg.Host, Version: info.GitVersion, AnonymousAccess: probeAnonymous(ctx, cfg)}
	inv.SetCluster(ci)

	r := &reader{cs: cs, opts: opts, inv: inv, context: name, progress: newProgress(opts.Progress)}
	r.run(ctx)
	r.progress.done()
	st.Requests, st.Objects = requests.Load(), r.objects.Load()
	if ctx.Err() != nil {
		return st, fmt.Errorf("reading the cluster took longer than --timeout %s", opts.Timeout)
	}
	return st, nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// probeAnonymous asks the public discovery paths without credentials, as an attacker on the
// network would.
func probeAnonymous(ctx context.Context, cfg *rest.Config) map[string]int {
	anon := rest.AnonymousClientConfig(cfg)
	anon.Timeout = 10 * time.Second
	hc, err := rest.HTTPClientFor(anon)
	if err != nil {
		return nil
	}
	out := map[string]int{}
	for _, p := range []string{"/version", "/api", "/apis"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, anon.Host+p, nil)
		if err != nil {
			continue
		}
		resp, err := hc.Do(req)
		if err != nil {
			out[p] = 0
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		out[p] = resp.StatusCode
	}
	return out
}

type reader struct {
	cs       kubernetes.Interface
	opts     Options
	inv      *inventory.Inventory
	context  string
	objects  atomic.Int64
	progress *progress
}

type job struct {
	k  kind
	ns string
}

func (r *reader) run(ctx context.Context) {
	var jobs []job
	for _, k := range kinds {
		if k.namespaced && len(r.opts.Namespaces) > 0 {
			for _, ns := range r.opts.Namespaces {
				jobs = append(jobs, job{k, ns})
			}
			continue
		}
		jobs = append(jobs, job{k: k})
	}
	ch := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	reported := map[schema.GroupKind]bool{}
	for w := 0; w < r.opts.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				if err := r.list(ctx, j); err != nil {
					mu.Lock()
					first := !reported[j.k.gvk.GroupKind()]
					reported[j.k.gvk.GroupKind()] = true
					mu.Unlock()
					if first {
						r.fail(j, err)
					}
				}
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
}

func (r *reader) fail(j job, err error) {
	where := j.k.resource
	if j.ns != "" {
		where += " in namespace " + j.ns
	}
	gk := j.k.gvk.GroupKind()
	switch {
	case apierrors.IsForbidden(err):
		r.inv.MarkUnavailable(inventory.Unavailable{Group: gk.Group, Kind: gk.Kind, Reason: "forbidden: the identity may not list " + where})
		r.inv.AddProblem(inventory.Problem{Severity: "warning", Resource: j.k.resource,
			Message: fmt.Sprintf("cannot list %s: 403 Forbidden; controls that need %s are not evaluated (grant list as in deploy/rbac-reader.yaml)", where, j.k.gvk.Kind)})
	case apierrors.IsNotFound(err):
		r.inv.MarkUnavailable(inventory.Unavailable{Group: gk.Group, Kind: gk.Kind, Reason: "the cluster does not serve " + j.k.gvk.GroupVersion().String() + " " + j.k.resource})
		r.inv.AddProblem(inventory.Problem{Severity: "warning", Resource: j.k.resource,
			Message: fmt.Sprintf("the cluster does not serve %s %s; controls that need %s are not evaluated", j.k.gvk.GroupVersion(), j.k.resource, j.k.gvk.Kind)})
	default:
		r.inv.MarkUnavailable(inventory.Unavailable{Group: gk.Group, Kind: gk.Kind, Reason: "error listing " + where})
		r.inv.AddProblem(inventory.Problem{Severity: "error", Resource: j.k.resource, Message: fmt.Sprintf("cannot list %s: %v", where, err)})
	}
}

func (r *reader) list(ctx context.Context, j job) error {
	p := pager.New(pager.SimplePageFunc(func(o metav1.ListOptions) (runtime.Object, error) {
		return j.k.list(ctx, r.cs, j.ns, o)
	}))
	p.PageSize = r.opts.PageSize
	// A list that falls out of etcd's compaction window mid-way must not fall back to an
	// unpaginated list of everything.
	p.FullListIfExpired = false
	return p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		m, err := meta.Accessor(obj)
		if err != nil {
			return nil
		}
		if slices.Contains(r.opts.ExcludeNamespaces, m.GetNamespace()) ||
			(j.k.gvk.Kind == "Namespace" && excluded(m.GetName(), r.opts)) {
			return nil
		}
		trim(obj, m)
		obj.GetObjectKind().SetGroupVersionKind(j.k.gvk)
		r.inv.Add(&inventory.Object{
			APIVersion: j.k.gvk.GroupVersion().String(), Kind: j.k.gvk.Kind,
			Namespace: m.GetNamespace(), Name: m.GetName(), Object: obj,
			Source: inventory.Source{Origin: inventory.FromCluster, Context: r.context},
		})
		r.progress.add(j.k.resource, r.objects.Add(1))
		return nil
	})
}

// excluded reports whether a Namespace object is outside the requested namespaces.
func excluded(name string, opts Options) bool {
	if slices.Contains(opts.ExcludeNamespaces, name) {
		return true
	}
	return len(opts.Namespaces) > 0 && !slices.Contains(opts.Namespaces, name)
}

// lastApplied is kubectl's copy of the whole object: it doubles memory and can hold Secret data.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// trim drops what no analyzer reads and what must not be kept: managed fields, last-applied
// copies and Secret values.
func trim(obj runtime.Object, m metav1.Object) {
	m.SetManagedFields(nil)
	if a := m.GetAnnotations(); a != nil {
		if _, ok := a[lastApplied]; ok {
			delete(a, lastApplied)
			m.SetAnnotations(a)
		}
	}
	trimSecret(obj)
}
