package probe

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// Bodies as the real services send them (status, path, body). Sources: etcd 3.4 and kube-apiserver
// 1.37 as run by internal/testenv; the kubelet's pkg/kubelet/server/server.go; the Docker Engine
// API reference (SystemVersion); kubernetes/dashboard modules/web/src/index.html and its auth
// API.
const (
	etcdVersion    = `{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`
	k8sVersion     = `{"major":"1","minor":"37","emulationMajor":"1","emulationMinor":"37","minCompatibilityMajor":"1","minCompatibilityMinor":"36","gitVersion":"v1.37.2","gitCommit":"","gitTreeState":"clean","buildDate":"2026-10-27T12:01:04Z","goVersion":"go1.26.8","compiler":"gc","platform":"linux/amd64"}`
	status403      = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \"system:anonymous\" cannot get path \"/api\"","reason":"Forbidden","details":{},"code":403}`
	status401      = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`
	apiVersions    = `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]}`
	apiGroupList   = `{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}]},{"name":"batch","versions":[{"groupVersion":"batch/v1","version":"v1"}]}]}`
	podList        = `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"a"},"spec":{"containers":[{"name":"c","env":[{"name":"PASSWORD","value":"hunter2"}]}]}},{"metadata":{"name":"b"}}]}`
	kubelet403     = `Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource=proxy)`
	dockerVersion  = `{"Platform":{"Name":"Docker Engine - Community"},"Components":[{"Name":"Engine","Version":"24.0.7"}],"Version":"24.0.7","ApiVersion":"1.43","MinAPIVersion":"1.12","GitCommit":"311b9ff","GoVersion":"go1.20.10","Os":"linux","Arch":"amd64"}`
	docker404      = `{"message":"page not found"}`
	dashboardPage  = "<!doctype html>\n<html>\n  <head>\n    <meta charset=\"utf-8\" />\n    <title>Kubernetes Dashboard</title>\n  </head>\n  <body><kd-root></kd-root></body>\n</html>\n"
	headlampPage   = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><title>Headlamp</title></head><body><div id="root"></div></body></html>`
	weaveScopePage = "<!doctype html>\n<html class=\"no-js\">\n  <head>\n    <meta charset=\"utf-8\">\n    <title>Weave Scope</title>\n"
	notFound       = "404 page not found\n"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name      string
		path      string
		status    int
		body      string
		truncated bool
		want      Response
	}{
		{"etcd version", "/version", 200, etcdVersion, false, Response{Shape: ShapeEtcdVersion, Version: "3.4.23"}},
		{"kubernetes version", "/version", 200, k8sVersion, false, Response{Shape: ShapeKubernetesVersion, Version: "v1.37.2"}},
		{"status 403", "/api", 403, status403, false, Response{Shape: ShapeStatus}},
		{"status 401", "/api", 401, status401, false, Response{Shape: ShapeStatus}},
		{"APIVersions", "/api", 200, apiVersions, false, Response{Shape: ShapeAPIVersions, Count: 1}},
		{"APIGroupList", "/apis", 200, apiGroupList, false, Response{Shape: ShapeAPIGroupList, Count: 2}},
		{"PodList", "/pods", 200, podList, false, Response{Shape: ShapePodList, Count: 2}},
		{"PodList cut at the read limit", "/pods", 200, podList[:strings.Index(podList, `{"metadata":{"name":"b"`)+5], true, Response{Shape: ShapePodList, Count: 1, CountIsLowerBound: true}},
		{"PodList cut inside an item", "/pods", 200, podList[:60], true, Response{Shape: ShapePodList, Count: 0, CountIsLowerBound: true}},
		{"kubelet 403", "/pods", 403, kubelet403, false, Response{Shape: ShapeKubeletForbidden}},
		{"kubelet 401", "/pods", 401, "Unauthorized", false, Response{Shape: ShapeUnauthorizedText}},
		{"kube-rbac-proxy 401 (http.Error adds a newline)", "/pods", 401, "Unauthorized\n", false, Response{Shape: ShapeUnauthorizedText}},
		{"Unauthorized text with 200 is nothing", "/pods", 200, "Unauthorized", false, Response{}},
		{"docker version", "/version", 200, dockerVersion, false, Response{Shape: ShapeDockerVersion, Version: "24.0.7 (API 1.43)"}},
		{"docker 404", "/api", 404, docker404, false, Response{}},
		{"dashboard page", "/", 200, dashboardPage, false, Response{Shape: ShapeKubernetesDashboard}},
		{"dashboard login skippable", DashboardLoginPath, 200, `{"skippable":true}`, false, Response{Shape: ShapeDashboardLogin, Skippable: true}},
		{"dashboard login not skippable", DashboardLoginPath, 200, `{"skippable": false}`, false, Response{Shape: ShapeDashboardLogin}},
		{"skippable elsewhere is nothing", "/version", 200, `{"skippable":true}`, false, Response{}},
		{"headlamp page", "/", 200, headlampPage, false, Response{Shape: ShapeHeadlamp}},
		{"weave scope page", "/", 200, weaveScopePage, false, Response{Shape: ShapeWeaveScope}},
		{"title spread over lines", "/", 200, "<TITLE id=x>\n Kubernetes\n  Dashboard </TITLE>", false, Response{Shape: ShapeKubernetesDashboard}},
		{"other page", "/", 200, "<html><title>Welcome to nginx!</title></html>", false, Response{}},
		{"404 text", "/api", 404, notFound, false, Response{}},
		{"empty", "/", 200, "", false, Response{}},
		{"JSON array", "/", 200, `[1,2,3]`, false, Response{}},
		{"broken JSON", "/version", 200, `{"gitVersion":"v1`, true, Response{}},
		{"version with junk", "/version", 200, `{"major":"1","gitVersion":"v1.30.0\u001b[31m<script>"}`, false, Response{Shape: ShapeKubernetesVersion, Version: "v1.30.031mscript"}},
		{"items that are not an array", "/pods", 200, `{"kind":"PodList","items":{"a":[1,{"b":2}]}}`, false, Response{Shape: ShapePodList}},
		{"kind after a long list", "/pods", 200, `{"items":[{},{},{}],"kind":"PodList"}`, false, Response{Shape: ShapePodList, Count: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := classify(tc.path, tc.status, []byte(tc.body), tc.truncated)
			tc.want.Path, tc.want.Status = tc.path, tc.status
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("classify = %+v\nwant       %+v", got, tc.want)
			}
		})
	}
}

func TestIdentify(t *testing.T) {
	r := func(path string, status int, shape Shape, version string) Response {
		return Response{Path: path, Status: status, Shape: shape, Version: version}
	}
	for _, tc := range []struct {
		name   string
		scheme string
		rs     []Response
		want   []Service
	}{
		{"etcd", "http", []Response{r("/version", 200, ShapeEtcdVersion, "3.4.23")}, []Service{{Etcd, "3.4.23"}}},
		{"api server", "https", []Response{r("/version", 200, ShapeKubernetesVersion, "v1.37.2"), r("/api", 403, ShapeStatus, "")}, []Service{{APIServer, "v1.37.2"}}},
		{"api server without anonymous auth", "https", []Response{r("/version", 401, ShapeStatus, "")}, []Service{{APIServer, ""}}},
		{"kubectl proxy", "http", []Response{r("/version", 200, ShapeKubernetesVersion, "v1.37.2"), r("/api", 200, ShapeAPIVersions, "")}, []Service{{APIPlainHTTP, "v1.37.2"}}},
		{"kubelet", "https", []Response{r("/version", 404, "", ""), r("/pods", 200, ShapePodList, "")}, []Service{{Kubelet, ""}}},
		{"kubelet webhook", "https", []Response{r("/pods", 403, ShapeKubeletForbidden, "")}, []Service{{Kubelet, ""}}},
		{"kubelet anonymous off", "https", []Response{r("/version", 401, ShapeUnauthorizedText, ""), r("/pods", 401, ShapeUnauthorizedText, "")}, []Service{{Kubelet, ""}}},
		{"plain-text 401 over HTTP is unknown", "http", []Response{r("/pods", 401, ShapeUnauthorizedText, "")}, nil},
		{"read-only kubelet", "http", []Response{r("/pods", 200, ShapePodList, "")}, []Service{{KubeletReadOnly, ""}}},
		{"docker by its body and header", "http", []Response{{Path: "/version", Status: 200, Shape: ShapeDockerVersion, Version: "24.0.7 (API 1.43)", Server: "Docker/24.0.7 (linux)"}}, []Service{{Docker, "24.0.7 (API 1.43)"}}},
		{"docker by its header only", "http", []Response{{Path: "/version", Status: 403, Server: "Docker/25.0.1 (linux)"}}, []Service{{Docker, "25.0.1"}}},
		{"dashboard", "https", []Response{r("/", 200, ShapeKubernetesDashboard, ""), r(DashboardLoginPath, 200, ShapeDashboardLogin, "")}, []Service{{KubernetesDashboard, ""}}},
		{"nothing", "http", []Response{r("/", 200, "", "")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := identify(&Endpoint{Scheme: tc.scheme, Responses: tc.rs})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("identify = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDeepCopy(t *testing.T) {
	e := &Endpoint{Host: "::1", Port: 2379, Connection: Open, TLS: &TLSResult{Handshake: true},
		Responses: []Response{{Path: "/version", Status: 200}}, Services: []Service{{Name: Etcd, Version: "3.4.23"}}}
	e.APIVersion, e.Kind = APIVersion, Kind
	c := e.DeepCopyObject().(*Endpoint)
	if !reflect.DeepEqual(c, e) {
		t.Fatalf("copy %+v differs from %+v", c, e)
	}
	c.TLS.Handshake, c.Responses[0].Status, c.Services[0].Version = false, 500, "x"
	if !e.TLS.Handshake || e.Responses[0].Status != 200 || e.Services[0].Version != "3.4.23" {
		t.Error("the copy shares memory with the original")
	}
	if gvk := c.GetObjectKind().GroupVersionKind(); gvk.Group != Group || gvk.Kind != Kind {
		t.Errorf("GroupVersionKind = %v", gvk)
	}
	if e.Name() != "[::1]:2379" || e.URL("/x") != "http://[::1]:2379/x" {
		t.Errorf("Name %q, URL %q", e.Name(), e.URL("/x"))
	}
}

// FuzzClassify feeds arbitrary responses to the parser of untrusted answers: it must not panic,
// must be deterministic, and must keep nothing of the body but a bounded shape, version and count.
func FuzzClassify(f *testing.F) {
	for _, s := range []struct {
		path   string
		status int
		body   string
	}{
		{"/version", 200, etcdVersion}, {"/version", 200, k8sVersion}, {"/api", 403, status403}, {"/api", 401, status401},
		{"/api", 200, apiVersions}, {"/apis", 200, apiGroupList}, {"/pods", 200, podList}, {"/pods", 200, podList[:70]},
		{"/pods", 403, kubelet403}, {"/pods", 401, "Unauthorized"}, {"/version", 200, dockerVersion}, {"/", 404, docker404},
		{"/", 200, dashboardPage}, {DashboardLoginPath, 200, `{"skippable":true}`}, {"/", 200, headlampPage},
		{"/", 200, weaveScopePage}, {"/", 404, notFound}, {"/pods", 200, `{"items":[[[[[[[[]]]]]]]],"kind":"PodList"}`},
	} {
		f.Add(s.path, s.status, []byte(s.body), false)
	}
	f.Fuzz(func(t *testing.T, path string, status int, body []byte, truncated bool) {
		r := classify(path, status, body, truncated)
		if again := classify(path, status, body, truncated); !reflect.DeepEqual(r, again) {
			t.Fatalf("not deterministic: %+v then %+v", r, again)
		}
		if r.Path != path || r.Status != status || r.Count < 0 || r.Error != "" || r.Server != "" {
			t.Fatalf("classify = %+v", r)
		}
		if len(r.Version) > 2*maxVersion+len(" (API )") {
			t.Fatalf("version of %d bytes", len(r.Version))
		}
		for _, c := range r.Version {
			if !unicode.IsPrint(c) || c > unicode.MaxASCII {
				t.Fatalf("version %q has %q", r.Version, c)
			}
		}
		if r.Shape == "" && (r.Version != "" || r.Count != 0 || r.Skippable || r.CountIsLowerBound) {
			t.Fatalf("facts without a shape: %+v", r)
		}
		if truncated && (r.Shape == ShapePodList || r.Shape == ShapeAPIVersions || r.Shape == ShapeAPIGroupList) && !r.CountIsLowerBound {
			t.Fatalf("count of a cut body is exact: %+v", r)
		}
		// Nothing of the body is kept but what the fields above bound.
		r.Path = ""
		if b, _ := json.Marshal(r); len(b) > 400 {
			t.Fatalf("response keeps %d bytes: %s", len(b), b)
		}
	})
}
