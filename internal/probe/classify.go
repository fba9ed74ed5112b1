package probe

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// Paths are the GET requests sent to every open endpoint, in this order. Each is read-only on
// every service kube4c knows: version documents, API discovery, the kubelet's pod list, the root
// page.
var Paths = []string{"/version", "/api", "/apis", "/pods", "/"}

// DashboardLoginPath is requested only where "/" served the Kubernetes Dashboard: it answers
// whether the login page can be skipped.
const DashboardLoginPath = "/api/v1/login/skippable"

// classify recognises a response body without keeping its content: the shape, and for some
// shapes a version string, a count of list items or a flag. body is at most the read limit;
// truncated says whether the response was longer. It must never panic, whatever the bytes: the
// endpoints are untrusted (FuzzClassify).
func classify(path string, status int, body []byte, truncated bool) Response {
	r := Response{Path: path, Status: status}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		classifyJSON(&r, trimmed, truncated)
	case status == 403 && bytes.HasPrefix(trimmed, []byte("Forbidden (user=")) && bytes.Contains(trimmed, []byte("resource=nodes")):
		// The kubelet's authorization filter: "Forbidden (user=system:anonymous, verb=get,
		// resource=nodes, subresource=proxy)" (pkg/kubelet/server/server.go, InstallAuthFilter).
		r.Shape = ShapeKubeletForbidden
	case status == 401 && string(trimmed) == "Unauthorized":
		// The same filter when authentication fails: a bare "Unauthorized" (the API server
		// answers a JSON Status instead).
		r.Shape = ShapeUnauthorizedText
	default:
		classifyPage(&r, trimmed)
	}
	return r
}

// jsonFields are the top-level keys classifyJSON looks at; every other value is skipped.
var jsonFields = map[string]bool{
	"kind": true, "major": true, "gitVersion": true, // Kubernetes
	"etcdserver": true,                                                             // etcd
	"ApiVersion": true, "Version": true, "MinAPIVersion": true, "Components": true, // Docker
	"skippable": true, // Kubernetes Dashboard
}

// listFields are the top-level arrays whose items are counted, never kept.
var listFields = map[string]bool{"items": true, "versions": true, "groups": true}

// maxFieldBytes bounds the values kept for interpretation.
const maxFieldBytes = 256

// classifyJSON walks the top-level object token by token, so that a body cut at the read limit
// still yields its kind and the number of list items before the cut.
func classifyJSON(r *Response, body []byte, truncated bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return
	}
	fields := map[string]json.RawMessage{}
	counts := map[string]int{}
	complete := true
walk:
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			complete = false
			break
		}
		if listFields[key] {
			n, ok := countArray(dec)
			counts[key] = n
			if !ok {
				complete = false
				break walk
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			complete = false
			break
		}
		if jsonFields[key] && len(raw) <= maxFieldBytes {
			fields[key] = raw
		}
	}
	if complete {
		if t, err := dec.Token(); err != nil || t != json.Delim('}') {
			complete = false
		}
	}
	str := func(k string) string {
		var s string
		if raw, ok := fields[k]; ok && json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	_, hasMajor := fields["major"]
	list := func(shape Shape, key string) {
		r.Shape, r.Count = shape, counts[key]
		r.CountIsLowerBound = !complete || truncated
	}
	switch kind := str("kind"); {
	case kind == "PodList":
		list(ShapePodList, "items")
	case kind == "APIVersions":
		list(ShapeAPIVersions, "versions")
	case kind == "APIGroupList":
		list(ShapeAPIGroupList, "groups")
	case kind == "Status":
		r.Shape = ShapeStatus
	case hasMajor && str("gitVersion") != "":
		r.Shape, r.Version = ShapeKubernetesVersion, cleanVersion(str("gitVersion"))
	case str("etcdserver") != "":
		r.Shape, r.Version = ShapeEtcdVersion, cleanVersion(str("etcdserver"))
	case str("ApiVersion") != "" && (fields["Version"] != nil || fields["Components"] != nil || fields["MinAPIVersion"] != nil):
		r.Shape = ShapeDockerVersion
		r.Version = cleanVersion(str("Version"))
		if api := cleanVersion(str("ApiVersion")); api != "" {
			r.Version = strings.TrimSpace(r.Version + " (API " + api + ")")
		}
	case r.Path == DashboardLoginPath && fields["skippable"] != nil:
		var b bool
		if json.Unmarshal(fields["skippable"], &b) == nil {
			r.Shape, r.Skippable = ShapeDashboardLogin, b
		}
	}
}

// countArray counts the items of the array that comes next, without keeping them. ok is false
// when the array is not complete (the body was cut) or the value is not an array (then it is
// skipped).
func countArray(dec *json.Decoder) (n int, ok bool) {
	t, err := dec.Token()
	if err != nil {
		return 0, false
	}
	if t != json.Delim('[') {
		return 0, skipValue(dec, t)
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return n, false
		}
		n++
	}
	t, err = dec.Token()
	return n, err == nil && t == json.Delim(']')
}

// skipValue consumes the rest of a value whose first token was first.
func skipValue(dec *json.Decoder, first json.Token) bool {
	d, ok := first.(json.Delim)
	if !ok || (d != '{' && d != '[') {
		return true // a scalar: nothing more to read
	}
	for depth := 1; depth > 0; {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return true
}

// titleRE finds an HTML page's title.
var titleRE = regexp.MustCompile(`(?is)<title[^>]*>\s*([^<]{0,80}?)\s*</title>`)

// pageBytes bounds how much of a page is searched for its title.
const pageBytes = 64 << 10

func classifyPage(r *Response, body []byte) {
	if len(body) > pageBytes {
		body = body[:pageBytes]
	}
	m := titleRE.FindSubmatch(body)
	if m == nil {
		return
	}
	switch strings.ToLower(strings.Join(strings.Fields(string(m[1])), " ")) {
	case "kubernetes dashboard": // modules/web/src/index.html of kubernetes/dashboard (v2 and v7)
		r.Shape = ShapeKubernetesDashboard
	case "headlamp":
		r.Shape = ShapeHeadlamp
	case "weave scope":
		r.Shape = ShapeWeaveScope
	}
}

// identify names the services an endpoint's answers show, in the order of first evidence.
func identify(e *Endpoint) []Service {
	var out []Service
	add := func(n ServiceName, version string) {
		for i := range out {
			if out[i].Name == n {
				if out[i].Version == "" {
					out[i].Version = version
				}
				return
			}
		}
		out = append(out, Service{Name: n, Version: version})
	}
	https := e.Scheme == "https"
	for _, r := range e.Responses {
		switch r.Shape {
		case ShapeDockerVersion:
			add(Docker, r.Version)
		case ShapeEtcdVersion:
			add(Etcd, r.Version)
		case ShapeKubernetesVersion, ShapeAPIVersions, ShapeAPIGroupList, ShapeStatus:
			v := ""
			if r.Shape == ShapeKubernetesVersion {
				v = r.Version
			}
			if https {
				add(APIServer, v)
			} else {
				add(APIPlainHTTP, v)
			}
		case ShapePodList:
			if https {
				add(Kubelet, "")
			} else {
				add(KubeletReadOnly, "")
			}
		case ShapeKubeletForbidden:
			add(Kubelet, "")
		case ShapeUnauthorizedText:
			if https && r.Path == "/pods" {
				add(Kubelet, "")
			}
		case ShapeKubernetesDashboard, ShapeDashboardLogin:
			add(KubernetesDashboard, "")
		case ShapeHeadlamp:
			add(Headlamp, "")
		case ShapeWeaveScope:
			add(WeaveScope, "")
		}
		if v, ok := strings.CutPrefix(r.Server, "Docker/"); ok {
			// Every Docker Engine API response carries "Server: Docker/24.0.7 (linux)".
			v, _, _ = strings.Cut(v, " ")
			add(Docker, cleanVersion(v))
		}
	}
	return out
}

// maxVersion bounds version strings taken from answers.
const maxVersion = 64

// cleanVersion keeps a version string reported by an untrusted server printable and short.
func cleanVersion(s string) string {
	var b strings.Builder
	for _, c := range s {
		if b.Len() >= maxVersion {
			break
		}
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', strings.ContainsRune(".+-_~", c):
			b.WriteRune(c)
		}
	}
	return b.String()
}

// cleanHeader keeps a header value printable and short.
func cleanHeader(s string) string {
	var b strings.Builder
	for _, c := range s {
		if b.Len() >= 80 {
			break
		}
		if c >= 0x20 && c < 0x7f {
			b.WriteRune(c)
		}
	}
	return strings.TrimSpace(b.String())
}
