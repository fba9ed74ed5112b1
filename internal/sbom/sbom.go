// Package sbom writes software bills of materials of an image or a directory: CycloneDX 1.6 JSON
// (WriteCycloneDX) and SPDX 2.3 JSON (WriteSPDX), from the packages internal/packages records.
//
// Both documents describe one subject (the image or the directory: the root component or package)
// that directly contains the distribution (when there is one) and every package: the dependency
// graph is flat, as package extraction does not know which package depends on which. Packages are
// written in a fixed order (ecosystem, name, version, location, then the remaining fields), so the
// only parts of two SBOMs of the same subject that differ are the timestamp and the document's
// UUID (see Options). docs/sbom.md describes the mapping.
package sbom

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/uuid"
	"github.com/kube4c/kube4c/internal/image"
	"github.com/kube4c/kube4c/internal/packages"
	"github.com/package-url/packageurl-go"
)

// Kind is what an SBOM describes.
type Kind string

// Subject kinds.
const (
	KindImage     Kind = "image"
	KindDirectory Kind = "directory"
)

// Subject is the thing an SBOM describes.
type Subject struct {
	Kind Kind
	// Name is the image reference as the user wrote it ("nginx:1.27"), the archive or OCI layout
	// path of an image read from disk, or the scanned directory.
	Name string
	// Digest is the image manifest digest (sha256:...); empty for directories.
	Digest string
	// Platform is os/arch[/variant] of the image.
	Platform string
	// Repository is the registry repository the image was read from ("docker.io/library/nginx")
	// and Tag its tag ("1.27"): the image's package URL carries them as repository_url and tag.
	// Both are empty for images read from an archive or an OCI layout, and for directories.
	Repository string
	Tag        string
	// OS is the distribution; nil when there is none (scratch, distroless static, most
	// directories).
	OS *image.OSRelease
	// Layers are the image's layers, to give each package's layer its DiffID as well.
	Layers []image.Layer
}

// ImageSubject returns the subject of an image read from a registry: img.Name is the reference it
// was pulled by, and its repository and tag go into the image's package URL. A Name that is not a
// valid reference leaves them empty.
func ImageSubject(img *image.Image) Subject {
	s := ImageArchiveSubject(img)
	s.Repository, s.Tag = parseReference(img.Name)
	return s
}

// ImageArchiveSubject returns the subject of an image read from a docker archive or an OCI layout
// (img.Name is a path): its package URL has no repository_url or tag.
func ImageArchiveSubject(img *image.Image) Subject {
	return Subject{
		Kind:     KindImage,
		Name:     img.Name,
		Digest:   img.Digest,
		Platform: img.Platform,
		OS:       img.OS,
		Layers:   img.Layers,
	}
}

// DirectorySubject returns the subject of a scanned directory; packages found in it have
// Locations relative to it.
func DirectorySubject(dir string) Subject {
	return Subject{Kind: KindDirectory, Name: dir}
}

// Options are the document-level settings of an SBOM.
type Options struct {
	// ToolName and ToolVersion name the generating tool (CycloneDX metadata.tools, SPDX creator
	// "Tool: name-version"). ToolName defaults to "kube4c"; an empty version is left out.
	ToolName    string
	ToolVersion string
	// Now is the creation time; zero means time.Now(). It is written in UTC, to the second.
	Now time.Time
	// UUID identifies the document: the CycloneDX serialNumber (urn:uuid:UUID) and the end of the
	// SPDX documentNamespace. Empty means a new random (version 4) UUID, as both specifications
	// want every document to have its own; set it (with Now) for reproducible output.
	UUID string
}

// resolved are Options with their defaults applied.
type resolved struct {
	toolName, toolVersion string
	created               string // RFC 3339, UTC, seconds
	uuid                  string
}

func (o Options) resolve() (resolved, error) {
	r := resolved{toolName: cmp.Or(o.ToolName, "kube4c"), toolVersion: o.ToolVersion}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	r.created = now.UTC().Truncate(time.Second).Format(time.RFC3339)
	if o.UUID == "" {
		u, err := uuid.NewRandom()
		if err != nil {
			return r, fmt.Errorf("sbom: document UUID: %w", err)
		}
		r.uuid = u.String()
	} else {
		u, err := uuid.Parse(o.UUID)
		if err != nil {
			return r, fmt.Errorf("sbom: Options.UUID %q: %w", o.UUID, err)
		}
		r.uuid = u.String()
	}
	return r, nil
}

func (s Subject) validate() error {
	switch s.Kind {
	case KindImage, KindDirectory:
		return nil
	default:
		return fmt.Errorf("sbom: subject kind %q: want %q or %q", s.Kind, KindImage, KindDirectory)
	}
}

// displayName is the subject's name, never empty.
func (s Subject) displayName() string {
	return cmp.Or(s.Name, s.Digest, string(s.Kind))
}

// parseReference returns the repository (with docker.io for Docker Hub, as the purl
// specification's examples write it) and the tag of an image reference; empty when ref does not
// parse.
func parseReference(ref string) (repository, tag string) {
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return "", ""
	}
	repo := r.Context()
	registry := repo.RegistryStr()
	if registry == name.DefaultRegistry {
		registry = "docker.io"
	}
	repository = registry + "/" + repo.RepositoryStr()
	switch r := r.(type) {
	case name.Tag:
		tag = r.TagStr()
	case name.Digest:
		// "repo:tag@sha256:..." parses as a digest reference; keep the tag the user wrote.
		base, _, _ := strings.Cut(ref, "@")
		if strings.LastIndex(base, ":") > strings.LastIndex(base, "/") {
			if t, err := name.NewTag(base, name.WeakValidation); err == nil {
				tag = t.TagStr()
			}
		}
	}
	return repository, tag
}

// imagePURL is the image's package URL (purl type oci): the name is the last segment of the
// repository (or the archive's file name without extension), lower-cased; the version is the
// manifest digest; qualifiers arch, repository_url and tag when known.
func (s Subject) imagePURL() string {
	var pname string
	if s.Repository != "" {
		pname = path.Base(s.Repository)
	} else {
		base := path.Base(strings.ReplaceAll(s.Name, `\`, "/"))
		for _, ext := range []string{".tar.gz", ".tgz", ".tar"} {
			if b, ok := strings.CutSuffix(base, ext); ok {
				base = b
				break
			}
		}
		// A name that is a reference but no valid one ("Org/App:v1"): drop digest and tag.
		base, _, _ = strings.Cut(base, "@")
		base, _, _ = strings.Cut(base, ":")
		pname = base
	}
	pname = strings.ToLower(pname)
	if pname == "" || pname == "." || pname == "/" {
		pname = "image"
	}
	var q packageurl.Qualifiers
	if _, arch, ok := strings.Cut(s.Platform, "/"); ok {
		arch, _, _ = strings.Cut(arch, "/")
		q = append(q, packageurl.Qualifier{Key: "arch", Value: arch})
	}
	if s.Repository != "" {
		q = append(q, packageurl.Qualifier{Key: "repository_url", Value: s.Repository})
	}
	if s.Tag != "" {
		q = append(q, packageurl.Qualifier{Key: "tag", Value: s.Tag})
	}
	return packageurl.NewPackageURL("oci", "", pname, s.Digest, q, "").ToString()
}

// diffIDs maps layer digests to their DiffIDs.
func (s Subject) diffIDs() map[string]string {
	m := make(map[string]string, len(s.Layers))
	for _, l := range s.Layers {
		if l.DiffID != "" {
			m[l.Digest] = l.DiffID
		}
	}
	return m
}

// sortPackages returns a sorted copy of pkgs: by ecosystem, name, version and location, then by
// every other field, so that the order does not depend on the order of the input.
func sortPackages(pkgs []packages.Package) []packages.Package {
	out := slices.Clone(pkgs)
	slices.SortStableFunc(out, func(a, b packages.Package) int {
		return cmp.Or(
			cmp.Compare(a.Ecosystem, b.Ecosystem),
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.Location, b.Location),
			cmp.Compare(a.Type, b.Type),
			cmp.Compare(a.PURL, b.PURL),
			cmp.Compare(a.Layer, b.Layer),
			cmp.Compare(a.SourceName, b.SourceName),
			slices.Compare(a.Licenses, b.Licenses),
		)
	})
	return out
}

// sourceDescription says where a package was found, for SPDX sourceInfo.
func sourceDescription(p packages.Package) string {
	var b strings.Builder
	b.WriteString("found by kube4c")
	if p.Type != "" {
		b.WriteString(" (" + p.Type + ")")
	}
	if p.Location != "" {
		b.WriteString(" in " + p.Location)
	}
	if p.Layer != "" {
		b.WriteString(", layer " + p.Layer)
	}
	if p.SourceName != "" {
		b.WriteString("; source package " + p.SourceName)
	}
	return b.String()
}
