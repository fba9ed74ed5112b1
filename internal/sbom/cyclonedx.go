package sbom

import (
	"fmt"
	"io"
	"strconv"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/kube4c/kube4c/internal/packages"
)

// CycloneDX property names (https://github.com/CycloneDX/cyclonedx-property-taxonomy: namespaces
// delimited by ":"). The kube4c namespace is not registered in the taxonomy.
const (
	PropPackageType       = "kube4c:package:type"       // how the package was found: dpkg, apk, go-binary, npm, ...
	PropPackageEcosystem  = "kube4c:package:ecosystem"  // OSV ecosystem: Debian:12, Go, npm, ...
	PropPackageLocation   = "kube4c:package:location"   // file the package was read from
	PropPackageSourceName = "kube4c:package:sourceName" // OS source package, when it differs from the name
	PropLayerDigest       = "kube4c:layer:digest"       // image layer that introduced the package
	PropLayerDiffID       = "kube4c:layer:diffID"       // its uncompressed digest
	PropImagePlatform     = "kube4c:image:platform"     // os/arch[/variant] of the image
)

// WriteCycloneDX writes the SBOM of subject as CycloneDX 1.6 JSON (indented).
func WriteCycloneDX(w io.Writer, subject Subject, pkgs []packages.Package, opts Options) error {
	if err := subject.validate(); err != nil {
		return err
	}
	o, err := opts.resolve()
	if err != nil {
		return err
	}
	bom := cycloneDXBOM(subject, sortPackages(pkgs), o)
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("sbom: write CycloneDX: %w", err)
	}
	return nil
}

func cycloneDXBOM(subject Subject, pkgs []packages.Package, o resolved) *cdx.BOM {
	root := cdx.Component{Name: subject.displayName()}
	var reserved []string
	switch subject.Kind {
	case KindImage:
		purl := subject.imagePURL()
		root.Type = cdx.ComponentTypeContainer
		root.BOMRef = purl
		root.Version = subject.Digest
		root.PackageURL = purl
		if subject.Platform != "" {
			root.Properties = &[]cdx.Property{{Name: PropImagePlatform, Value: subject.Platform}}
		}
	case KindDirectory:
		root.Type = cdx.ComponentTypeApplication
		root.BOMRef = "kube4c:directory:" + subject.displayName()
	}
	reserved = append(reserved, root.BOMRef)

	components := []cdx.Component{}
	var dependsOn []string
	if subject.OS != nil {
		osc := cdx.Component{
			BOMRef:      "kube4c:os:" + subject.OS.ID + "@" + subject.OS.VersionID,
			Type:        cdx.ComponentTypeOS,
			Name:        subject.OS.ID,
			Version:     subject.OS.VersionID,
			Description: subject.OS.PrettyName,
		}
		if osc.Name == "" {
			osc.Name = "unknown"
		}
		components = append(components, osc)
		dependsOn = append(dependsOn, osc.BOMRef)
		reserved = append(reserved, osc.BOMRef)
	}

	refs := packageRefs(pkgs, reserved)
	diffIDs := subject.diffIDs()
	for i, p := range pkgs {
		c := cdx.Component{
			BOMRef:     refs[i],
			Type:       cdx.ComponentTypeLibrary,
			Name:       p.Name,
			Version:    p.Version,
			PackageURL: p.PURL,
			Licenses:   cycloneDXLicenses(classifyLicenses(p.Licenses)),
		}
		var props []cdx.Property
		add := func(name, value string) {
			if value != "" {
				props = append(props, cdx.Property{Name: name, Value: value})
			}
		}
		add(PropPackageType, p.Type)
		add(PropPackageEcosystem, p.Ecosystem)
		add(PropPackageLocation, p.Location)
		add(PropPackageSourceName, p.SourceName)
		add(PropLayerDigest, p.Layer)
		add(PropLayerDiffID, diffIDs[p.Layer])
		if len(props) > 0 {
			c.Properties = &props
		}
		components = append(components, c)
		dependsOn = append(dependsOn, c.BOMRef)
	}

	tool := cdx.Component{Type: cdx.ComponentTypeApplication, Name: o.toolName, Version: o.toolVersion}
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.SerialNumber = "urn:uuid:" + o.uuid
	bom.Version = 1
	bom.Metadata = &cdx.Metadata{
		Timestamp: o.created,
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{tool}},
		Component: &root,
	}
	bom.Components = &components
	// Only the root has an entry: the packages' own dependencies are unknown, which CycloneDX
	// expresses by leaving them out of the graph (an entry without dependsOn would claim none).
	dep := cdx.Dependency{Ref: root.BOMRef}
	if len(dependsOn) > 0 {
		dep.Dependencies = &dependsOn
	}
	bom.Dependencies = &[]cdx.Dependency{dep}
	return bom
}

// packageRefs returns a bom-ref for each package (sorted), unique and not in reserved: the
// package URL (or kube4c:package:TYPE/NAME[@VERSION] without one); when several packages share
// it, "|LOCATION" is appended, and when that is still shared, "|N" (1, 2, ... in order).
func packageRefs(pkgs []packages.Package, reserved []string) []string {
	base := make([]string, len(pkgs))
	count := map[string]int{}
	for i, p := range pkgs {
		base[i] = p.PURL
		if base[i] == "" {
			base[i] = "kube4c:package:" + p.Type + "/" + p.Name
			if p.Version != "" {
				base[i] += "@" + p.Version
			}
		}
		count[base[i]]++
	}
	refs := make([]string, len(pkgs))
	count2 := map[string]int{}
	for i, p := range pkgs {
		refs[i] = base[i]
		if count[base[i]] > 1 {
			refs[i] += "|" + p.Location
		}
		count2[refs[i]]++
	}
	used := map[string]bool{}
	for _, r := range reserved {
		used[r] = true
	}
	nth := map[string]int{}
	for i, r := range refs {
		if count2[r] > 1 {
			nth[r]++
			r += "|" + strconv.Itoa(nth[r])
		}
		for n := 2; used[r]; n++ { // only for pathological input (a package URL equal to the root's)
			r = refs[i] + "|" + strconv.Itoa(n)
		}
		used[r] = true
		refs[i] = r
	}
	return refs
}

// cycloneDXLicenses maps a package's declared licenses. CycloneDX 1.6 accepts either a list of
// licenses (each an SPDX identifier or a free-form name) or exactly one SPDX expression:
//   - identifiers CycloneDX knows and non-SPDX strings only: a list (id, or name);
//   - valid SPDX only, with an expression or an identifier newer than CycloneDX's list: one
//     expression, the licenses joined with AND;
//   - expressions mixed with non-SPDX strings: a list, expressions as names.
func cycloneDXLicenses(ds []declared) *cdx.Licenses {
	if len(ds) == 0 {
		return nil
	}
	listOnly, anyOther := true, false
	for _, d := range ds {
		switch {
		case d.class == licenseOther:
			anyOther = true
		case d.class == licenseID && d.cyclonedxID:
		default:
			listOnly = false
		}
	}
	var ls cdx.Licenses
	if !listOnly && !anyOther {
		parts := make([]string, len(ds))
		compound := make([]bool, len(ds))
		for i, d := range ds {
			parts[i], compound[i] = d.text, d.compound
		}
		ack := cdx.LicenseAcknowledgementDeclared
		ls = append(ls, cdx.LicenseChoice{Expression: conjunction(parts, compound), Acknowledgement: &ack})
		return &ls
	}
	for _, d := range ds {
		l := &cdx.License{Acknowledgement: cdx.LicenseAcknowledgementDeclared}
		if d.class == licenseID && d.cyclonedxID {
			l.ID = d.text
		} else {
			l.Name = d.text
		}
		ls = append(ls, cdx.LicenseChoice{License: l})
	}
	return &ls
}
