package image

import (
	"context"
	"fmt"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/podspec"
)

// signatures judges the signature of every image when signatures are required. Findings go where
// the image is used: on each workload container whose image field resolved to an image that is
// not verified, at that field. A workload is evaluated when at least one of its containers'
// images was read. An image no workload of the inventory refers to (kube4c image, or workloads
// the scan skipped) is judged itself.
func signatures(ctx context.Context, inv *inventory.Inventory, imgs []imageObject, rec analyzer.Recorder) error {
	byRef := map[string][]imageObject{}
	for _, im := range imgs {
		for _, r := range im.img.Refs {
			byRef[r] = append(byRef[r], im)
		}
	}
	used := map[*inventory.Object]bool{}
	for _, o := range inv.Objects() {
		if err := ctx.Err(); err != nil {
			return err
		}
		t, ok := podspec.Of(o)
		if !ok || podspec.OwnedByWorkload(o) {
			continue
		}
		evaluated := false
		for _, c := range t.Containers() {
			resolved := byRef[c.C.Image]
			if len(resolved) == 0 {
				continue // not read: the source reported why, or images were not scanned
			}
			if !evaluated {
				rec.Evaluated(CtlSignature, o)
				evaluated = true
			}
			var bad *imageObject
			for i := range resolved {
				used[resolved[i].o] = true
				if bad == nil && !verified(resolved[i].img) {
					bad = &resolved[i]
				}
			}
			if bad != nil {
				rec.Fail(finding.New(CtlSignature, o, c.Path.Child("image"),
					fmt.Sprintf("%s %q image %q (%s) %s", c.Kind, c.C.Name, c.C.Image, shortDigest(bad.img.Digest), signatureProblem(bad.img.Signature))))
			}
		}
	}
	for _, im := range imgs {
		if used[im.o] {
			continue
		}
		rec.Evaluated(CtlSignature, im.o)
		if !verified(im.img) {
			rec.Fail(finding.New(CtlSignature, im.o, nil, fmt.Sprintf("the image (%s) %s", shortDigest(im.img.Digest), signatureProblem(im.img.Signature))))
		}
	}
	return nil
}

func verified(img *image.Image) bool {
	return img.Signature != nil && img.Signature.Status == image.SignatureVerified
}

// signatureProblem says why an image is not verified.
func signatureProblem(s *image.Signature) string {
	if s == nil {
		return "was not checked for a signature"
	}
	key := ""
	if s.Key != "" {
		key = " " + s.Key
	}
	var msg string
	switch s.Status {
	case image.SignatureUnsigned:
		msg = "has no signature"
	case image.SignatureInvalid:
		msg = "has no signature that verifies with the key" + key
	case image.SignatureError:
		msg = "could not be checked for a signature"
	default:
		msg = fmt.Sprintf("has signature status %q, not verified", s.Status)
	}
	if s.Detail != "" {
		msg += ": " + s.Detail
	}
	return msg
}
