// Package source loads what the user points kube4c at — files, directories, stdin, Helm charts,
// Kustomize directories — into the inventory. Directories are walked recursively: a directory
// holding Chart.yaml is rendered as a Helm chart, one holding a kustomization is built with
// Kustomize, and neither is descended into further (their files are templates and resources,
// not manifests). Everything is read concurrently; one bad input never stops the others.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/source/helm"
	"github.com/kube4c/kube4c/internal/source/kustomize"
	"github.com/kube4c/kube4c/internal/source/manifest"
)

// DefaultMaxFileSize is the largest manifest file read (50 MB).
const DefaultMaxFileSize = 50 << 20

// Options control loading.
type Options struct {
	// DefaultNamespace is given to namespaced objects without a namespace ("default").
	DefaultNamespace string
	// MaxFileSize refuses larger files (DefaultMaxFileSize when 0).
	MaxFileSize int64
	Helm        helm.Options
	Kustomize   kustomize.Options
	// Stdin is read for the path "-".
	Stdin io.Reader
}

// skipDirs are never descended into.
var skipDirs = map[string]bool{".git": true, "vendor": true, "node_modules": true, ".terraform": true}

type taskKind int

const (
	fileTask taskKind = iota
	chartTask
	kustomizeTask
)

type task struct {
	kind     taskKind
	path     string
	explicit bool // named by the user, not found by walking
}

// Load reads every path into inv and returns how many sources (files, charts, kustomizations,
// stdin) were read. Problems go to inv; Load itself only fails when ctx is cancelled.
func Load(ctx context.Context, paths []string, opts Options, inv *inventory.Inventory) (int, error) {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.DefaultNamespace == "" {
		opts.DefaultNamespace = "default"
	}
	if opts.Helm.Namespace == "" {
		opts.Helm.Namespace = opts.DefaultNamespace
	}
	if opts.Kustomize.DefaultNamespace == "" {
		opts.Kustomize.DefaultNamespace = opts.DefaultNamespace
	}
	var tasks []task
	sources := 0
	for _, p := range paths {
		if p == "-" {
			sources++
			loadStdin(opts, inv)
			continue
		}
		tasks = append(tasks, discover(p, inv)...)
	}
	sources += len(tasks)

	workers := runtime.GOMAXPROCS(0)
	ch := make(chan task)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range ch {
				run(ctx, t, opts, inv)
			}
		}()
	}
	for _, t := range tasks {
		if ctx.Err() != nil {
			break
		}
		ch <- t
	}
	close(ch)
	wg.Wait()
	return sources, ctx.Err()
}

func run(ctx context.Context, t task, opts Options, inv *inventory.Inventory) {
	defer func() {
		// A bug in a parser must not take the whole scan down: report it against the input.
		if r := recover(); r != nil {
			inv.AddProblem(inventory.Problem{Severity: "error", File: t.path, Message: fmt.Sprintf("internal error while reading this input (please report it): %v", r)})
		}
	}()
	switch t.kind {
	case chartTask:
		if err := helm.Load(ctx, t.path, opts.Helm, inv); err != nil {
			inv.AddProblem(inventory.Problem{Severity: "error", File: t.path, Message: "Helm chart: " + err.Error()})
		}
	case kustomizeTask:
		if err := kustomize.Load(ctx, t.path, opts.Kustomize, inv); err != nil {
			inv.AddProblem(inventory.Problem{Severity: "error", File: t.path, Message: "kustomization: " + err.Error()})
		}
	default:
		loadFile(t, opts, inv)
	}
}

// discover turns one user-given path into tasks.
func discover(p string, inv *inventory.Inventory) []task {
	fi, err := os.Stat(p)
	if err != nil {
		inv.AddProblem(inventory.Problem{Severity: "error", File: p, Message: describeErr(err)})
		return nil
	}
	if !fi.IsDir() {
		if helm.IsChart(p) {
			return []task{{kind: chartTask, path: p, explicit: true}}
		}
		return []task{{kind: fileTask, path: p, explicit: true}}
	}
	var tasks []task
	w := walker{visited: map[string]bool{}, inv: inv}
	w.dir(p, &tasks, true)
	return tasks
}

type walker struct {
	visited map[string]bool // real paths of directories already walked (symlink loops)
	inv     *inventory.Inventory
}

func (w *walker) dir(dir string, tasks *[]task, explicit bool) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		w.inv.AddProblem(inventory.Problem{Severity: "warning", File: dir, Message: describeErr(err)})
		return
	}
	if abs, err := filepath.Abs(real); err == nil {
		real = abs
	}
	if w.visited[real] {
		return // symlink loop or second link to a directory already read
	}
	w.visited[real] = true
	if helm.IsChart(dir) {
		*tasks = append(*tasks, task{kind: chartTask, path: dir, explicit: explicit})
		return
	}
	if kustomize.IsKustomization(dir) {
		*tasks = append(*tasks, task{kind: kustomizeTask, path: dir, explicit: explicit})
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.inv.AddProblem(inventory.Problem{Severity: "error", File: dir, Message: describeErr(err)})
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			if err != nil {
				w.inv.AddProblem(inventory.Problem{Severity: "warning", File: p, Message: "broken symbolic link: " + describeErr(err)})
				continue
			}
			mode = fi.Mode().Type()
		}
		switch {
		case mode.IsDir():
			if skipDirs[e.Name()] {
				continue
			}
			w.dir(p, tasks, false)
		case mode.IsRegular():
			if isManifestName(e.Name()) {
				*tasks = append(*tasks, task{kind: fileTask, path: p})
			}
		}
	}
}

func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func loadFile(t task, opts Options, inv *inventory.Inventory) {
	data, err := readLimited(t.path, opts.MaxFileSize)
	if err != nil {
		inv.AddProblem(inventory.Problem{Severity: "error", File: t.path, Message: err.Error()})
		return
	}
	src := inventory.Source{Origin: inventory.FromFile, File: t.path}
	objs, probs := manifest.Parse(data, src, manifest.Options{DefaultNamespace: opts.DefaultNamespace, QuietNonKubernetes: !t.explicit})
	inv.Add(objs...)
	inv.AddProblem(probs...)
}

func loadStdin(opts Options, inv *inventory.Inventory) {
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	data, err := io.ReadAll(io.LimitReader(opts.Stdin, opts.MaxFileSize+1))
	if err == nil {
		err = checkContent(data, opts.MaxFileSize)
	}
	if err != nil {
		inv.AddProblem(inventory.Problem{Severity: "error", File: inventory.StdinFile, Message: err.Error()})
		return
	}
	objs, probs := manifest.Parse(data, inventory.Source{Origin: inventory.FromStdin, File: inventory.StdinFile}, manifest.Options{DefaultNamespace: opts.DefaultNamespace})
	inv.Add(objs...)
	inv.AddProblem(probs...)
}

// readLimited reads a file, refusing files over max bytes and binary files.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.New(describeErr(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		return nil, fmt.Errorf("file is %s, over the %s limit (--max-file-size); refused", humanBytes(fi.Size()), humanBytes(max))
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, errors.New(describeErr(err))
	}
	return data, checkContent(data, max)
}

func checkContent(data []byte, max int64) error {
	if int64(len(data)) > max {
		return fmt.Errorf("input is over the %s limit (--max-file-size); refused", humanBytes(max))
	}
	head := data
	if len(head) > 8000 {
		head = head[:8000]
	}
	for _, b := range head {
		if b == 0 {
			return errors.New("binary file (contains NUL bytes); refused")
		}
	}
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func describeErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}
