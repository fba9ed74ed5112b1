package workload

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/podspec"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// pssCheck is one Pod Security Standards check at the version being evaluated.
type pssCheck struct {
	id      policy.CheckID
	control string
	level   psaapi.Level
	fn      policy.CheckPodFn
}

// pssControls maps PSS check IDs to catalog control IDs.
func pssControls() map[policy.CheckID]string {
	m := map[policy.CheckID]string{}
	for _, c := range catalog.All() {
		if c.References.PSS != nil {
			m[policy.CheckID(c.References.PSS.Check)] = c.ID
		}
	}
	return m
}

// selectPSSChecks returns the checks that apply at a level and version, using the upstream check
// implementations. Each check is evaluated on its own (an overridden baseline check is still
// reported under its own control, so the user sees exactly which rule a pod breaks); a check
// introduced after the requested version does not apply. Versions newer than the library knows
// evaluate as the newest it knows, like the admission plugin.
func selectPSSChecks(level psaapi.Level, version psaapi.Version) ([]pssCheck, error) {
	controls := pssControls()
	var out []pssCheck
	for _, c := range policy.DefaultChecks() {
		if c.Level == psaapi.LevelRestricted && level != psaapi.LevelRestricted {
			continue
		}
		if level == psaapi.LevelPrivileged {
			continue
		}
		var fn policy.CheckPodFn
		for _, v := range c.Versions { // sorted by increasing MinimumVersion
			if !version.Older(v.MinimumVersion) {
				fn = v.CheckPod
			}
		}
		if fn == nil {
			continue
		}
		ctrl, ok := controls[c.ID]
		if !ok {
			return nil, fmt.Errorf("PSS check %q has no control in the catalog", c.ID)
		}
		out = append(out, pssCheck{id: c.ID, control: ctrl, level: c.Level, fn: fn})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].control < out[j].control })
	return out, nil
}

// pssFields says where in a pod spec each check looks: at pod level and inside a container.
var pssFields = map[policy.CheckID]struct{ pod, container []any }{
	"privileged":                 {nil, []any{"securityContext", "privileged"}},
	"hostNamespaces":             {[]any{"hostNetwork"}, nil},
	"hostPathVolumes":            {[]any{"volumes"}, nil},
	"restrictedVolumes":          {[]any{"volumes"}, nil},
	"hostPorts":                  {nil, []any{"ports"}},
	"hostProbesAndHostLifecycle": {nil, []any{"livenessProbe"}},
	"appArmorProfile":            {[]any{"securityContext", "appArmorProfile"}, []any{"securityContext", "appArmorProfile"}},
	"capabilities_baseline":      {nil, []any{"securityContext", "capabilities", "add"}},
	"capabilities_restricted":    {nil, []any{"securityContext", "capabilities"}},
	"seLinuxOptions":             {[]any{"securityContext", "seLinuxOptions"}, []any{"securityContext", "seLinuxOptions"}},
	"procMount":                  {nil, []any{"securityContext", "procMount"}},
	"procMount_restricted":       {nil, []any{"securityContext", "procMount"}},
	"seccompProfile_baseline":    {[]any{"securityContext", "seccompProfile"}, []any{"securityContext", "seccompProfile"}},
	"seccompProfile_restricted":  {[]any{"securityContext", "seccompProfile"}, []any{"securityContext", "seccompProfile"}},
	"sysctls":                    {[]any{"securityContext", "sysctls"}, nil},
	"windowsHostProcess":         {[]any{"securityContext", "windowsOptions", "hostProcess"}, []any{"securityContext", "windowsOptions", "hostProcess"}},
	"allowPrivilegeEscalation":   {nil, []any{"securityContext", "allowPrivilegeEscalation"}},
	"runAsNonRoot":               {[]any{"securityContext", "runAsNonRoot"}, []any{"securityContext", "runAsNonRoot"}},
	"runAsUser":                  {[]any{"securityContext", "runAsUser"}, []any{"securityContext", "runAsUser"}},
}

var (
	quotedName  = regexp.MustCompile(`"([^"]+)"`)
	hostNSField = regexp.MustCompile(`host(Network|PID|IPC)=true`)
)

// pssPath picks the field a failed check points at: the first container or volume the check's
// detail names, else the pod-level field.
func pssPath(id policy.CheckID, t podspec.Template, res policy.CheckResult) inventory.FieldPath {
	f := pssFields[id]
	names := map[string]bool{}
	for _, m := range quotedName.FindAllStringSubmatch(res.ForbiddenDetail, -1) {
		names[m[1]] = true
	}
	switch id {
	case "hostNamespaces":
		if m := hostNSField.FindStringSubmatch(res.ForbiddenDetail); m != nil {
			return t.SpecPath.Child("host" + m[1])
		}
	case "hostPathVolumes", "restrictedVolumes":
		for i, v := range t.Spec.Volumes {
			if names[v.Name] {
				return t.SpecPath.Child("volumes", i)
			}
		}
	case "appArmorProfile":
		if len(t.Meta.Annotations) > 0 && quotedName.MatchString(res.ForbiddenDetail) && !anyContainerNamed(t, names) {
			return t.MetaPath.Child("annotations")
		}
	}
	// "pod or container ... must set X": setting X once at pod level is the fix.
	podFirst := strings.Contains(res.ForbiddenDetail, "pod or container")
	if f.container != nil && !(podFirst && f.pod != nil) {
		for _, c := range t.Containers() {
			if names[c.C.Name] {
				return c.Path.Child(f.container...)
			}
		}
	}
	if f.pod != nil {
		return t.SpecPath.Child(f.pod...)
	}
	return t.SpecPath
}

func anyContainerNamed(t podspec.Template, names map[string]bool) bool {
	for _, c := range t.Containers() {
		if names[c.C.Name] {
			return true
		}
	}
	return false
}
