// Package kustomize builds kustomizations in-process with krusty (offline: remote bases and
// helmCharts are refused before building) and adds the resulting objects to an inventory, each
// pointing back at the resource file it came from (see docs/sources.md).
package kustomize

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/source/manifest"
)

// Options configure a build.
type Options struct {
	// RootOnly restricts files to the kustomization's own directory tree (kustomize's default,
	// LoadRestrictionsRootOnly). By default kube4c uses LoadRestrictionsNone, like
	// `kustomize build --load-restrictor LoadRestrictionsNone`: real repositories often reference
	// ../ files, and a scanner reading files the user pointed it at loses nothing by following them.
	RootOnly bool
	// DefaultNamespace is given to namespaced objects without a namespace ("default" if empty).
	DefaultNamespace string
}

// kustomizationNames are the file names kustomize looks for, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// IsKustomization reports whether dir holds a kustomization file.
func IsKustomization(dir string) bool {
	_, ok := kustomizationFile(dir)
	return ok
}

func kustomizationFile(dir string) (string, bool) {
	for _, n := range kustomizationNames {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && fi.Mode().IsRegular() {
			return filepath.Join(dir, n), true
		}
	}
	return "", false
}

// Load builds the kustomization in dir and adds its objects to inv. Remote bases, helmCharts and
// kustomize errors become problems naming the directory; an error is returned only when dir is
// not a kustomization.
func Load(ctx context.Context, dir string, opts Options, inv *inventory.Inventory) (err error) {
	kfile, ok := kustomizationFile(dir)
	if !ok {
		return fmt.Errorf("%s: no kustomization.yaml, kustomization.yml or Kustomization file", dir)
	}
	defer func() {
		if r := recover(); r != nil {
			inv.AddProblem(inventory.Problem{Severity: "error", File: kfile,
				Message: fmt.Sprintf("kustomization %s: internal error while building: %v", dir, r)})
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	if probs := preflight(dir); len(probs) > 0 {
		inv.AddProblem(probs...)
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	fs, err := newOriginFS(dir)
	if err != nil {
		inv.AddProblem(inventory.Problem{Severity: "error", File: kfile, Message: fmt.Sprintf("kustomization %s: %v", dir, err)})
		return nil
	}
	kopts := krusty.MakeDefaultOptions()
	kopts.LoadRestrictions = types.LoadRestrictionsNone
	if opts.RootOnly {
		kopts.LoadRestrictions = types.LoadRestrictionsRootOnly
	}
	kopts.PluginConfig = types.DisabledPluginConfig()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	m, err := krusty.MakeKustomizer(kopts).Run(fs, abs)
	if err != nil {
		inv.AddProblem(inventory.Problem{Severity: "error", File: kfile,
			Message: fmt.Sprintf("kustomization %s: %s", dir, oneLine(err.Error()))})
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	popts := manifest.Options{DefaultNamespace: opts.DefaultNamespace}
	files := &originFiles{dir: dir, popts: popts, cache: map[string]*parsedFile{}}
	for _, res := range m.Resources() {
		origin, _ := res.GetOrigin()
		if !fs.userWantsOrigins {
			if err := res.SetOrigin(nil); err != nil {
				inv.AddProblem(inventory.Problem{Severity: "error", File: kfile, Resource: res.CurId().String(),
					Message: fmt.Sprintf("kustomization %s: %v", dir, err)})
				continue
			}
		}
		y, err := res.AsYAML()
		if err != nil {
			inv.AddProblem(inventory.Problem{Severity: "error", File: kfile, Resource: res.CurId().String(),
				Message: fmt.Sprintf("kustomization %s: %v", dir, err)})
			continue
		}
		src := inventory.Source{Origin: inventory.FromKustomize, File: kfile, Line: 1, Context: dir}
		objs, probs := manifest.Parse(y, src, popts)
		for i := range probs {
			probs[i].File, probs[i].Line = kfile, 0
			probs[i].Message = fmt.Sprintf("kustomization %s: %s", dir, probs[i].Message)
		}
		inv.AddProblem(probs...)
		for _, o := range objs {
			files.place(o, res, origin, kfile)
		}
		inv.Add(objs...)
	}
	return nil
}

// originFS is the disk file system, except that the root kustomization gains
// `buildMetadata: [originAnnotations]` so kustomize records which file each resource came from.
type originFS struct {
	filesys.FileSystem
	roots            map[string]bool // paths of the root kustomization file (absolute, and symlink-resolved)
	userWantsOrigins bool            // the user's kustomization already asks for origin annotations
}

func newOriginFS(dir string) (*originFS, error) {
	fs := &originFS{FileSystem: filesys.MakeFsOnDisk(), roots: map[string]bool{}}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	dirs := []string{abs}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		dirs = append(dirs, real)
	}
	for _, d := range dirs {
		for _, n := range kustomizationNames {
			fs.roots[filepath.Join(d, n)] = true
		}
	}
	return fs, nil
}

func (fs *originFS) ReadFile(name string) ([]byte, error) {
	data, err := fs.FileSystem.ReadFile(name)
	if err != nil || !fs.roots[filepath.Clean(name)] {
		return data, err
	}
	out, wanted := addOriginAnnotations(data)
	fs.userWantsOrigins = fs.userWantsOrigins || wanted
	return out, nil
}

// addOriginAnnotations adds originAnnotations to buildMetadata. It reports whether the user had
// asked for them already (then they stay on the objects, as `kustomize build` would print them).
func addOriginAnnotations(data []byte) ([]byte, bool) {
	var k map[string]any
	if err := sigsyaml.Unmarshal(data, &k); err != nil || k == nil {
		return data, false // kustomize reports the error
	}
	bm, has := k["buildMetadata"]
	if !has {
		out := append(bytes.TrimRight(append([]byte(nil), data...), "\n"), []byte("\nbuildMetadata: [originAnnotations]\n")...)
		return out, false
	}
	list, _ := bm.([]any)
	for _, v := range list {
		if v == types.OriginAnnotations {
			return data, true
		}
	}
	k["buildMetadata"] = append(list, types.OriginAnnotations)
	out, err := sigsyaml.Marshal(k)
	if err != nil {
		return data, false
	}
	return out, false
}

// parsedFile is a resource file decoded once for locating.
type parsedFile struct {
	display string
	objs    []*inventory.Object
	data    []byte
}

type originFiles struct {
	dir   string
	popts manifest.Options
	cache map[string]*parsedFile
}

func (f *originFiles) get(rel string) *parsedFile {
	display := filepath.Join(f.dir, filepath.FromSlash(rel))
	if pf, ok := f.cache[display]; ok {
		return pf
	}
	pf := &parsedFile{display: display}
	f.cache[display] = pf
	data, err := os.ReadFile(display)
	if err != nil {
		return pf
	}
	pf.data = data
	pf.objs, _ = manifest.Parse(data, inventory.Source{Origin: inventory.FromKustomize, File: display, Context: f.dir}, f.popts)
	return pf
}

// place sets the object's Source and Locator from kustomize's origin annotation: the resource file
// and the document in it that the object came from; otherwise the kustomization file.
func (f *originFiles) place(o *inventory.Object, res *resource.Resource, origin *resource.Origin, kfile string) {
	o.Source = inventory.Source{Origin: inventory.FromKustomize, File: kfile, Line: 1, Context: f.dir}
	o.Locator = fixedLocator{inventory.Location{File: kfile, Line: 1}}
	if origin == nil || origin.Repo != "" {
		return
	}
	rel := origin.Path
	if rel == "" {
		rel = origin.ConfiguredIn
	}
	if rel == "" {
		return
	}
	pf := f.get(rel)
	if pf.data == nil {
		return
	}
	o.Source.File = pf.display
	o.Locator = fixedLocator{inventory.Location{File: pf.display, Line: 1}}
	if isKustomizationName(rel) {
		// A generated object (configMapGenerator, …): point at its generator's name, if found.
		if line := generatorLine(pf.data, res); line > 0 {
			o.Source.Line = line
			o.Locator = fixedLocator{inventory.Location{File: pf.display, Line: line}}
		}
		return
	}
	orig := matchOriginal(pf.objs, o)
	if orig == nil {
		return
	}
	o.Source.Line = orig.Source.Line
	o.Locator = &originLocator{orig: orig, data: pf.data, fallback: inventory.Location{File: pf.display, Line: orig.Source.Line}}
}

func isKustomizationName(p string) bool {
	b := filepath.Base(p)
	for _, n := range kustomizationNames {
		if b == n {
			return true
		}
	}
	return false
}

// matchOriginal finds the object of the original file that became o: same kind, and the original
// name is o's name or contained in it (namePrefix/nameSuffix/hash suffixes); the longest such name
// wins. A file holding a single object of the kind matches it whatever the name (renamed by a
// patch or a replacement).
func matchOriginal(objs []*inventory.Object, o *inventory.Object) *inventory.Object {
	var sameKind []*inventory.Object
	for _, c := range objs {
		if c.Kind == o.Kind && c.Group() == o.Group() {
			sameKind = append(sameKind, c)
		}
	}
	var best *inventory.Object
	for _, c := range sameKind {
		if c.Name == o.Name && (c.Namespace == o.Namespace || best == nil) {
			best = c
		}
	}
	if best != nil {
		return best
	}
	for _, c := range sameKind {
		if c.Name != "" && strings.Contains(o.Name, c.Name) && (best == nil || len(c.Name) > len(best.Name)) {
			best = c
		}
	}
	if best == nil && len(sameKind) == 1 {
		best = sameKind[0]
	}
	return best
}

// generatorLine finds the line of `name: <generator name>` in a kustomization for a generated
// object (whose name may carry a prefix and a hash suffix).
func generatorLine(data []byte, res *resource.Resource) int {
	best, bestLen := 0, 0
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
		v, ok := strings.CutPrefix(t, "name:")
		if !ok {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		if v != "" && strings.Contains(res.GetName(), v) && len(v) > bestLen {
			best, bestLen = i+1, len(v)
		}
	}
	return best
}

type fixedLocator struct{ loc inventory.Location }

func (l fixedLocator) Locate(paths []inventory.FieldPath) []inventory.Location {
	out := make([]inventory.Location, len(paths))
	for i := range out {
		out[i] = l.loc
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
