package image

import (
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/analyzer"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func deployment(name string, init []string, images ...string) *inventory.Object {
	var cs, ics []corev1.Container
	for i, im := range images {
		cs = append(cs, corev1.Container{Name: "c" + string(rune('0'+i)), Image: im})
	}
	for i, im := range init {
		ics = append(ics, corev1.Container{Name: "init" + string(rune('0'+i)), Image: im})
	}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{InitContainers: ics, Containers: cs}}}}
	return &inventory.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: name, Object: d}
}

func ownedPod(name, img string) *inventory.Object {
	yes := true
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop",
		OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "rs", Controller: &yes}}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: img}}}}
	return &inventory.Object{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: name, Object: p}
}

func signed(name, digestChar string, sig *image.Signature, refs ...string) *inventory.Object {
	return imgObj(&image.Image{Name: name, Refs: refs, Digest: "sha256:" + strings.Repeat(digestChar, 64), Config: image.Config{User: "1"}, Signature: sig})
}

func TestSignatures(t *testing.T) {
	cfg := analyzer.DefaultConfig()
	cfg.RequireSignatures = true
	verified := &image.Signature{Status: image.SignatureVerified, Scheme: "cosign-tag", Key: "cosign.pub"}
	objs := []*inventory.Object{
		deployment("web", []string{"busybox:1.36"}, "ghcr.io/acme/web:1", "ghcr.io/acme/web@sha256:"+strings.Repeat("a", 64)),
		deployment("api", nil, "ghcr.io/acme/api:2", "sidecar:1"),
		deployment("good", nil, "ghcr.io/acme/good:1"),
		deployment("unread", nil, "registry.local/unread:1"),
		ownedPod("web-abc", "ghcr.io/acme/web:1"),
		signed("ghcr.io/acme/web:1", "a", &image.Signature{Status: image.SignatureUnsigned, Key: "cosign.pub"},
			"ghcr.io/acme/web:1", "ghcr.io/acme/web@sha256:"+strings.Repeat("a", 64)),
		signed("busybox:1.36", "b", &image.Signature{Status: image.SignatureInvalid, Key: "cosign.pub", Detail: "signature made with another key"}, "busybox:1.36"),
		signed("ghcr.io/acme/api:2", "c", &image.Signature{Status: image.SignatureError, Detail: "registry unreachable: dial tcp: i/o timeout"}, "ghcr.io/acme/api:2"),
		signed("sidecar:1", "d", verified, "sidecar:1"),
		signed("ghcr.io/acme/good:1", "e", verified, "ghcr.io/acme/good:1"),
		// Named on the command line: no workload refers to them.
		signed("ghcr.io/acme/cli:1", "f", nil),
		signed("ghcr.io/acme/cli-ok:1", "0", verified),
	}
	r := run(t, cfg, objs...)
	eq(t, "findings", r.FailedOf(CtlSignature), []string{
		"Deployment/shop/api spec.template.spec.containers[0].image",
		"Deployment/shop/web spec.template.spec.containers[0].image",
		"Deployment/shop/web spec.template.spec.containers[1].image",
		"Deployment/shop/web spec.template.spec.initContainers[0].image",
		"Image/ghcr.io/acme/cli:1",
	})
	eq(t, "passed", r.PassedOf(CtlSignature), []string{"Deployment/shop/good", "Image/ghcr.io/acme/cli-ok:1"})
	eq(t, "messages", r.Messages(CtlSignature), []string{
		`initContainer "init0" image "busybox:1.36" (sha256:bbbbbbbbbbbb) has no signature that verifies with the key cosign.pub: signature made with another key`,
		`container "c0" image "ghcr.io/acme/web:1" (sha256:aaaaaaaaaaaa) has no signature`,
		`container "c1" image "ghcr.io/acme/web@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" (sha256:aaaaaaaaaaaa) has no signature`,
		`container "c0" image "ghcr.io/acme/api:2" (sha256:cccccccccccc) could not be checked for a signature: registry unreachable: dial tcp: i/o timeout`,
		"the image (sha256:ffffffffffff) was not checked for a signature",
	})
	for _, res := range []string{"Deployment/shop/unread", "Pod/shop/web-abc", "Image/ghcr.io/acme/web:1", "Image/sidecar:1"} {
		if r.WasEvaluated(CtlSignature, res) {
			t.Errorf("%s evaluated for signatures", res)
		}
	}
}

func TestSignaturesNotRequired(t *testing.T) {
	objs := []*inventory.Object{
		deployment("web", nil, "ghcr.io/acme/web:1"),
		signed("ghcr.io/acme/web:1", "a", &image.Signature{Status: image.SignatureUnsigned}, "ghcr.io/acme/web:1"),
	}
	r := run(t, nil, objs...)
	if len(r.Failed(CtlSignature)) > 0 || len(r.Passed(CtlSignature)) > 0 {
		t.Errorf("signature control judged without RequireSignatures: %v %v", r.Failed(CtlSignature), r.Passed(CtlSignature))
	}
}

func TestSignatureStatusUnknown(t *testing.T) {
	if got := signatureProblem(&image.Signature{Status: "weird"}); got != `has signature status "weird", not verified` {
		t.Errorf("signatureProblem = %q", got)
	}
}
