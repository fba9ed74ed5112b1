// Package analyzer defines what every analyzer implements and the options they share. Analyzers
// read the inventory and record, for the controls they own, which resources they evaluated and
// which failed. They never know which source filled the inventory.
package analyzer

import (
	"context"

	"github.com/kube4c/kube4c/internal/finding"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/rbac"
	"github.com/kube4c/kube4c/internal/vulndb"
	"k8s.io/apimachinery/pkg/runtime/schema"
	psaapi "k8s.io/pod-security-admission/api"
)

// Recorder receives an analyzer's results. Implementations are safe for concurrent use.
type Recorder interface {
	// Evaluated records that the control was evaluated for the object. A pair evaluated without a
	// failure counts as a pass.
	Evaluated(controlID string, o *inventory.Object)
	// Fail records a finding (and implies Evaluated for its control and object, when it has one).
	Fail(f finding.Finding)
}

// Analyzer evaluates the controls it owns.
type Analyzer interface {
	// Name is a short name ("workload", "namespace", ...).
	Name() string
	// Controls lists the IDs of the catalog controls the analyzer owns.
	Controls() []string
	Analyze(ctx context.Context, inv *inventory.Inventory, cfg *Config, rec Recorder) error
}

// KindNeeds is implemented by analyzers that can say which kinds each of their controls reads.
// When a source could not read a kind (403, API not served), the scan reports the controls that
// need it as not evaluated instead of silently passing them.
type KindNeeds interface {
	// Needs maps control IDs to the kinds they read (group "" is the core group).
	Needs() map[string][]schema.GroupKind
}

// WorkloadKinds are the kinds that carry pod templates.
var WorkloadKinds = []schema.GroupKind{
	{Kind: "Pod"}, {Kind: "ReplicationController"}, {Kind: "PodTemplate"},
	{Group: "apps", Kind: "Deployment"}, {Group: "apps", Kind: "StatefulSet"}, {Group: "apps", Kind: "DaemonSet"},
	{Group: "apps", Kind: "ReplicaSet"}, {Group: "batch", Kind: "Job"}, {Group: "batch", Kind: "CronJob"},
}

// Config holds the options analyzers share. The zero value is not useful: use DefaultConfig.
type Config struct {
	// PSSLevel selects which Pod Security Standards checks run: baseline runs the baseline checks,
	// restricted (the default) runs baseline and restricted checks.
	PSSLevel psaapi.Level
	// PSSVersion is the PSS version to evaluate ("latest" by default).
	PSSVersion psaapi.Version
	// AllowedRegistries, when not empty, lists the registries (host, host/path prefix) images may
	// come from.
	AllowedRegistries []string
	// UntrustedLabel is the label "key=value" (or "key" for any value) that marks workloads running
	// untrusted code, which must use a sandboxed runtime class.
	UntrustedLabel string
	// SandboxRuntimeClasses are the runtimeClassName values that count as sandboxed.
	SandboxRuntimeClasses []string
	// JudgeAllNamespaces makes namespace-level controls judge namespaces that workloads in the scan
	// refer to even when the scan holds no Namespace object for them (see docs/namespaces.md).
	JudgeAllNamespaces bool
	// RBACPathDepth is the longest privilege-escalation chain, in steps, the RBAC path controls
	// follow (0 means rbac.DefaultMaxDepth; see docs/rbac.md).
	RBACPathDepth int
	// EnvironmentLabelKeys are the Namespace label keys that name an environment (env=dev,
	// env=prod): traffic between namespaces whose values differ for a key is reported (see
	// docs/netpol.md). Empty: nothing is judged.
	EnvironmentLabelKeys []string
	// Vulns finds the advisories affecting images' packages (the OSV database). Nil: the
	// vulnerable-package control is not evaluated and the scan says so.
	Vulns vulndb.Matcher
	// IgnoreUnfixed drops advisories that no released version fixes (--ignore-unfixed).
	IgnoreUnfixed bool
	// RequireSignatures makes the image signature control judge images (a key or policy is
	// configured, and images carry the outcome of verifying their signatures).
	RequireSignatures bool
}

// DefaultConfig returns the default options.
func DefaultConfig() *Config {
	return &Config{
		PSSLevel:              psaapi.LevelRestricted,
		PSSVersion:            psaapi.LatestVersion(),
		UntrustedLabel:        "kube4c.io/untrusted=true",
		SandboxRuntimeClasses: []string{"gvisor", "runsc", "kata", "kata-containers", "kata-qemu", "kata-clh", "kata-fc"},
		RBACPathDepth:         rbac.DefaultMaxDepth,
		EnvironmentLabelKeys:  []string{"env", "environment"},
	}
}
