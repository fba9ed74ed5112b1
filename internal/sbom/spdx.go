package sbom

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kube4c/kube4c/internal/packages"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
)

// SPDXNamespacePrefix starts every documentNamespace: PREFIX + NAME + "-" + UUID, NAME being the
// subject's name reduced to [A-Za-z0-9.-].
const SPDXNamespacePrefix = "https://kube4c.io/spdx/"

const noAssertion = "NOASSERTION"

// WriteSPDX writes the SBOM of subject as SPDX 2.3 JSON (indented).
func WriteSPDX(w io.Writer, subject Subject, pkgs []packages.Package, opts Options) error {
	if err := subject.validate(); err != nil {
		return err
	}
	o, err := opts.resolve()
	if err != nil {
		return err
	}
	doc := spdxDocument(subject, sortPackages(pkgs), o)
	if err := spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("sbom: write SPDX: %w", err)
	}
	return nil
}

func spdxDocument(subject Subject, pkgs []packages.Package, o resolved) *spdx.Document {
	creator := o.toolName
	if o.toolVersion != "" {
		creator += "-" + o.toolVersion
	}
	docName := subject.displayName()
	nsName := sanitizeID(docName)
	if len(nsName) > 100 {
		nsName = nsName[:100]
	}
	if nsName == "" {
		nsName = string(subject.Kind)
	}
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      docName,
		DocumentNamespace: SPDXNamespacePrefix + nsName + "-" + o.uuid,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: creator}},
			Created:  o.created,
		},
	}

	ids := newSPDXIDs()
	rel := func(a common.ElementID, typ string, b common.ElementID) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         common.MakeDocElementID("", string(a)),
			RefB:         common.MakeDocElementID("", string(b)),
			Relationship: typ,
		})
	}

	root := &spdx.Package{
		PackageName:               docName,
		PackageSupplier:           &common.Supplier{Supplier: noAssertion},
		PackageDownloadLocation:   noAssertion,
		FilesAnalyzed:             false,
		IsFilesAnalyzedTagPresent: true,
		PackageLicenseConcluded:   noAssertion,
		PackageLicenseDeclared:    noAssertion,
	}
	switch subject.Kind {
	case KindImage:
		root.PackageSPDXIdentifier = ids.next("Image", docName)
		root.PackageVersion = subject.Digest
		root.PrimaryPackagePurpose = "CONTAINER"
		root.PackageExternalReferences = purlRef(subject.imagePURL())
		if subject.Platform != "" {
			root.PackageComment = "platform " + subject.Platform
		}
	case KindDirectory:
		root.PackageSPDXIdentifier = ids.next("Directory", docName)
		root.PrimaryPackagePurpose = "APPLICATION"
	}
	doc.Packages = append(doc.Packages, root)
	rel("DOCUMENT", common.TypeRelationshipDescribe, root.PackageSPDXIdentifier)

	if subject.OS != nil {
		osName := subject.OS.ID
		if osName == "" {
			osName = "unknown"
		}
		osp := &spdx.Package{
			PackageName:               osName,
			PackageSPDXIdentifier:     ids.next("OperatingSystem", osName),
			PackageVersion:            subject.OS.VersionID,
			PackageSupplier:           &common.Supplier{Supplier: noAssertion},
			PackageDownloadLocation:   noAssertion,
			IsFilesAnalyzedTagPresent: true,
			PackageLicenseConcluded:   noAssertion,
			PackageLicenseDeclared:    noAssertion,
			PackageDescription:        subject.OS.PrettyName,
			PrimaryPackagePurpose:     "OPERATING-SYSTEM",
		}
		doc.Packages = append(doc.Packages, osp)
		rel(root.PackageSPDXIdentifier, common.TypeRelationshipContains, osp.PackageSPDXIdentifier)
	}

	declaredByPkg := make([][]declared, len(pkgs))
	refs := newLicenseRefs()
	for i, p := range pkgs {
		declaredByPkg[i] = classifyLicenses(p.Licenses)
		for _, d := range declaredByPkg[i] {
			for _, r := range d.refs {
				refs.declare(r)
			}
		}
	}
	for i, p := range pkgs {
		sp := &spdx.Package{
			PackageName:               p.Name,
			PackageSPDXIdentifier:     ids.next("Package", p.Name),
			PackageVersion:            p.Version,
			PackageSupplier:           &common.Supplier{Supplier: noAssertion},
			PackageDownloadLocation:   noAssertion,
			IsFilesAnalyzedTagPresent: true,
			PackageSourceInfo:         sourceDescription(p),
			PackageLicenseConcluded:   noAssertion,
			PackageLicenseDeclared:    refs.expression(declaredByPkg[i]),
			PackageExternalReferences: purlRef(p.PURL),
			PrimaryPackagePurpose:     "LIBRARY",
		}
		if sp.PackageName == "" {
			sp.PackageName = "unknown"
		}
		doc.Packages = append(doc.Packages, sp)
		rel(root.PackageSPDXIdentifier, common.TypeRelationshipContains, sp.PackageSPDXIdentifier)
	}
	doc.OtherLicenses = refs.others()
	return doc
}

func purlRef(purl string) []*spdx.PackageExternalReference {
	if purl == "" {
		return nil
	}
	return []*spdx.PackageExternalReference{{
		Category: common.CategoryPackageManager,
		RefType:  common.TypePackageManagerPURL,
		Locator:  purl,
	}}
}

// spdxIDGen hands out SPDX identifiers "SPDXRef-KIND-NAME-N": NAME is the name reduced to
// [A-Za-z0-9.-] ("unnamed" when nothing is left) and N counts the elements of that kind and
// reduced name (1, 2, ...), so that IDs are unique and do not shift when unrelated packages come
// and go.
type spdxIDGen struct {
	n    map[string]int
	used map[common.ElementID]bool
}

func newSPDXIDs() *spdxIDGen {
	return &spdxIDGen{n: map[string]int{}, used: map[common.ElementID]bool{"DOCUMENT": true}}
}

func (g *spdxIDGen) next(kind, name string) common.ElementID {
	key := kind + "-" + cmp.Or(sanitizeID(name), "unnamed")
	for {
		g.n[key]++
		id := common.ElementID(key + "-" + strconv.Itoa(g.n[key]))
		if !g.used[id] {
			g.used[id] = true
			return id
		}
	}
}

// licenseRefs gives non-SPDX license strings a LicenseRef- identifier and collects the
// hasExtractedLicensingInfos entries every LicenseRef used in the document needs.
type licenseRefs struct {
	byText map[string]string // license string -> LicenseRef-...
	taken  map[string]bool
	// declaredRefs are LicenseRef-... identifiers the packages' own expressions use.
	declaredRefs map[string]bool
	list         []*spdx.OtherLicense
}

func newLicenseRefs() *licenseRefs {
	return &licenseRefs{byText: map[string]string{}, taken: map[string]bool{}, declaredRefs: map[string]bool{}}
}

// declare records a LicenseRef- identifier written in a package's expression. Called for all
// packages before ref, so that minted identifiers never take one of them.
func (r *licenseRefs) declare(ref string) {
	if r.declaredRefs[ref] {
		return
	}
	r.declaredRefs[ref] = true
	r.taken[ref] = true
	r.list = append(r.list, &spdx.OtherLicense{
		LicenseIdentifier: ref,
		ExtractedText:     ref,
		LicenseName:       ref,
		LicenseComment:    "The package declares this license by this reference only; kube4c does not have its text.",
	})
}

// ref returns the LicenseRef- identifier of a non-SPDX license string: "LicenseRef-" and the
// string reduced to [A-Za-z0-9.-], with 8 hex digits of its SHA-256 appended when that is empty or
// already taken by another string.
func (r *licenseRefs) ref(text string) string {
	if ref, ok := r.byText[text]; ok {
		return ref
	}
	s := sanitizeID(text)
	ref := "LicenseRef-" + s
	if s == "" || r.taken[ref] {
		ref = "LicenseRef-" + strings.TrimPrefix(s+"-"+shortHash(text), "-")
	}
	for n := 2; r.taken[ref]; n++ {
		ref = "LicenseRef-" + strings.TrimPrefix(s+"-"+shortHash(text), "-") + "-" + strconv.Itoa(n)
	}
	r.taken[ref] = true
	r.byText[text] = ref
	r.list = append(r.list, &spdx.OtherLicense{
		LicenseIdentifier: ref,
		ExtractedText:     text,
		LicenseName:       text,
		LicenseComment:    "The package declares this license as a string that is not an SPDX license expression; kube4c does not have its text.",
	})
	return ref
}

// expression is the licenseDeclared value of a package: its licenses joined with AND, non-SPDX
// strings replaced by their LicenseRef-; NOASSERTION when it declares none.
func (r *licenseRefs) expression(ds []declared) string {
	if len(ds) == 0 {
		return noAssertion
	}
	parts := make([]string, len(ds))
	compound := make([]bool, len(ds))
	for i, d := range ds {
		if d.class == licenseOther {
			parts[i] = r.ref(d.text)
		} else {
			parts[i], compound[i] = d.text, d.compound
		}
	}
	return conjunction(parts, compound)
}

// others returns the hasExtractedLicensingInfos entries, sorted by identifier.
func (r *licenseRefs) others() []*spdx.OtherLicense {
	out := slices.Clone(r.list)
	slices.SortFunc(out, func(a, b *spdx.OtherLicense) int {
		return strings.Compare(a.LicenseIdentifier, b.LicenseIdentifier)
	})
	return out
}
