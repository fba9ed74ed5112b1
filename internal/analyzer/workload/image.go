package workload

import "strings"

// imageRef is a container image reference split into the parts the controls judge.
type imageRef struct {
	registry string // e.g. docker.io, ghcr.io, registry.local:5000
	path     string // repository path without registry, e.g. library/nginx
	tag      string
	digest   string
}

// parseImage splits an image reference the way container runtimes resolve it: the first path
// component is a registry when it contains '.' or ':' or is "localhost"; otherwise the image is on
// Docker Hub, where single-component names live under library/.
func parseImage(s string) imageRef {
	var r imageRef
	name := strings.TrimSpace(s)
	if i := strings.Index(name, "@"); i >= 0 {
		r.digest = name[i+1:]
		name = name[:i]
	}
	// A tag follows the last ':' after the last '/' (a ':' before it is a registry port).
	if i := strings.LastIndex(name, ":"); i >= 0 && i > strings.LastIndex(name, "/") {
		r.tag = name[i+1:]
		name = name[:i]
	}
	first, rest, found := strings.Cut(name, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.registry, r.path = strings.ToLower(first), rest
	} else {
		r.registry, r.path = "docker.io", name
	}
	if r.registry == "index.docker.io" || r.registry == "registry-1.docker.io" {
		r.registry = "docker.io"
	}
	if r.registry == "docker.io" && !strings.Contains(r.path, "/") {
		r.path = "library/" + r.path
	}
	return r
}

// normalizeRegistryPrefix normalises an --allowed-registries entry: "docker.io/library",
// "ghcr.io/acme/", "https://registry.local:5000" → registry[/path] without scheme or trailing slash.
func normalizeRegistryPrefix(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s = strings.TrimRight(s, "/")
	if s == "" {
		return ""
	}
	host, rest, _ := strings.Cut(s, "/")
	host = strings.ToLower(host)
	if host == "index.docker.io" || host == "registry-1.docker.io" {
		host = "docker.io"
	}
	if rest == "" {
		return host
	}
	return host + "/" + rest
}

// allowedBy reports whether the image is under one of the allowed registry prefixes (matching
// whole path components: "ghcr.io/acme" allows ghcr.io/acme/x but not ghcr.io/acme-evil/x).
func (r imageRef) allowedBy(allowed []string) bool {
	full := r.registry + "/" + r.path
	for _, a := range allowed {
		if full == a || strings.HasPrefix(full, a+"/") {
			return true
		}
	}
	return false
}
