// Package packages holds the software packages kube4c finds in an image or a directory: operating
// system packages (dpkg, apk, rpm) and language packages (Go binaries, npm, PyPI, Maven, Cargo,
// RubyGems). Extraction is done with osv-scalibr's extractors; vulnerability matching
// (internal/vulndb) and SBOM output (internal/sbom) read these records.
package packages

// Package is one installed package.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Ecosystem is the OSV ecosystem the package belongs to, with the distribution release for OS
	// packages as OSV writes it: "Debian:12", "Alpine:v3.20", "Ubuntu:22.04:LTS", "Red Hat", "Go",
	// "npm", "PyPI", "Maven", "crates.io", "RubyGems". Empty when unknown (e.g. dpkg packages of
	// a root without /etc/os-release).
	Ecosystem string `json:"ecosystem,omitempty"`
	// SourceName is the OS source package when it differs from Name (Debian's "Source:", Alpine's
	// origin): OSV records of Debian and Alpine are keyed by it.
	SourceName string `json:"sourceName,omitempty"`
	// PURL is the package URL (https://github.com/package-url/purl-spec).
	PURL string `json:"purl,omitempty"`
	// Type names how the package was found: dpkg, apk, rpm, go-binary, go-module, npm, python,
	// java-archive, cargo, gem, ...
	Type string `json:"type"`
	// Location is the file the package was read from: an absolute path inside an image
	// ("/var/lib/dpkg/status", "/usr/local/bin/app"), or a path relative to a scanned directory.
	Location string `json:"location"`
	// Layer is the digest (sha256:...) of the image layer that introduced the package; empty
	// outside images.
	Layer string `json:"layer,omitempty"`
	// Licenses as the package declares them (SPDX expressions when the package manager has them).
	Licenses []string `json:"licenses,omitempty"`
}
