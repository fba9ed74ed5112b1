package catalog

// Cluster-layer controls of the namespace analyzer: how namespaces are guarded (Pod Security
// admission labels, quotas, limit ranges, default-deny network policies) and which objects open
// the cluster to the outside or leak credentials (Services, Ingresses, ConfigMaps, the Kubernetes
// Dashboard). See docs/namespaces.md for which namespaces are judged.

const (
	nsaClusterNetworkPolicies = "Network separation and hardening: Network policies"
	nsaClusterEncryption      = "Network separation and hardening: Encryption"
)

func init() {
	register(
		// --- Pod Security admission ---
		Control{ID: "cluster/namespace-pss-enforce-missing", Title: "Namespace without a Pod Security enforce level", Layer: Cluster, Severity: Medium,
			Rationale: "Without the pod-security.kubernetes.io/enforce label, Pod Security admission applies only the cluster-wide default, which is privileged unless the API server's admission configuration says otherwise: any pod, including privileged pods with host access, can be created in the namespace.",
			Remediation: "Label the namespace with pod-security.kubernetes.io/enforce=restricted (or baseline where restricted is not yet possible), e.g. " +
				"`kubectl label namespace <ns> pod-security.kubernetes.io/enforce=restricted`; add pod-security.kubernetes.io/enforce-version to pin the standard.",
			References: References{CIS: []string{"5.2.1"}, NSA: []string{nsaPSE}, MITRE: []string{"T1611"}}},
		Control{ID: "cluster/namespace-pss-privileged", Title: "Namespace enforces the privileged Pod Security level", Layer: Cluster, Severity: High,
			Rationale:   "pod-security.kubernetes.io/enforce=privileged switches Pod Security admission off for the namespace: privileged containers, host namespaces and hostPath volumes are all admitted, so anyone who can create pods there can take over the node.",
			Remediation: "Set pod-security.kubernetes.io/enforce to restricted or baseline. Move the few workloads that really need privileges (node agents, CNI, storage drivers) to a dedicated namespace with tightly limited access.",
			References:  References{CIS: []string{"5.2.1"}, NSA: []string{nsaPSE}, MITRE: []string{"T1611"}}},

		// --- Resource policies ---
		Control{ID: "cluster/namespace-no-resourcequota", Title: "Namespace without a ResourceQuota", Layer: Cluster, Severity: Low,
			Rationale:   "Without a ResourceQuota nothing caps the total CPU, memory, storage and object count the namespace's workloads can claim; one compromised or misbehaving workload can starve every other tenant of the cluster.",
			Remediation: "Create a ResourceQuota in the namespace with spec.hard limits (requests.cpu, requests.memory, limits.cpu, limits.memory, pods, ...).",
			References:  References{NSA: []string{nsaResources}, MITRE: []string{"T1499"}}},
		Control{ID: "cluster/namespace-no-limitrange", Title: "Namespace without a LimitRange", Layer: Cluster, Severity: Low,
			Rationale:   "A LimitRange gives containers that declare no requests or limits sane defaults and caps what a single container may ask for; without one, such containers run unbounded and can exhaust their node.",
			Remediation: "Create a LimitRange in the namespace with a limit of type Container (default, defaultRequest and max for cpu and memory).",
			References:  References{NSA: []string{nsaResources}, MITRE: []string{"T1499"}}},

		// --- Network policies ---
		Control{ID: "cluster/namespace-no-default-deny-ingress", Title: "Namespace without a default-deny ingress NetworkPolicy", Layer: Cluster, Severity: Medium,
			Rationale:   "Pods accept traffic from every pod in the cluster until a NetworkPolicy selects them. Without a default-deny ingress policy, a compromised pod anywhere in the cluster can reach every service in the namespace, and new workloads are open by default.",
			Remediation: "Add a NetworkPolicy with `podSelector: {}`, `policyTypes: [Ingress]` and no ingress rules, then allow the traffic each workload needs with narrower policies.",
			References:  References{CIS: []string{"5.3.2"}, NSA: []string{nsaClusterNetworkPolicies}}},
		Control{ID: "cluster/namespace-no-default-deny-egress", Title: "Namespace without a default-deny egress NetworkPolicy", Layer: Cluster, Severity: Low,
			Rationale:   "Pods may open connections to any address until a NetworkPolicy restricts their egress. Without a default-deny egress policy, a compromised pod can reach the cloud metadata service, internal systems and the internet to exfiltrate data or download tools.",
			Remediation: "Add a NetworkPolicy with `podSelector: {}`, `policyTypes: [Egress]` and no egress rules, then allow DNS and each workload's required destinations with narrower policies.",
			References:  References{CIS: []string{"5.3.2"}, NSA: []string{nsaClusterNetworkPolicies}}},

		// --- Objects ---
		Control{ID: "cluster/configmap-credentials", Title: "Credential stored in a ConfigMap", Layer: Cluster, Severity: High,
			Rationale:   "ConfigMaps are not meant for secrets: the built-in view role and many tools and operators may read every ConfigMap but no Secret, kubectl describe prints their values, and they are usually left out of the encryption at rest clusters configure for Secrets. A password, token or private key in a ConfigMap is effectively public inside the cluster.",
			Remediation: "Move the value to a Secret (or an external secret store with a CSI driver or operator) and reference it with secretKeyRef, envFrom.secretRef or a secret volume; then rotate the exposed credential.",
			References:  References{NSA: []string{nsaSecrets}, MITRE: []string{"T1552.007"}}},
		Control{ID: "cluster/service-exposed-no-source-ranges", Title: "Service exposed outside the cluster without source restrictions", Layer: Cluster, Severity: Medium,
			Rationale: "A LoadBalancer Service without loadBalancerSourceRanges (or with 0.0.0.0/0) is reachable from anywhere the load balancer is, typically the internet. A NodePort Service opens its port on every node's addresses, outside any ingress controller, TLS termination or authentication layer, and NodePort has no source-range field at all. " +
				"Both are reported at the same medium severity: neither is a vulnerability by itself, both widen the attack surface to the network the nodes or load balancers sit on.",
			Remediation: "For LoadBalancer Services set spec.loadBalancerSourceRanges to the client networks, or make the load balancer internal (cloud-specific annotation). Replace NodePort Services with ClusterIP Services behind an Ingress or Gateway; when a NodePort is required, restrict node ports with cloud firewall rules.",
			References:  References{MITRE: []string{"T1133"}}},
		Control{ID: "cluster/ingress-no-tls", Title: "Ingress serves hosts without TLS", Layer: Cluster, Severity: Medium,
			Rationale:   "Hosts an Ingress routes without a matching spec.tls entry are served over plain HTTP: credentials, session cookies and data cross the network unencrypted and can be read or altered in transit.",
			Remediation: "Add spec.tls entries whose hosts cover every rule host, each with a certificate Secret (for example issued by cert-manager), and redirect HTTP to HTTPS in the ingress controller.",
			References:  References{NSA: []string{nsaClusterEncryption}}},
		Control{ID: "cluster/dashboard-deployed", Title: "Kubernetes Dashboard deployed", Layer: Cluster, Severity: Low,
			Rationale:   "The Kubernetes Dashboard is a web UI that can create workloads and read Secrets with the permissions of its service account or of the tokens users paste into it. It is a frequent target and, when over-privileged or exposed, a direct path to cluster compromise.",
			Remediation: "Remove the Dashboard if it is not needed. Otherwise run it with a minimal-privilege service account, require token or OIDC login, and reach it only through kubectl port-forward or an authenticated proxy.",
			References:  References{}},
		Control{ID: "cluster/dashboard-exposed", Title: "Kubernetes Dashboard exposed outside the cluster", Layer: Cluster, Severity: High,
			Rationale:   "A Dashboard reachable through a LoadBalancer or NodePort Service, or routed by an Ingress, is an externally reachable management interface for the cluster; exposed dashboards have been used to take over clusters and run cryptominers.",
			Remediation: "Make the Dashboard's Services ClusterIP, remove Ingress routes to it, and reach it with kubectl port-forward or through an authenticating proxy with strong authentication.",
			References:  References{MITRE: []string{"T1133"}}},
	)
}
