package catalog

// Cluster-layer controls of the netpol analyzer: what the NetworkPolicies of the scan allow,
// computed by the reachability engine (internal/netpol): namespaces without policies, workloads any
// pod can reach, egress to the cloud metadata service and to the whole internet, traffic between
// environments, ingress from the internet to workloads nothing exposes, and policies that select
// no pod. See docs/netpol.md.

const nsaCloudInfra = "Network separation and hardening: Protecting sensitive cloud infrastructure"

func init() {
	register(
		Control{ID: "cluster/namespace-no-networkpolicy", Title: "Namespace without any NetworkPolicy", Layer: Cluster, Severity: Medium,
			Rationale: "A pod is isolated only once a NetworkPolicy selects it. In a namespace without any NetworkPolicy every pod, present and future, accepts connections from every pod of the cluster on every port and may connect anywhere: a compromised pod elsewhere can reach its services, and a compromised pod in it can scan and reach everything else.",
			Remediation: "Give the namespace a default-deny NetworkPolicy (`podSelector: {}`, `policyTypes: [Ingress, Egress]`, no rules), then allow DNS and the traffic each workload needs with narrower policies. " +
				"The default-deny controls of the namespace analyzer (cluster/namespace-no-default-deny-ingress and -egress) check that both directions are covered.",
			References: References{CIS: []string{"5.3.2"}, NSA: []string{nsaClusterNetworkPolicies}, MITRE: []string{"T1046", "T1210"}}},
		Control{ID: "cluster/netpol-reachable-from-all-namespaces", Title: "Workload reachable from every pod of every namespace", Layer: Cluster, Severity: Medium,
			Rationale: "When no NetworkPolicy isolates a workload's ingress, or a policy allows it from every source (an ingress rule without from, a namespaceSelector {} without a podSelector, an ipBlock of 0.0.0.0/0), any pod in any namespace, including namespaces created later and pods of other teams or tenants, can connect to it. A single compromised pod anywhere in the cluster is then one hop away from the workload's API, database or admin port. " +
				"Host-network pods are never isolated by NetworkPolicies.",
			Remediation: "Select the workload with a NetworkPolicy for Ingress and allow only the sources that need it: pods of its own namespace by podSelector, and pods of other namespaces by a namespaceSelector naming those namespaces (kubernetes.io/metadata.name) together with a podSelector. Avoid hostNetwork.",
			References:  References{NSA: []string{nsaClusterNetworkPolicies}, MITRE: []string{"T1210", "T1046"}}},
		Control{ID: "cluster/netpol-egress-to-metadata", Title: "Workload can reach the cloud instance metadata service", Layer: Cluster, Severity: High,
			Rationale: "Cloud providers serve instance metadata at 169.254.169.254 (AWS also at fd00:ec2::254): the node's identity, its bootstrap data (on some platforms the kubelet's credentials) and temporary credentials of the node's cloud role. A pod that may connect there can steal those credentials, often with far more power in the cloud account than anything inside the cluster; server-side request forgery in any web application is enough. " +
				"Pods on the host network reach it as the node does, whatever the policies say.",
			Remediation: "Restrict the workload's egress with a NetworkPolicy and leave the metadata addresses out: list the destinations it needs, or when it needs the internet use `ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}` (or 169.254.0.0/16 with the private ranges). " +
				"On the cloud side, require IMDSv2 with a hop limit of 1 (AWS), or use the platform's workload identity and metadata concealment (GKE metadata server, EKS Pod Identity, AKS workload identity).",
			References: References{NSA: []string{nsaCloudInfra, nsaClusterNetworkPolicies}, MITRE: []string{"T1552.005"}}},
		Control{ID: "cluster/netpol-cross-environment", Title: "Traffic allowed between environments", Layer: Cluster, Severity: High,
			Rationale:   "Namespaces labelled as different environments (env=dev and env=prod, with the keys of --env-label-keys) share a cluster but not a level of trust: development workloads run unreviewed code, test data and debugging tools. When NetworkPolicies let a workload of one environment connect to a workload of another, a compromise of the weakest environment reaches production services and data directly.",
			Remediation: "Isolate each environment's namespaces: a default-deny ingress policy in every namespace, and allow rules whose namespaceSelector names only namespaces of the same environment (e.g. `namespaceSelector: {matchLabels: {env: prod}}`). Better still, run production in a cluster of its own.",
			References:  References{NSA: []string{nsaClusterNetworkPolicies, nsaNS}, MITRE: []string{"T1210"}}},
		Control{ID: "cluster/netpol-selects-no-pod", Title: "NetworkPolicy selects no pod", Layer: Cluster, Severity: Low,
			Rationale:   "A NetworkPolicy whose podSelector matches no workload of its namespace (a misspelled label key or value, a renamed app) protects nothing: the workloads it was written for stay open, while the policy gives reviewers the impression that they are isolated. A policy that selects only host-network pods has no effect either.",
			Remediation: "Fix the podSelector to match the pod template labels of the workloads it is meant for (`kubectl get pods -n <ns> -l <selector>` must list them), or delete the policy if the workload is gone. An empty podSelector (`{}`) is not reported: it applies to every pod of the namespace, present and future.",
			References:  References{NSA: []string{nsaClusterNetworkPolicies}}},
		Control{ID: "cluster/netpol-internet-ingress-unexposed", Title: "Internet ingress allowed to a workload nothing exposes", Layer: Cluster, Severity: Medium,
			Rationale:   "A NetworkPolicy that allows ingress from every internet address (an ipBlock of 0.0.0.0/0, with or without the private ranges excepted, or an ingress rule without from) lets anything outside the cluster connect, although no LoadBalancer or NodePort Service and no Ingress exposes the workload. Nothing legitimate outside the cluster needs that rule, but anything that can route to the pod network can use it: with VPC-native networking (AWS VPC CNI, GKE, Azure CNI) pod addresses are reachable from the VPC, peered networks and VPNs, and a Service exposed later inherits the open rule.",
			Remediation: "Replace the ipBlock 0.0.0.0/0 with the pods (podSelector, namespaceSelector) or the networks (narrow ipBlocks) that need the workload. Workloads that are meant to be reached from outside should be exposed by a Service or Ingress, whose own source restrictions then apply.",
			References:  References{NSA: []string{nsaClusterNetworkPolicies}, MITRE: []string{"T1190"}}},
		Control{ID: "cluster/netpol-unrestricted-egress", Title: "Workload may connect anywhere on any port", Layer: Cluster, Severity: Low,
			Rationale:   "A workload whose egress no NetworkPolicy restricts, or whose policies allow every public internet address on every port (0.0.0.0/0, with or without the private ranges and the metadata address excepted), can open connections to any host on the internet: a compromised container downloads its tools, reaches its command-and-control server on any port and exfiltrates data, and nothing in the cluster stands in the way.",
			Remediation: "Select the workload with an egress NetworkPolicy that allows DNS and the destinations it needs on their ports only. When it must reach the internet, allow it on the ports it uses (usually 443) and except the private ranges and the metadata address.",
			References:  References{NSA: []string{nsaClusterNetworkPolicies}, MITRE: []string{"T1048", "T1571"}}},
	)
}
