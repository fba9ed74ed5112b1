// Package manifest decodes YAML and JSON Kubernetes manifests into inventory objects, remembering
// for each object the file and line it came from and how to find the line of any of its fields.
//
// Decoding follows what the API server accepts: case-sensitive field names, integers preserved,
// duplicate mapping keys refused. Hostile input (alias bombs, deep nesting) is refused with a
// clear problem, never a crash. Documents of one stream are decoded independently, so one
// malformed document does not hide the others.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/yamlerr"
	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
)

// Options control decoding.
type Options struct {
	// DefaultNamespace is given to namespaced objects without metadata.namespace ("default" if empty).
	DefaultNamespace string
	// QuietNonKubernetes skips documents that are not Kubernetes objects (no apiVersion or kind)
	// without a warning. Directory walks set it: repositories hold plenty of other YAML.
	QuietNonKubernetes bool
}

// Parse decodes a stream of YAML or JSON documents (multi-document YAML, List kinds) into
// inventory objects. src is copied into each object's Source, with Line set to the line where the
// object's document starts. Each object gets a Locator mapping field paths to lines of data.
// Problems name src.File and the line.
func Parse(data []byte, src inventory.Source, opts Options) ([]*inventory.Object, []inventory.Problem) {
	if opts.DefaultNamespace == "" {
		opts.DefaultNamespace = "default"
	}
	p := &parser{src: src, opts: opts}
	for _, d := range splitDocuments(normalizeBreaks(data)) {
		p.document(d)
	}
	return p.objects, p.problems
}

type parser struct {
	src      inventory.Source
	opts     Options
	objects  []*inventory.Object
	problems []inventory.Problem
}

// normalizeBreaks turns lone carriage returns into line feeds. YAML treats a lone CR as a line
// break, so this changes no value, but it makes the parser's line numbers and ours (and an
// editor's) agree. CRLF is left alone.
func normalizeBreaks(data []byte) []byte {
	i := bytes.IndexByte(data, '\r')
	if i < 0 {
		return data
	}
	out := append([]byte(nil), data...)
	for ; i < len(out); i++ {
		if out[i] == '\r' && (i+1 == len(out) || out[i+1] != '\n') {
			out[i] = '\n'
		}
	}
	return out
}

// rawDoc is one document of a stream and the line (1-based) its first byte is on.
type rawDoc struct {
	data []byte
	line int
}

// splitDocuments splits a YAML stream on "---" document markers. Splitting before parsing lets a
// malformed document be reported while the rest of the stream is still read.
func splitDocuments(data []byte) []rawDoc {
	var docs []rawDoc
	start, startLine, line := 0, 1, 1
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		l := data[i:next]
		if isDocMarker(l) {
			if i > start {
				docs = append(docs, rawDoc{data[start:i], startLine})
			}
			// Content after "--- " on the marker line belongs to the next document; keep it by
			// starting the document after the three dashes (blanked, to keep columns).
			start, startLine = i+3, line
		}
		i = next
		line++
	}
	if start < len(data) {
		docs = append(docs, rawDoc{data[start:], startLine})
	}
	return docs
}

func isDocMarker(l []byte) bool {
	if !bytes.HasPrefix(l, []byte("---")) {
		return false
	}
	rest := l[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// absLine rewrites "line N" in a YAML error to the line in the whole file.
func absMessage(msg string, docLine int) (string, int) {
	line := docLine
	msg = strings.TrimPrefix(msg, "yaml: ")
	out := yamlLineRE.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(m[5:])
		if err != nil {
			return m
		}
		line = docLine + n - 1
		return "line " + strconv.Itoa(line)
	})
	return out, line
}

func (p *parser) problem(sev string, line int, resource, msg string) {
	p.problems = append(p.problems, inventory.Problem{Severity: sev, File: p.src.File, Line: line, Resource: resource, Message: msg})
}

func (p *parser) document(d rawDoc) {
	var root yaml.Node
	if err := yaml.Unmarshal(d.data, &root); err != nil {
		n, msg := yamlerr.Position(err, d.data)
		line := d.line
		if n > 0 {
			line = d.line + n - 1
		}
		p.problem("error", line, "", "malformed YAML: "+msg)
		return
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return // empty document or comments only
	}
	top := resolveAlias(root.Content[0])
	if top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null" {
		return
	}
	if top.Kind != yaml.MappingNode {
		if !p.opts.QuietNonKubernetes {
			p.problem("warning", d.line+top.Line-1, "", "document is not a Kubernetes object (not a mapping); skipped")
		}
		return
	}
	loc := &yamlLocator{file: p.src.File, doc: d.data, firstLine: d.line}
	p.object(top, loc, nil, "", d.line+top.Line-1)
}

// object decodes one object node. listAPIVersion/listKind are set for items of typed lists
// (PodList items carry no apiVersion/kind of their own).
func (p *parser) object(n *yaml.Node, loc *yamlLocator, prefix inventory.FieldPath, inferredKind string, line int) {
	apiVersion, kind := scalarField(n, "apiVersion"), scalarField(n, "kind")
	if kind == "" && inferredKind != "" {
		kind = inferredKind
	}
	if apiVersion == "" || kind == "" {
		if !p.opts.QuietNonKubernetes || (apiVersion != "") != (kind != "") {
			p.problem("warning", line, "", "document is not a Kubernetes object (missing apiVersion or kind); skipped")
		}
		return
	}
	if g := schema.FromAPIVersionAndKind(apiVersion, kind).Group; g == "kube4c.io" || strings.HasSuffix(g, ".kube4c.io") {
		return // kube4c's own configuration (e.g. an exceptions file next to the manifests)
	}
	if items := field(n, "items"); items != nil && strings.HasSuffix(kind, "List") {
		items = resolveAlias(items)
		if items.Kind == yaml.SequenceNode {
			itemKind := ""
			if kind != "List" {
				itemKind = strings.TrimSuffix(kind, "List")
			}
			for i, it := range items.Content {
				it = resolveAlias(it)
				if it.Kind != yaml.MappingNode {
					p.problem("error", loc.firstLine+it.Line-1, "", fmt.Sprintf("%s item %d is not an object", kind, i))
					continue
				}
				if itemKind != "" && scalarField(it, "apiVersion") == "" {
					// Typed list items inherit the list's apiVersion.
					it = withField(it, "apiVersion", apiVersion)
				}
				p.object(it, loc, prefix.Child("items", i), itemKind, loc.firstLine+it.Line-1)
			}
			return
		}
	}
	js, err := toJSON(n)
	if err != nil {
		msg, l := err.Error(), line
		var pe *positionedError
		if errors.As(err, &pe) {
			msg, l = absMessage(pe.msg, loc.firstLine)
			msg = strings.TrimPrefix(msg, "line "+strconv.Itoa(l)+": ")
		}
		p.problem("error", l, kind, msg)
		return
	}
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	obj, decodeErr := decode(js, gvk)
	if decodeErr != nil {
		// Keep the object (as unstructured) so it is inventoried, and say which field is wrong.
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			p.problem("error", line, kind, "cannot decode object: "+err.Error())
			return
		}
		obj = u
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		p.problem("error", line, kind, "object has no metadata: "+err.Error())
		return
	}
	o := &inventory.Object{
		APIVersion: apiVersion,
		Kind:       kind,
		Namespace:  m.GetNamespace(),
		Name:       m.GetName(),
		Object:     obj,
		Source:     p.src,
		Locator:    &itemLocator{loc: loc, prefix: prefix},
	}
	o.Source.Line = line
	if o.Name == "" && m.GetGenerateName() != "" {
		o.Name = m.GetGenerateName()
	}
	if o.Namespace == "" && Namespaced(gvk.GroupKind()) {
		o.Namespace = p.opts.DefaultNamespace
		m.SetNamespace(o.Namespace)
	}
	if decodeErr != nil {
		l := line
		if f := fieldOfDecodeError(decodeErr); f != nil {
			l = o.Locate([]inventory.FieldPath{f})[0].Line
		}
		p.problem("error", l, o.Ref(), "invalid "+kind+": "+decodeErr.Error()+"; object kept but not analysed")
	}
	if o.Name == "" {
		p.problem("warning", line, kind, "object has no metadata.name")
	}
	if v1, ok := servedEquivalent[gvk]; ok {
		p.problem("warning", line, o.Ref(), fmt.Sprintf("%s %s is no longer served by Kubernetes; analysed as %s", apiVersion, kind, v1.GroupVersion()))
	}
	p.objects = append(p.objects, o)
}

// servedEquivalent maps removed workload API versions to the served version whose pod template
// has the same shape, so old manifests are still analysed.
var servedEquivalent = map[schema.GroupVersionKind]schema.GroupVersionKind{}

func init() {
	apps := func(k string) schema.GroupVersionKind {
		return schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: k}
	}
	for _, gv := range []string{"extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"} {
		for _, k := range []string{"Deployment", "DaemonSet", "ReplicaSet", "StatefulSet"} {
			g := schema.FromAPIVersionAndKind(gv, k)
			if gv == "extensions/v1beta1" && k == "StatefulSet" {
				continue
			}
			servedEquivalent[g] = apps(k)
		}
	}
	servedEquivalent[schema.FromAPIVersionAndKind("batch/v1beta1", "CronJob")] = schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "CronJob"}
	servedEquivalent[schema.FromAPIVersionAndKind("batch/v2alpha1", "CronJob")] = schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "CronJob"}
}

// decode decodes JSON into the typed object of gvk when client-go's scheme knows it, into
// unstructured otherwise. Decoding is case-sensitive and preserves integers, like the API server.
func decode(js []byte, gvk schema.GroupVersionKind) (runtime.Object, error) {
	target := gvk
	if v1, ok := servedEquivalent[gvk]; ok {
		target = v1
	}
	obj, err := scheme.Scheme.New(target)
	if err != nil {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			return nil, err
		}
		return u, nil
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, obj); err != nil {
		return nil, err
	}
	// Keep the apiVersion the user wrote.
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return obj, nil
}

var fieldRE = regexp.MustCompile(`Go struct field [^ ]*?\.([A-Za-z0-9_.]+) of type`)

// fieldOfDecodeError extracts the JSON field path of a decoding error, if it names one.
func fieldOfDecodeError(err error) inventory.FieldPath {
	m := fieldRE.FindStringSubmatch(err.Error())
	if m == nil {
		return nil
	}
	return inventory.FieldPath(strings.Split(m[1], "."))
}

func field(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalarField(n *yaml.Node, key string) string {
	v := field(n, key)
	if v == nil {
		return ""
	}
	v = resolveAlias(v)
	if v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

// withField returns a shallow copy of mapping n with a string field added.
func withField(n *yaml.Node, key, value string) *yaml.Node {
	c := *n
	c.Content = append([]*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: n.Line},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Line: n.Line},
	}, n.Content...)
	return &c
}
