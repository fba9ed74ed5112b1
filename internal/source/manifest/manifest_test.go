package manifest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kube4c/kube4c/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func parse(t *testing.T, data string) ([]*inventory.Object, []inventory.Problem) {
	t.Helper()
	return Parse([]byte(data), inventory.Source{Origin: inventory.FromFile, File: "m.yaml"}, Options{})
}

const multi = `# leading comment
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
        securityContext:
          privileged: true
      - name: side
        image: busybox
---
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
`

func TestParseMultiDocumentLinesAndTypes(t *testing.T) {
	objs, probs := parse(t, multi)
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	if len(objs) != 3 {
		t.Fatalf("got %d objects, want 3", len(objs))
	}
	want := []struct {
		ref  string
		line int
	}{{"Namespace/shop", 2}, {"Deployment/shop/web", 7}, {"ConfigMap/default/cfg", 24}}
	for i, w := range want {
		if objs[i].Ref() != w.ref || objs[i].Source.Line != w.line {
			t.Errorf("object %d = %s at line %d, want %s at %d", i, objs[i].Ref(), objs[i].Source.Line, w.ref, w.line)
		}
	}
	d, ok := objs[1].Object.(*appsv1.Deployment)
	if !ok {
		t.Fatalf("deployment decoded as %T", objs[1].Object)
	}
	if p := d.Spec.Template.Spec.Containers[0].SecurityContext.Privileged; p == nil || !*p {
		t.Fatal("privileged not decoded")
	}
	locs := objs[1].Locate([]inventory.FieldPath{
		inventory.Path("spec", "template", "spec", "containers", 0, "securityContext", "privileged"),
		inventory.Path("spec", "template", "spec", "containers", 1, "securityContext", "runAsNonRoot"), // missing: nearest parent
		inventory.Path("spec", "template", "spec", "containers", 1, "image"),
		inventory.Path("metadata", "name"),
	})
	for i, w := range []int{19, 20, 21, 10} {
		if locs[i].Line != w || locs[i].File != "m.yaml" {
			t.Errorf("path %d located at %s:%d, want m.yaml:%d", i, locs[i].File, locs[i].Line, w)
		}
	}
}

func TestMalformedDocumentDoesNotHideOthers(t *testing.T) {
	objs, probs := parse(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: [\n  name: b\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: c\n")
	if len(objs) != 2 || objs[0].Name != "a" || objs[1].Name != "c" {
		t.Fatalf("objects: %v", refs(objs))
	}
	if len(probs) != 1 || probs[0].Severity != "error" || probs[0].Line < 6 || probs[0].Line > 10 {
		t.Fatalf("problems: %+v", probs)
	}
}

func TestDuplicateKeysRefused(t *testing.T) {
	_, probs := parse(t, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: true\n  hostNetwork: false\n")
	if len(probs) != 1 || probs[0].Line != 7 || !strings.Contains(probs[0].Message, "already defined") {
		t.Fatalf("problems: %+v", probs)
	}
}

func TestLists(t *testing.T) {
	objs, probs := parse(t, `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: sa, namespace: x}
- apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    containers:
    - name: c
      image: nginx
`)
	if len(probs) != 0 || len(objs) != 2 {
		t.Fatalf("objs %v problems %v", refs(objs), probs)
	}
	if objs[1].Source.Line != 7 {
		t.Errorf("pod line %d, want 7", objs[1].Source.Line)
	}
	if l := objs[1].Locate([]inventory.FieldPath{inventory.Path("spec", "containers", 0, "image")})[0].Line; l != 14 {
		t.Errorf("image at line %d, want 14", l)
	}
	objs, probs = parse(t, "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n  spec: {containers: [{name: c, image: x}]}\n")
	if len(probs) != 0 || len(objs) != 1 {
		t.Fatalf("PodList: objs %v problems %v", refs(objs), probs)
	}
	if _, ok := objs[0].Object.(*corev1.Pod); !ok || objs[0].Kind != "Pod" {
		t.Fatalf("PodList item is %s %T", objs[0].Kind, objs[0].Object)
	}
}

func TestJSONAndUnknownKinds(t *testing.T) {
	objs, probs := parse(t, `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":3}}`)
	if len(probs) != 0 || len(objs) != 1 {
		t.Fatalf("objs %v problems %v", refs(objs), probs)
	}
	u, ok := objs[0].Object.(*unstructured.Unstructured)
	if !ok {
		t.Fatalf("custom resource decoded as %T", objs[0].Object)
	}
	if v, _, _ := unstructured.NestedInt64(u.Object, "spec", "size"); v != 3 {
		t.Errorf("size = %v", v)
	}
	if objs[0].Namespace != "default" {
		t.Errorf("custom resource namespace %q, want default", objs[0].Namespace)
	}
}

func TestClusterScopedKeepsNoNamespace(t *testing.T) {
	objs, _ := Parse([]byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"),
		inventory.Source{File: "f"}, Options{DefaultNamespace: "team"})
	if objs[0].Namespace != "" || objs[1].Namespace != "team" {
		t.Fatalf("namespaces: %q %q", objs[0].Namespace, objs[1].Namespace)
	}
	if objs[1].Meta().GetNamespace() != "team" {
		t.Fatal("defaulted namespace not set on the object")
	}
}

func TestInvalidFieldTypeNamesLine(t *testing.T) {
	objs, probs := parse(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: many\n")
	if len(objs) != 1 {
		t.Fatalf("object not kept: %v", probs)
	}
	if _, ok := objs[0].Object.(*unstructured.Unstructured); !ok {
		t.Errorf("invalid object should be kept unstructured (not analysed), got %T", objs[0].Object)
	}
	if len(probs) != 1 || probs[0].Line != 6 || !strings.Contains(probs[0].Message, "replicas") {
		t.Fatalf("problems: %+v", probs)
	}
}

func TestMergeKeysAndAnchors(t *testing.T) {
	objs, probs := parse(t, `apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: &l {app: a}
  annotations:
    <<: *l
    extra: "1"
spec:
  containers:
  - &c {name: one, image: "nginx:1.27"}
  - <<: *c
    name: two
`)
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	pod := objs[0].Object.(*corev1.Pod)
	if pod.Annotations["app"] != "a" || pod.Annotations["extra"] != "1" {
		t.Errorf("annotations %v", pod.Annotations)
	}
	if c := pod.Spec.Containers[1]; c.Name != "two" || c.Image != "nginx:1.27" {
		t.Errorf("merged container %+v", c)
	}
}

func TestHostileDocumentsRefused(t *testing.T) {
	// Billion laughs: 9 levels of 9 aliases.
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nl0: &a0 [\"lol\"]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "l%d: &a%d [", i, i)
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	_, probs := parse(t, b.String())
	if len(probs) != 1 || !strings.Contains(probs[0].Message, "alias") {
		t.Fatalf("alias bomb: %+v", probs)
	}
	deep := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"
	_, probs = parse(t, deep)
	if len(probs) != 1 || probs[0].Severity != "error" {
		t.Fatalf("deep nesting: %+v", probs)
	}
}

func TestDeprecatedWorkloadVersionsAnalysed(t *testing.T) {
	objs, probs := parse(t, "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: x, securityContext: {privileged: true}}]\n")
	if len(objs) != 1 {
		t.Fatal(probs)
	}
	if _, ok := objs[0].Object.(*appsv1.Deployment); !ok {
		t.Fatalf("decoded as %T", objs[0].Object)
	}
	if objs[0].APIVersion != "extensions/v1beta1" || len(probs) != 1 || probs[0].Severity != "warning" {
		t.Fatalf("apiVersion %s problems %+v", objs[0].APIVersion, probs)
	}
}

func TestNonKubernetesYAML(t *testing.T) {
	objs, probs := Parse([]byte("name: ci\non: [push]\n"), inventory.Source{File: "ci.yaml"}, Options{QuietNonKubernetes: true})
	if len(objs) != 0 || len(probs) != 0 {
		t.Fatalf("quiet: %v %v", refs(objs), probs)
	}
	_, probs = parse(t, "name: ci\n")
	if len(probs) != 1 || probs[0].Severity != "warning" {
		t.Fatalf("explicit: %+v", probs)
	}
}

func TestOwnConfigurationIsNotInventoried(t *testing.T) {
	objs, probs := parse(t, "apiVersion: kube4c.io/v1alpha1\nkind: Exceptions\nexceptions: []\n")
	if len(objs) != 0 || len(probs) != 0 {
		t.Fatalf("objects %v problems %v", refs(objs), probs)
	}
}

func TestScalarConversion(t *testing.T) {
	objs, probs := parse(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    date: \"2024-01-01\"\ndata:\n  when: 2024-01-01\n  n: \"0x10\"\n")
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	cm := objs[0].Object.(*corev1.ConfigMap)
	if cm.Data["when"] != "2024-01-01" || cm.Data["n"] != "0x10" {
		t.Errorf("data %v", cm.Data)
	}
}

func refs(objs []*inventory.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Ref())
	}
	return out
}
