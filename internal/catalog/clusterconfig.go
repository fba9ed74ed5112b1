package catalog

// Cluster-layer controls of the clusterconfig analyzer: the API server's version and what it
// grants anonymous clients (judged only when the scan read a live cluster), and cluster-wide
// configuration objects that widen access: bootstrap and legacy service account token Secrets,
// RBAC bindings to anonymous or all authenticated users, and default ServiceAccounts that mount
// their token. See docs/cluster.md.

const (
	nsaAuthn   = "Authentication and authorization: Authentication"
	nsaRBAC    = "Authentication and authorization: Role-based access control"
	nsaUpgrade = "Upgrading and application security practices"
)

func init() {
	register(
		// --- Version (live clusters only) ---
		Control{ID: "cluster/kubernetes-version-unsupported", Title: "Kubernetes minor version past end of life", Layer: Cluster, Severity: High,
			Rationale: "The Kubernetes project patches only the three most recent minor versions (about 14 months each). Once a minor version reaches end of life, newly found vulnerabilities in the API server, kubelet and controllers are no longer fixed for it, and public advisories describe exactly how to exploit them.",
			Remediation: "Upgrade the control plane (and then the nodes) one minor version at a time to a supported minor version, after checking the deprecated API removals of each step. On managed services use the provider's upgrade path; extended-support offerings patch some end-of-life versions at extra cost. " +
				"kube4c's end-of-life dates come from kubernetes.io/releases (see docs/cluster.md).",
			References: References{NSA: []string{nsaUpgrade}}},
		Control{ID: "cluster/kubernetes-version-outdated-patch", Title: "Kubernetes patch release behind the latest", Layer: Cluster, Severity: Medium,
			Rationale:   "Patch releases of a supported minor version carry the security fixes for it (CVE fixes, and rebuilds with patched Go). A control plane behind the latest patch release of its minor version runs code with known, fixed vulnerabilities.",
			Remediation: "Upgrade the control plane and the nodes to the latest patch release of the current minor version; patch upgrades contain no API changes. On managed services enable automatic patch upgrades or follow the provider's release channel.",
			References:  References{NSA: []string{nsaUpgrade}}},

		// --- Anonymous access to the API server (live clusters only) ---
		Control{ID: "cluster/apiserver-anonymous-access", Title: "API server serves API discovery to anonymous clients", Layer: Cluster, Severity: High,
			Rationale: "A request without credentials reached beyond the public health and version endpoints (e.g. /api or /apis answered 200): anonymous authentication is enabled and some RBAC binding grants system:anonymous or system:unauthenticated more than the default public-info-viewer role. " +
				"Anyone who can reach the API server can then enumerate its APIs, and every permission granted to unauthenticated users is open to the network; exposed API servers are routinely scanned for this.",
			Remediation: "Find and remove the bindings to User system:anonymous and Group system:unauthenticated (see cluster/binding-to-anonymous; clusters upgraded from before 1.14 may still bind system:discovery to system:unauthenticated). " +
				"Where nothing needs anonymous requests, start kube-apiserver with --anonymous-auth=false, or (Kubernetes 1.32+) allow anonymous requests only to /healthz, /livez and /readyz with the anonymous.conditions of an AuthenticationConfiguration file.",
			References: References{CIS: []string{"1.2.1"}, NSA: []string{nsaAuthn}, MITRE: []string{"T1133"}}},
		Control{ID: "cluster/apiserver-anonymous-version", Title: "API server discloses its version to anonymous clients", Layer: Cluster, Severity: Low,
			Rationale:   "With anonymous authentication enabled (the default), the system:public-info-viewer role lets anyone who can reach the API server read /version: its exact Kubernetes version and build, which tells an attacker which published vulnerabilities apply. It is default behaviour and discloses nothing else, hence low severity.",
			Remediation: "Start kube-apiserver with --anonymous-auth=false if nothing relies on unauthenticated health checks, or (Kubernetes 1.32+) allow anonymous requests only to /healthz, /livez and /readyz with the anonymous.conditions of an AuthenticationConfiguration file. Restricting network access to the API server also limits who can ask.",
			References:  References{NSA: []string{nsaAuthn}}},

		// --- Credentials stored in the cluster ---
		Control{ID: "cluster/bootstrap-token-secret", Title: "Bootstrap token Secret present", Layer: Cluster, Severity: Medium,
			Rationale:   "A Secret of type bootstrap.kubernetes.io/token in kube-system is a bearer token that authenticates as a member of system:bootstrappers: with kubeadm's default bindings it can request node client certificates that are approved automatically, i.e. join a machine to the cluster as a node. Bootstrap tokens are needed only while nodes join and should not outlive that.",
			Remediation: "Delete bootstrap tokens once the nodes have joined (`kubeadm token delete <token-id>`, or delete the Secret), and create short-lived ones (`kubeadm token create --ttl 1h`) when you add nodes. The token's expiration is not visible to kube4c, which judges by existence.",
			References:  References{NSA: []string{nsaAuthn}, MITRE: []string{"T1552.007"}}},
		Control{ID: "cluster/legacy-sa-token-secret", Title: "Long-lived service account token Secret", Layer: Cluster, Severity: Medium,
			Rationale: "A Secret of type kubernetes.io/service-account-token holds a service account token that never expires and is not bound to a pod: anyone who can read the Secret, or who finds the token later in a CI variable, kubeconfig or log, can use it for as long as the Secret exists. " +
				"Since Kubernetes 1.24 such Secrets are no longer created automatically, and the TokenRequest API issues short-lived, audience-bound tokens instead.",
			Remediation: "Use projected service account token volumes (the default for pods) or `kubectl create token <serviceaccount>` / the TokenRequest API for clients outside the cluster, then delete the token Secret. Kubernetes 1.29+ labels unused legacy tokens with kubernetes.io/legacy-token-invalid-since and deletes them later; such invalidated tokens are not reported.",
			References:  References{NSA: []string{nsaSAToken}, MITRE: []string{"T1528"}}},

		// --- RBAC ---
		Control{ID: "cluster/binding-to-anonymous", Title: "RBAC binding grants access to unauthenticated users", Layer: Cluster, Severity: Critical,
			Rationale: "A RoleBinding or ClusterRoleBinding whose subjects include User system:anonymous or Group system:unauthenticated grants its role to every request that carries no credentials. With anonymous authentication enabled (the default), anyone who can reach the API server gets those permissions. " +
				"The default bindings the API server (and kubeadm, for the cluster-info ConfigMap) create for these subjects are exempt; see docs/cluster.md.",
			Remediation: "Remove system:anonymous and system:unauthenticated from the binding's subjects, or delete the binding; grant the permissions to authenticated identities (users, groups, service accounts) that need them.",
			References:  References{NSA: []string{nsaRBAC}, MITRE: []string{"T1133"}}},
		Control{ID: "cluster/binding-to-all-authenticated", Title: "RBAC binding grants access to every authenticated user", Layer: Cluster, Severity: High,
			Rationale: "A binding to Group system:authenticated grants its role to every identity the API server accepts: every service account token of every pod in the cluster, every node, and on some managed services any account of the identity provider. A compromised workload anywhere in the cluster gets these permissions. " +
				"The default bindings the API server creates for this group (system:basic-user, system:discovery, system:public-info-viewer) are exempt; see docs/cluster.md.",
			Remediation: "Replace the subject with the specific users, groups or service accounts that need the role, or delete the binding.",
			References:  References{NSA: []string{nsaRBAC}, MITRE: []string{"T1078"}}},

		// --- Service accounts ---
		Control{ID: "cluster/default-sa-automount", Title: "Default ServiceAccount mounts its token into pods", Layer: Cluster, Severity: Medium,
			Rationale:   "Pods that name no service account run as their namespace's default ServiceAccount, and unless it sets automountServiceAccountToken: false every such pod gets an API token mounted, whether or not it calls the API. Any permission later granted to the default ServiceAccount is then handed to every such pod.",
			Remediation: "Set `automountServiceAccountToken: false` on the default ServiceAccount of each namespace (e.g. `kubectl patch serviceaccount default -n <ns> -p '{\"automountServiceAccountToken\": false}'`), grant it no RBAC permissions, and give workloads that call the API their own ServiceAccount.",
			References:  References{CIS: []string{"5.1.5"}, NSA: []string{nsaSAToken}, MITRE: []string{"T1528"}}},
	)
}
