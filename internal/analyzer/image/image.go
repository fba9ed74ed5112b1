// Package image analyzes container images (image.Image objects in the inventory): the packages
// and their advisories (vuln.go), the user, credentials in the configuration and in the layers,
// setuid files (config.go), the distribution's end of life (eol.go), shells in images presented
// as minimal (minimal.go) and signatures (signature.go). It does not know which source read the
// images: `kube4c image`, `kube4c scan --images` and tests all hand it image.Image objects, and
// workloads refer to them by the strings of their containers' image fields (Image.Refs).
//
// Each control records Evaluated for every image it judges; a control that cannot judge an
// image (no vulnerability database, a distribution the end-of-life table does not know, an image
// that does not claim to be minimal) records nothing for it.
package image

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Control IDs owned by this analyzer.
const (
	CtlVulnerable   = "container/image-vulnerable-package"
	CtlRunsAsRoot   = "container/image-runs-as-root"
	CtlSecretConfig = "container/image-secret-in-config"
	CtlSecretLayer  = "container/image-secret-in-layer"
	CtlSetuid       = "container/image-setuid-binaries"
	CtlEOL          = "container/image-eol-distribution"
	CtlMinimalShell = "container/image-minimal-has-shell"
	CtlSignature    = "container/image-signature"
)

type imageAnalyzer struct {
	// now is the clock of the end-of-life control (time.Now when nil).
	now func() time.Time
}

// New returns the image analyzer.
func New() analyzer.Analyzer { return imageAnalyzer{now: time.Now} }

func (imageAnalyzer) Name() string { return "image" }

func (imageAnalyzer) Controls() []string {
	ids := []string{CtlVulnerable, CtlRunsAsRoot, CtlSecretConfig, CtlSecretLayer, CtlSetuid, CtlEOL, CtlMinimalShell, CtlSignature}
	sort.Strings(ids)
	return ids
}

var _ analyzer.KindNeeds = imageAnalyzer{}

// Needs says which kinds each control reads: every control reads images; the signature control
// also reads the workloads, whose container image fields get its findings.
func (a imageAnalyzer) Needs() map[string][]schema.GroupKind {
	gk := imageGroupKind()
	out := map[string][]schema.GroupKind{}
	for _, id := range a.Controls() {
		out[id] = []schema.GroupKind{gk}
	}
	out[CtlSignature] = append([]schema.GroupKind{gk}, analyzer.WorkloadKinds...)
	return out
}

func imageGroupKind() schema.GroupKind {
	return schema.FromAPIVersionAndKind(image.APIVersion, image.Kind).GroupKind()
}

// imageObject is an inventory object holding an image.
type imageObject struct {
	o   *inventory.Object
	img *image.Image
}

// images returns the image objects of the inventory, in inventory order.
func images(inv *inventory.Inventory) []imageObject {
	gk := imageGroupKind()
	var out []imageObject
	for _, o := range inv.OfKind(gk.Group, gk.Kind) {
		if img, ok := o.Object.(*image.Image); ok && img != nil {
			out = append(out, imageObject{o: o, img: img})
		}
	}
	return out
}

func (a imageAnalyzer) Analyze(ctx context.Context, inv *inventory.Inventory, cfg *analyzer.Config, rec analyzer.Recorder) error {
	now := time.Now
	if a.now != nil {
		now = a.now
	}
	today := now()
	imgs := images(inv)
	for _, im := range imgs {
		if err := ctx.Err(); err != nil {
			return err
		}
		j := judge{o: im.o, img: im.img, rec: rec}
		if cfg.Vulns != nil {
			if err := j.vulnerabilities(cfg.Vulns, cfg.IgnoreUnfixed); err != nil {
				return err
			}
		}
		j.runsAsRoot()
		j.secretsInConfig()
		j.secretsInLayers()
		j.setuid()
		j.eol(today)
		j.minimalShell()
	}
	if cfg.RequireSignatures {
		return signatures(ctx, inv, imgs, rec)
	}
	return nil
}

// judge judges one image.
type judge struct {
	o   *inventory.Object
	img *image.Image
	rec analyzer.Recorder
}

func (j judge) eval(control string) { j.rec.Evaluated(control, j.o) }

func (j judge) fail(control string, p inventory.FieldPath, format string, args ...any) {
	j.rec.Fail(finding.New(control, j.o, p, fmt.Sprintf(format, args...)))
}

// shortDigest abbreviates sha256:0123456789abcdef... to sha256:0123456789ab.
func shortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return algo + ":" + hex[:12]
}

// layerName describes a layer for messages: "layer 3/7 (sha256:0123456789ab)".
func (j judge) layerName(digest string) string {
	if digest == "" {
		return "an unknown layer"
	}
	if i := j.img.LayerIndex(digest); i >= 0 {
		return fmt.Sprintf("layer %d/%d (%s)", i+1, len(j.img.Layers), shortDigest(digest))
	}
	return "layer " + shortDigest(digest)
}

// list joins up to max items, then "and N more".
func list(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:max], ", ") + fmt.Sprintf(" and %d more", len(items)-max)
}
