package catalog

// Cloud-layer controls of the exposure analyzer: what `kube4c probe` saw answering on the network
// without credentials — container runtimes, kubelets, etcd, API servers, API proxies and cluster
// dashboards. They judge the attacker's view of the hosts the user names; the cluster-layer
// controls of the same names judge what a cluster's configuration says. See docs/probe.md.

const (
	nsaControlPlane = "Network separation and hardening: Control plane hardening"
	nsaWorkerNodes  = "Network separation and hardening: Worker node segmentation"
)

func init() {
	register(
		Control{ID: "cloud/docker-api-exposed", Title: "Docker Engine API reachable without client authentication", Layer: Cloud, Severity: Critical,
			Rationale: "The Docker Engine API (dockerd listening on TCP, usually 2375 in plain HTTP, or 2376 with TLS but without --tlsverify) answered without a client certificate. The API has no authentication of its own: whoever can connect controls the daemon, starts a privileged container that mounts the host's root filesystem and owns the host — on a Kubernetes node, with it the kubelet's credentials and every pod there. " +
				"Exposed Docker APIs are scanned for continuously and used to deploy cryptominers and backdoored containers. Podman's Docker-compatible API answers the same way and is judged the same.",
			Remediation: "Do not listen on TCP: remove `-H tcp://…` from dockerd's command line and `hosts` from /etc/docker/daemon.json so that only the Unix socket remains. " +
				"When remote access is needed, use SSH (`DOCKER_HOST=ssh://user@host`) or `--tlsverify` with `--tlscacert`, `--tlscert` and `--tlskey`, so that only clients with a certificate from your CA are served, and firewall the port. Kubernetes nodes (1.24+) run containerd or CRI-O and need no dockerd at all.",
			References: References{NSA: []string{nsaWorkerNodes}, MITRE: []string{"T1133", "T1610"}}},

		Control{ID: "cloud/kubelet-api-anonymous", Title: "Kubelet API serves anonymous requests", Layer: Cloud, Severity: Critical,
			Rationale: "The kubelet's HTTPS API (port 10250) answered GET /pods with 200 to a request without credentials. The same API streams container logs and runs commands in every container on the node (/exec, /run, /attach): anonymous authentication is enabled and authorization allows anonymous requests (--authorization-mode=AlwaysAllow, the kubelet's default without a configuration file). " +
				"Anyone who can reach the port reads every pod spec on the node, including literal environment values that often hold credentials, and can run code in its containers. A 401 (anonymous authentication off) or 403 (authorization denies system:anonymous) passes.",
			Remediation: "In the kubelet configuration set `authentication.anonymous.enabled: false`, `authentication.webhook.enabled: true` and `authorization.mode: Webhook` (flags `--anonymous-auth=false --authorization-mode=Webhook`), keep `authentication.x509.clientCAFile` so the API server can still authenticate, and restart the kubelet. " +
				"Allow port 10250 only from the control plane (and monitoring that authenticates) with firewall rules or security groups.",
			References: References{CIS: []string{"4.2.1", "4.2.2"}, NSA: []string{nsaAuthn, nsaWorkerNodes}, MITRE: []string{"T1609", "T1552.007", "T1613"}}},

		Control{ID: "cloud/kubelet-readonly-port", Title: "Kubelet read-only port open", Layer: Cloud, Severity: High,
			Rationale: "The kubelet's read-only port (10255 by default) answered GET /pods over plain HTTP. It serves /pods, /spec and /stats with no authentication or authorization at all: the full spec of every pod on the node, including literal environment values that often hold credentials, the images and versions that run where, and the node's details. " +
				"It is off (readOnlyPort: 0) when the kubelet is configured with a configuration file, but some older node images and hand-built nodes still open it.",
			Remediation: "Set `readOnlyPort: 0` in the kubelet configuration (or `--read-only-port=0`) and restart the kubelet. Monitoring that scraped the read-only port should use the authenticated port 10250 with a service account token instead.",
			References:  References{CIS: []string{"4.2.4"}, NSA: []string{nsaWorkerNodes}, MITRE: []string{"T1613", "T1552.007"}}},

		Control{ID: "cloud/etcd-no-client-cert-auth", Title: "etcd serves clients without a client certificate", Layer: Cloud, Severity: Critical,
			Rationale: "etcd answered its client API (GET /version) to a client that presented no certificate, either over plain HTTP or over TLS without --client-cert-auth. etcd holds the whole cluster state: every Secret (in clear unless encryption at rest is configured), every service account token Secret, every workload and RBAC rule. " +
				"Anyone who reaches the port can read and rewrite all of it directly, bypassing the API server's authentication, authorization, admission and audit. A TLS handshake refused for lack of a client certificate passes.",
			Remediation: "Serve clients over TLS (`--cert-file`, `--key-file`) with `--client-cert-auth=true` and `--trusted-ca-file` pointing at a CA used only for etcd, and give kube-apiserver a client certificate from it (`--etcd-certfile`, `--etcd-keyfile`, `--etcd-cafile`); kubeadm sets this up. " +
				"Listen only on the addresses the API servers use and allow ports 2379-2380 only from the control plane.",
			References: References{CIS: []string{"2.1", "2.2"}, NSA: []string{nsaControlPlane}, MITRE: []string{"T1133", "T1552.007"}}},

		Control{ID: "cloud/apiserver-anonymous-discovery", Title: "API server serves API discovery to anonymous network clients", Layer: Cloud, Severity: High,
			Rationale: "A request sent over the network without credentials got 200 from the API server's /api or /apis: anonymous authentication is enabled and RBAC grants system:anonymous or system:unauthenticated more than the default system:public-info-viewer role (often system:discovery bound to system:unauthenticated, left over from clusters created before Kubernetes 1.14). " +
				"Anyone who can reach the port enumerates the cluster's APIs, and every other permission granted to unauthenticated users is open to them too. This is the network view of cluster/apiserver-anonymous-access, which judges the same API server when `kube4c scan --cluster` reads it with credentials.",
			Remediation: "Remove the bindings to User system:anonymous and Group system:unauthenticated (`kube4c scan --cluster` reports them as cluster/binding-to-anonymous). " +
				"Where nothing needs anonymous requests, start kube-apiserver with --anonymous-auth=false, or (Kubernetes 1.32+) allow anonymous requests only to /healthz, /livez and /readyz with the anonymous.conditions of an AuthenticationConfiguration file. Allow the API server's port only from the networks that administer the cluster.",
			References: References{CIS: []string{"1.2.1"}, NSA: []string{nsaAuthn}, MITRE: []string{"T1133", "T1613"}}},

		Control{ID: "cloud/apiserver-anonymous-version", Title: "API server discloses its version to anonymous network clients", Layer: Cloud, Severity: Low,
			Rationale: "The API server answered GET /version to a request without credentials. With anonymous authentication enabled (the Kubernetes default) the system:public-info-viewer role lets anyone who can reach the port read its exact version and build, which tells an attacker which published vulnerabilities apply. " +
				"It is default behaviour and discloses nothing else, hence low severity; it is not judged separately when cloud/apiserver-anonymous-discovery fails for the same endpoint. This is the network view of cluster/apiserver-anonymous-version.",
			Remediation: "Start kube-apiserver with --anonymous-auth=false if nothing relies on unauthenticated health checks, or (Kubernetes 1.32+) allow anonymous requests only to /healthz, /livez and /readyz with the anonymous.conditions of an AuthenticationConfiguration file. Restricting network access to the API server also limits who can ask.",
			References:  References{NSA: []string{nsaAuthn}}},

		Control{ID: "cloud/kubernetes-api-plain-http", Title: "Kubernetes API served over plain HTTP without authentication", Layer: Cloud, Severity: Critical,
			Rationale: "A port answered Kubernetes API requests (/api, /apis or /version) over plain HTTP to a client without credentials. Only two things do that: `kubectl proxy`, which forwards every request with the credentials of whoever started it (usually a cluster administrator), and the API server's insecure port (--insecure-port, removed in Kubernetes 1.20), which skipped authentication and authorization altogether. " +
				"Either way anyone who reaches the port acts with those privileges, in clear text, and the audit log names the proxy's user rather than them.",
			Remediation: "Stop the proxy, or keep it on 127.0.0.1 (its default: do not pass --address=0.0.0.0 or --accept-hosts='.*'); use `kubectl port-forward` or authenticated access to the API server instead. Upgrade any API server that still has an insecure port, or start it with --insecure-port=0.",
			References:  References{NSA: []string{nsaAuthn, nsaControlPlane}, MITRE: []string{"T1133"}}},

		Control{ID: "cloud/dashboard-exposed", Title: "Cluster dashboard reachable from the network", Layer: Cloud, Severity: High,
			Rationale: "A Kubernetes web UI answered: the Kubernetes Dashboard, Headlamp or Weave Scope. They manage the cluster with the permissions of their own service account or of the token a user pastes in; the Dashboard started with --enable-skip-login serves its service account's permissions to anyone, and Weave Scope has no authentication at all and opens shells in any container. " +
				"Exposed dashboards are a classic way into clusters (cryptomining campaigns have used them for years). This is the network view of cluster/dashboard-exposed, which finds the Services and Ingresses that expose a Dashboard in manifests.",
			Remediation: "Do not expose the UI: make its Service ClusterIP, remove Ingress routes and node ports to it, and reach it with `kubectl port-forward` or behind an authenticating proxy (OIDC). Never run the Dashboard with --enable-skip-login or with a cluster-admin service account; remove Weave Scope, which is no longer maintained.",
			References:  References{MITRE: []string{"T1133"}}},
	)
}
