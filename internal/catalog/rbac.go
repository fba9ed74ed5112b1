package catalog

// Cluster-layer controls of the rbac analyzer: what RBAC grants to whom, judged on the effective
// permissions of every binding's subjects (internal/rbac), and the privilege-escalation paths those
// permissions open. System components are exempt. See docs/rbac.md.

func init() {
	register(
		// --- Full control ---
		Control{ID: "cluster/rbac-cluster-admin", Title: "Cluster-admin access granted beyond system components", Layer: Cluster, Severity: Critical,
			Rationale: "A ClusterRoleBinding to cluster-admin, or to any role with every verb on every resource of every API group, gives its subjects full control of the cluster: every Secret, every workload, every node through privileged pods, and RBAC itself. Each such subject's credentials are a single point of compromise for the whole cluster. " +
				"Members of Group system:masters bypass RBAC altogether (the API server authorizes them before RBAC is asked), so a binding to that group that is not the API server's own is a sign that system:masters credentials are in use; they cannot be revoked by removing a binding.",
			Remediation: "Bind cluster-admin only to a small break-glass group, and give people and service accounts roles with the verbs and resources they need, in the namespaces they need (a RoleBinding to admin or edit grants a namespace, not the cluster). " +
				"Do not issue client certificates with the system:masters organization; remove bindings to Group system:masters other than the API server's bootstrap cluster-admin binding.",
			References: References{CIS: []string{"5.1.1", "5.1.7"}, NSA: []string{nsaRBAC}, MITRE: []string{"T1078"}}},
		Control{ID: "cluster/rbac-wildcard", Title: "RBAC rule grants wildcard verbs or resources", Layer: Cluster, Severity: Medium,
			Rationale:   "A rule with \"*\" in its verbs or resources grants every present and future verb or resource it matches: new subresources, custom resources installed later and verbs such as escalate, bind or impersonate that nobody meant to grant. What the subject may do can no longer be read from the role, and it grows with the cluster.",
			Remediation: "List the verbs and resources the subject needs explicitly. For read-only access use get, list and watch on named resources; keep \"*\" for break-glass roles. Grants that are already full cluster-admin are reported by cluster/rbac-cluster-admin instead.",
			References:  References{CIS: []string{"5.1.3"}, NSA: []string{nsaRBAC}, MITRE: []string{"T1078"}}},

		// --- Credentials ---
		Control{ID: "cluster/rbac-secrets-read", Title: "Read access to Secrets cluster-wide or in kube-system", Layer: Cluster, Severity: High,
			Rationale: "get, list or watch on Secrets returns their values. Across all namespaces or in kube-system that includes the credentials of every application, the tokens of legacy service account token Secrets (some of them bound to powerful controllers) and bootstrap tokens: whoever reads every Secret can usually become any service account, which makes the permission close to cluster-admin. " +
				"list and watch are as dangerous as get: they return the full objects.",
			Remediation: "Grant Secret access per namespace with RoleBindings, and with resourceNames where the application reads known Secrets. Controllers that must read Secrets everywhere (secret replicators, external-secrets operators) should run with their own, audited service account; consider an external secret store so that Secrets hold nothing valuable.",
			References:  References{CIS: []string{"5.1.2"}, NSA: []string{nsaRBAC, nsaSecrets}, MITRE: []string{"T1552.007", "T1528"}}},
		Control{ID: "cluster/rbac-create-token", Title: "Permission to create service account tokens", Layer: Cluster, Severity: High,
			Rationale:   "create on serviceaccounts/token (the TokenRequest API) issues a fresh token for a service account: the subject can act as any service account it may request tokens for (in the namespace of a RoleBinding, or in every namespace), including those of controllers and operators with far more permissions than its own.",
			Remediation: "Grant serviceaccounts/token create only to the components that issue tokens (the kubelet does so for pods without any RBAC grant), limited with resourceNames to the service accounts they serve. People should get short-lived tokens for their own identity, not for service accounts.",
			References:  References{CIS: []string{"5.1.13"}, NSA: []string{nsaRBAC}, MITRE: []string{"T1528"}}},
		Control{ID: "cluster/rbac-approve-csr", Title: "Permission to approve certificate signing requests", Layer: Cluster, Severity: High,
			Rationale: "update on certificatesigningrequests/approval together with approve on a kubernetes.io signer lets the subject approve certificate signing requests, including its own: with the kube-apiserver-client signer the cluster's own CA issues it a client certificate for any user name and groups (the CertificateSubjectRestriction admission plugin, on by default, refuses only system:masters), a cluster administrator's included. The certificate stays valid until it expires; RBAC cannot revoke it. " +
				"Both halves are needed, so the control is evaluated per subject across all of its grants.",
			Remediation: "Leave CSR approval to the controllers that do it (kube-controller-manager's csrapproving controller for node certificates). Give custom approvers approve only on their own signer (resourceNames: [example.com/my-signer]), never on kubernetes.io signers.",
			References:  References{CIS: []string{"5.1.11"}, NSA: []string{nsaRBAC}, MITRE: []string{"T1078", "T1098"}}},

		// --- RBAC and identity ---
		Control{ID: "cluster/rbac-escalate-bind", Title: "Permission to escalate or bind roles", Layer: Cluster, Severity: High,
			Rationale:   "RBAC prevents privilege escalation by refusing to let a subject create or update a role, or bind a role, that grants more than the subject already holds. The escalate verb on roles or clusterroles lifts the first check, and bind lifts the second: with either, together with permission to write roles or bindings, the subject can grant itself any permission (any role, cluster-admin included, through a ClusterRoleBinding; any ClusterRole within the namespace through a RoleBinding).",
			Remediation: "Remove escalate and bind from roles given to people and workloads. Where a component must delegate roles (a namespace provisioning controller), grant bind with resourceNames naming exactly the roles it may hand out.",
			References:  References{CIS: []string{"5.1.8"}, NSA: []string{nsaRBAC}, MITRE: []string{"T1098.006"}}},
		Control{ID: "cluster/rbac-impersonate", Title: "Permission to impersonate users, groups or service accounts", Layer: Cluster, Severity: High,
			Rationale:   "The impersonate verb lets a subject send requests as another identity (kubectl --as, --as-group). Impersonating users or groups cluster-wide includes system:masters and every administrator; impersonating service accounts includes every controller's service account. The subject then holds the union of the permissions of everyone it may impersonate, and the audit log records the impersonated identity's actions.",
			Remediation: "Remove impersonate from roles given to people and workloads, or limit it with resourceNames to the specific identities a support or proxy component needs to act as. Prefer giving the subject the permissions it needs directly.",
			References:  References{CIS: []string{"5.1.8"}, NSA: []string{nsaRBAC}, MITRE: []string{"T1078"}}},
		Control{ID: "cluster/rbac-default-sa-bound", Title: "Default ServiceAccount granted permissions", Layer: Cluster, Severity: Medium,
			Rationale:   "Every pod that names no service account runs as its namespace's default ServiceAccount. A binding that grants the default ServiceAccount any permission hands it to every such pod, present and future, including pods from charts and tools that never asked for it.",
			Remediation: "Remove the default ServiceAccount from the binding. Create a dedicated ServiceAccount for the workload that needs the permissions, bind the role to it, and set spec.serviceAccountName in that workload only.",
			References:  References{CIS: []string{"5.1.5"}, NSA: []string{nsaRBAC, nsaSAToken}, MITRE: []string{"T1528"}}},

		// --- Workloads and nodes ---
		Control{ID: "cluster/rbac-create-pods", Title: "Permission to create pods or pod-creating workloads", Layer: Cluster, Severity: Medium,
			Rationale: "Whoever may create a pod, directly or through a Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob or ReplicationController, chooses the pod's service account and the Secrets, ConfigMaps and volumes it mounts: the subject can act as any service account of the namespace and read any Secret there, whatever its own permissions say. Where Pod Security admission allows it, the pod can also be privileged and take over its node. " +
				"It is the usual permission of deployers and CI pipelines; a ClusterRoleBinding grants it in every namespace, kube-system included.",
			Remediation: "Grant pod and workload creation per namespace (RoleBindings), to deployment pipelines rather than people, and keep powerful service accounts out of namespaces where others may create pods. Enforce the restricted Pod Security level in those namespaces.",
			References:  References{CIS: []string{"5.1.4"}, NSA: []string{nsaRBAC}, MITRE: []string{"T1610"}}},
		Control{ID: "cluster/rbac-pods-exec", Title: "Permission to exec into, attach to or port-forward pods", Layer: Cluster, Severity: Medium,
			Rationale: "pods/exec and pods/attach run commands in, or attach to, running containers: the subject acts with everything the container holds, its service account token, mounted Secrets and network position included. pods/portforward reaches ports no Service exposes. " +
				"Before Kubernetes 1.35 (or with the AuthorizePodWebsocketUpgradeCreatePermission feature gate off) get on these subresources is enough through WebSocket connections, so get is reported as well as create.",
			Remediation: "Grant pods/exec, pods/attach and pods/portforward only for debugging, per namespace, preferably time-limited (just-in-time access). Workloads should never need them.",
			References:  References{NSA: []string{nsaRBAC}, MITRE: []string{"T1609"}}},
		Control{ID: "cluster/rbac-nodes-proxy", Title: "Access to the kubelet API through nodes/proxy", Layer: Cluster, Severity: High,
			Rationale:   "The nodes/proxy subresource gives access to the kubelet API of every node, directly or proxied by the API server: running commands in any container on the node (/exec, /run), reading logs and pod specs. Requests made directly to the kubelet are not recorded in the API server's audit log, and get is enough for exec through a WebSocket connection.",
			Remediation: "Remove nodes/proxy from roles given to people and workloads. Monitoring agents need only nodes/metrics, nodes/stats (and, with fine-grained kubelet authorization, nodes/pods, nodes/healthz); grant those subresources instead.",
			References:  References{CIS: []string{"5.1.10"}, NSA: []string{nsaRBAC}, MITRE: []string{"T1609"}}},
		Control{ID: "cluster/rbac-modify-nodes-namespaces", Title: "Permission to modify nodes or namespaces", Layer: Cluster, Severity: Medium,
			Rationale:   "patch or update on namespaces changes their labels, including the Pod Security admission labels: the subject can set pod-security.kubernetes.io/enforce=privileged and then run privileged pods. A RoleBinding grants this for its own namespace. patch or update on nodes changes their labels and taints: the subject can attract workloads (node selectors and affinities of sensitive pods) to a node it controls, or remove the taints that keep workloads off control-plane nodes.",
			Remediation: "Grant patch and update on namespaces and nodes only to cluster administrators and the controllers that manage them. Namespace owners should get a namespaced role (admin or edit), which does not include the namespace object itself.",
			References:  References{NSA: []string{nsaRBAC}, MITRE: []string{"T1562.001"}}},
		Control{ID: "cluster/rbac-create-persistentvolumes", Title: "Permission to create PersistentVolumes", Layer: Cluster, Severity: Medium,
			Rationale:   "PersistentVolumes are cluster-scoped and may be hostPath volumes: a subject that can create one, and a claim and a pod that use it, mounts any directory of the node (the container runtime socket, the kubelet's credentials) without the pod itself declaring a hostPath, so Pod Security admission does not see it.",
			Remediation: "Let storage provisioners create PersistentVolumes through StorageClasses and dynamic provisioning; grant create on persistentvolumes only to the provisioners and cluster administrators.",
			References:  References{CIS: []string{"5.1.9"}, NSA: []string{nsaRBAC}, MITRE: []string{"T1611"}}},

		// --- Cluster defences ---
		Control{ID: "cluster/rbac-webhook-config", Title: "Permission to change admission webhooks or policies", Layer: Cluster, Severity: High,
			Rationale:   "Admission webhooks and policies see, and mutating ones may change, every object written to the cluster. A subject that can create or change MutatingWebhookConfigurations can inject containers, volumes or service accounts into every new pod and receive every Secret written; one that can change or delete ValidatingWebhookConfigurations or ValidatingAdmissionPolicies (and their bindings) can switch off the policy engines (Kyverno, Gatekeeper, Pod Security policies written as admission policies) that guard the cluster.",
			Remediation: "Grant create, update, patch and delete on mutatingwebhookconfigurations, validatingwebhookconfigurations, validatingadmissionpolicies, mutatingadmissionpolicies and their bindings only to cluster administrators and the installers of the components that own them.",
			References:  References{CIS: []string{"5.1.12"}, NSA: []string{nsaRBAC}, MITRE: []string{"T1562.001"}}},
		Control{ID: "cluster/rbac-delete-events", Title: "Permission to delete events", Layer: Cluster, Severity: Low,
			Rationale:   "Events record what happened to objects: failed mounts, image pulls, evictions, scheduling. A subject that can delete them (delete or deletecollection on events, in the core or events.k8s.io group) can remove the traces an investigation relies on. Events expire after an hour by default, so this is low severity, but deleting them is never part of normal work.",
			Remediation: "Remove delete and deletecollection on events from roles given to people and workloads; the API server expires events on its own (--event-ttl). Ship events to an external store if investigations need them longer.",
			References:  References{NSA: []string{nsaRBAC}, MITRE: []string{"T1070"}}},

		// --- Escalation ---
		Control{ID: "cluster/rbac-workload-admin-sa", Title: "Workload runs as an admin-equivalent service account", Layer: Cluster, Severity: Critical,
			Rationale: "The pods of the workload mount the token of a service account that is cluster-admin, or equivalent to it (it may read every Secret, impersonate, escalate or bind, create pods in kube-system, ...), or that reaches such a service account within a few steps. Anyone who compromises one of these pods, through a vulnerability in the application or a stolen token, owns the cluster. " +
				"This is the common case of third-party integrations (dashboards, CI agents, operators) installed with cluster-admin \"to make it work\".",
			Remediation: "Give the workload a role with only the permissions it needs (most operators document theirs), scoped to the namespaces it manages. If it does not call the API, set automountServiceAccountToken: false in its pod template. Break the escalation chain the finding shows where it is not needed.",
			References:  References{CIS: []string{"5.1.1", "5.1.6"}, NSA: []string{nsaRBAC, nsaSAToken}, MITRE: []string{"T1528", "T1078"}}},
		Control{ID: "cluster/rbac-escalation-path", Title: "Subject can escalate to cluster-admin", Layer: Cluster, Severity: High,
			Rationale:   "The subject is not cluster-admin, but its permissions let it become an identity that is (or that can go one step further), for example by creating a pod that runs as a more powerful service account, reading that service account's token, requesting a token for it, or binding itself a role. RBAC reviews that look at one binding at a time miss these chains; each step is reported by its own control, the chain only here.",
			Remediation: "Break the chain at its first step: remove the permission that reaches the next identity (create pods or workloads, secrets, serviceaccounts/token, impersonate, bind, escalate), or move the powerful service account out of the namespace the subject can reach.",
			References:  References{NSA: []string{nsaRBAC}, MITRE: []string{"T1078", "T1098.006"}}},
	)
}
