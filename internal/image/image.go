// Package image holds what kube4c knows about a container image: its reference and digest, its
// configuration (user, environment, labels, history), its layers, the distribution it is built on,
// the packages installed in it, and the facts image hygiene controls judge (setuid files, files
// holding private keys or cloud credentials, shells and package managers), plus the outcome of
// signature verification. Sources fill it (internal/source/image); analyzers judge it
// (internal/analyzer/image). Image implements runtime.Object so it travels in the inventory like a
// Kubernetes object.
package image

import (
	"slices"

	"github.com/kube4c/kube4c/internal/packages"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// APIVersion and Kind of image objects in the inventory.
const (
	APIVersion = "image.kube4c.io/v1"
	Kind       = "Image"
)

// Image is one container image (one platform's manifest).
type Image struct {
	metav1.TypeMeta `json:",inline"`
	// Name is what the user or the workload named: a reference ("nginx:1.27", "ghcr.io/a/b@sha256:..."),
	// or the archive or layout path for --input and --oci-layout.
	Name string `json:"name"`
	// Refs are all references (as written in scanned workloads) that resolved to this image.
	Refs []string `json:"refs,omitempty"`
	// Digest of the image manifest (sha256:...); the image's identity.
	Digest string `json:"digest"`
	// Platform is os/arch[/variant].
	Platform string  `json:"platform,omitempty"`
	Config   Config  `json:"config"`
	Layers   []Layer `json:"layers"`
	// OS is the distribution from /etc/os-release (or /usr/lib/os-release); nil when the image has
	// none (scratch, distroless static).
	OS       *OSRelease         `json:"os,omitempty"`
	Packages []packages.Package `json:"packages,omitempty"`
	// SetuidFiles are regular files with the setuid or setgid bit, in the final filesystem.
	SetuidFiles []File `json:"setuidFiles,omitempty"`
	// Secrets are files that hold a private key or cloud credentials (in the final filesystem or in
	// a layer that a later layer deleted it from: it is still in the image). Never their content.
	Secrets []SecretFile `json:"secrets,omitempty"`
	// Shells and PackageManagers list the executables found (e.g. /bin/sh, /usr/bin/apt-get).
	Shells          []string `json:"shells,omitempty"`
	PackageManagers []string `json:"packageManagers,omitempty"`
	// Signature is the outcome of signature verification; nil when none was asked for.
	Signature *Signature `json:"signature,omitempty"`
}

// Config is the part of the image configuration the controls read.
type Config struct {
	User         string            `json:"user,omitempty"`
	Env          []EnvVar          `json:"env,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Entrypoint   []string          `json:"entrypoint,omitempty"`
	Cmd          []string          `json:"cmd,omitempty"`
	ExposedPorts []string          `json:"exposedPorts,omitempty"`
	Created      string            `json:"created,omitempty"`
	History      []History         `json:"history,omitempty"`
}

// EnvVar is one ENV entry of the image config.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"-"` // never serialised: it may be a secret
}

// History is one history entry of the image config (one Dockerfile instruction).
type History struct {
	CreatedBy  string `json:"createdBy,omitempty"`
	EmptyLayer bool   `json:"emptyLayer,omitempty"`
}

// Layer is one filesystem layer.
type Layer struct {
	// Digest is the (compressed) layer digest in the manifest; DiffID the uncompressed one.
	Digest string `json:"digest"`
	DiffID string `json:"diffID,omitempty"`
	Size   int64  `json:"size,omitempty"`
	// CreatedBy is the history entry that created the layer, when the config says.
	CreatedBy string `json:"createdBy,omitempty"`
}

// OSRelease is the distribution from os-release.
type OSRelease struct {
	ID              string   `json:"id"`
	IDLike          []string `json:"idLike,omitempty"`
	VersionID       string   `json:"versionID,omitempty"`
	VersionCodename string   `json:"versionCodename,omitempty"`
	PrettyName      string   `json:"prettyName,omitempty"`
	// Path is the os-release file that was read.
	Path string `json:"path"`
}

// File is a file of the image's filesystem.
type File struct {
	Path  string `json:"path"`
	Mode  uint32 `json:"mode"` // permission and setuid/setgid/sticky bits (fs.FileMode.Perm()|setuid|setgid|sticky as in tar headers)
	Layer string `json:"layer"`
}

// SecretFile is a file that holds a credential. Kind says what it holds ("RSA private key",
// "AWS credentials", "Docker registry credentials", ...); the content is never kept.
type SecretFile struct {
	Path  string `json:"path"`
	Kind  string `json:"kind"`
	Line  int    `json:"line,omitempty"`
	Layer string `json:"layer"`
	// Deleted is true when a later layer deleted the file: it is still in the image's layers.
	Deleted bool `json:"deleted,omitempty"`
}

// Signature verification outcomes.
const (
	SignatureVerified = "verified" // a signature verified with the configured key
	SignatureUnsigned = "unsigned" // no signature was found
	SignatureInvalid  = "invalid"  // signatures were found, none verified with the key
	SignatureError    = "error"    // signatures could not be looked up (registry unreachable, ...)
)

// Signature is the outcome of verifying the image's signatures with a key.
type Signature struct {
	Status string `json:"status"`
	// Scheme is how the verified (or rejected) signature was stored: "cosign-tag" (the
	// sha256-<digest>.sig tag) or "cosign-bundle" (an OCI referrer holding a Sigstore bundle).
	Scheme string `json:"scheme,omitempty"`
	// Key names the public key file used.
	Key string `json:"key,omitempty"`
	// Detail explains a failure.
	Detail string `json:"detail,omitempty"`
}

// DeepCopyObject implements runtime.Object.
func (i *Image) DeepCopyObject() runtime.Object { return i.DeepCopy() }

// DeepCopy returns a copy that shares nothing with i.
func (i *Image) DeepCopy() *Image {
	out := *i
	out.Refs = slices.Clone(i.Refs)
	out.Config.Env = slices.Clone(i.Config.Env)
	if i.Config.Labels != nil {
		out.Config.Labels = make(map[string]string, len(i.Config.Labels))
		for k, v := range i.Config.Labels {
			out.Config.Labels[k] = v
		}
	}
	out.Config.Entrypoint = slices.Clone(i.Config.Entrypoint)
	out.Config.Cmd = slices.Clone(i.Config.Cmd)
	out.Config.ExposedPorts = slices.Clone(i.Config.ExposedPorts)
	out.Config.History = slices.Clone(i.Config.History)
	out.Layers = slices.Clone(i.Layers)
	if i.OS != nil {
		os := *i.OS
		os.IDLike = slices.Clone(i.OS.IDLike)
		out.OS = &os
	}
	out.Packages = slices.Clone(i.Packages)
	for k := range out.Packages {
		out.Packages[k].Licenses = slices.Clone(out.Packages[k].Licenses)
	}
	out.SetuidFiles = slices.Clone(i.SetuidFiles)
	out.Secrets = slices.Clone(i.Secrets)
	out.Shells = slices.Clone(i.Shells)
	out.PackageManagers = slices.Clone(i.PackageManagers)
	if i.Signature != nil {
		s := *i.Signature
		out.Signature = &s
	}
	return &out
}

// LayerIndex returns the index of the layer with the digest, or -1.
func (i *Image) LayerIndex(digest string) int {
	return slices.IndexFunc(i.Layers, func(l Layer) bool { return l.Digest == digest })
}
