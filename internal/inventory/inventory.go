// Package inventory is the typed, in-memory set of objects a scan looks at. Every source (manifest
// files, Helm, Kustomize, a live cluster) fills it; every analyzer reads it. Each object remembers
// where it came from so findings can point at a file and line, or at a cluster resource.
package inventory

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Origin says what kind of source produced an object.
type Origin string

// Origins of objects.
const (
	FromFile      Origin = "file"
	FromStdin     Origin = "stdin"
	FromHelm      Origin = "helm"
	FromKustomize Origin = "kustomize"
	FromCluster   Origin = "cluster"
	// FromNode objects describe a node as `kube4c node` read it: its Kubernetes components, files
	// and host operating system (File is the node file the fact was read from).
	FromNode Origin = "node"
	// FromProbe objects are network endpoints `kube4c probe` connected to.
	FromProbe Origin = "probe"
	// FromImage objects are container images (kube4c image, kube4c scan --images); Context is
	// the image reference, File and Line the first workload field that names the image (if any).
	FromImage Origin = "image"
)

// StdinFile is the Source.File of objects read from standard input.
const StdinFile = "<stdin>"

// Source records where an object was read.
type Source struct {
	Origin Origin `json:"origin"`
	// File is the path of the file the object was read from, as the user named it (for Helm, the
	// chart's template file; for Kustomize, the resource file when known). Empty for clusters.
	File string `json:"file,omitempty"`
	// Line is the 1-based line where the object's document starts (0 when unknown).
	Line int `json:"line,omitempty"`
	// Context names the chart, kustomization or cluster context the object came through.
	Context string `json:"context,omitempty"`
}

// Location is a place in a source file.
type Location struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// Locator maps field paths of an object to locations in its source. Implementations may re-read
// the object's document; they are called once per object with all the paths findings need.
type Locator interface {
	Locate(paths []FieldPath) []Location
}

// Object is one Kubernetes object in the inventory.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// Object is the decoded object: a typed value for kinds built into Kubernetes (as registered in
	// client-go's scheme), *unstructured.Unstructured for everything else.
	Object  runtime.Object
	Source  Source
	Locator Locator
}

// GroupVersionKind of the object.
func (o *Object) GroupVersionKind() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(o.APIVersion, o.Kind)
}

// Group is the API group ("" for the core group).
func (o *Object) Group() string { return o.GroupVersionKind().Group }

// Meta returns the object's metadata accessor, or nil when the object has none.
func (o *Object) Meta() metav1.Object {
	m, err := meta.Accessor(o.Object)
	if err != nil {
		return nil
	}
	return m
}

// Labels of the object.
func (o *Object) Labels() map[string]string {
	if m := o.Meta(); m != nil {
		return m.GetLabels()
	}
	return nil
}

// Annotations of the object.
func (o *Object) Annotations() map[string]string {
	if m := o.Meta(); m != nil {
		return m.GetAnnotations()
	}
	return nil
}

// Ref is a short human reference: Kind/namespace/name or Kind/name.
func (o *Object) Ref() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// Where describes the object's source for messages: "file:line", or the cluster reference.
func (o *Object) Where() string {
	switch {
	case o.Source.File != "" && o.Source.Line > 0:
		return fmt.Sprintf("%s:%d", o.Source.File, o.Source.Line)
	case o.Source.File != "":
		return o.Source.File
	default:
		return o.Ref()
	}
}

// Locate resolves field paths to source locations; without a locator every path resolves to the
// object's own location.
func (o *Object) Locate(paths []FieldPath) []Location {
	if o.Locator != nil && len(paths) > 0 {
		return o.Locator.Locate(paths)
	}
	out := make([]Location, len(paths))
	for i := range out {
		out[i] = Location{File: o.Source.File, Line: o.Source.Line}
	}
	return out
}

// Problem is an input error or warning met while building the inventory. The scan goes on.
type Problem struct {
	Severity string `json:"severity"` // "error" or "warning"
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Resource string `json:"resource,omitempty"`
	Message  string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteString(":" + strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
	}
	if p.Resource != "" {
		b.WriteString(p.Resource + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Inventory holds the objects of one scan. Add and AddProblem are safe for concurrent use; reads
// happen after loading finished.
type Inventory struct {
	mu       sync.Mutex
	objects  []*Object
	byKind   map[schema.GroupKind][]*Object
	problems []Problem
	sorted   bool

	cluster     *ClusterInfo
	node        *NodeInfo
	unavailable []Unavailable
}

// New returns an empty inventory.
func New() *Inventory { return &Inventory{byKind: map[schema.GroupKind][]*Object{}} }

// Add puts objects in the inventory.
func (inv *Inventory) Add(objs ...*Object) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	for _, o := range objs {
		inv.objects = append(inv.objects, o)
		gk := o.GroupVersionKind().GroupKind()
		inv.byKind[gk] = append(inv.byKind[gk], o)
	}
	inv.sorted = false
}

// AddProblem records an input error or warning.
func (inv *Inventory) AddProblem(p ...Problem) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.problems = append(inv.problems, p...)
}

// Problems returns the recorded problems.
func (inv *Inventory) Problems() []Problem {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return append([]Problem(nil), inv.problems...)
}

// sort orders objects deterministically (sources are read concurrently).
func (inv *Inventory) sort() {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.sorted {
		return
	}
	less := func(s []*Object) func(i, j int) bool {
		return func(i, j int) bool {
			a, b := s[i], s[j]
			if a.Source.File != b.Source.File {
				return a.Source.File < b.Source.File
			}
			if a.Source.Line != b.Source.Line {
				return a.Source.Line < b.Source.Line
			}
			return a.Ref() < b.Ref()
		}
	}
	sort.SliceStable(inv.objects, less(inv.objects))
	for _, s := range inv.byKind {
		sort.SliceStable(s, less(s))
	}
	sort.SliceStable(inv.problems, func(i, j int) bool {
		if inv.problems[i].File != inv.problems[j].File {
			return inv.problems[i].File < inv.problems[j].File
		}
		return inv.problems[i].Line < inv.problems[j].Line
	})
	inv.sorted = true
}

// Objects returns every object in a deterministic order (by source file and line).
func (inv *Inventory) Objects() []*Object {
	inv.sort()
	return inv.objects
}

// OfKind returns the objects of one group and kind ("" is the core group).
func (inv *Inventory) OfKind(group, kind string) []*Object {
	inv.sort()
	return inv.byKind[schema.GroupKind{Group: group, Kind: kind}]
}

// Len is the number of objects.
func (inv *Inventory) Len() int {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return len(inv.objects)
}

// Names lists objects as Kind/name for messages, at most max of them, then "and N more".
func Names(objs []*Object, max int) string {
	var names []string
	for i, o := range objs {
		if i == max {
			names = append(names, fmt.Sprintf("and %d more", len(objs)-max))
			break
		}
		names = append(names, o.Kind+"/"+o.Name)
	}
	return strings.Join(names, ", ")
}
