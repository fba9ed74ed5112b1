package catalog

// Container-layer controls: how pods and their containers are configured. The Pod Security
// Standards checks are evaluated with k8s.io/pod-security-admission; one control per PSS check.

func pss(check, level string) *PSSRef { return &PSSRef{Check: check, Level: level} }

const (
	nsaNonRoot   = "Kubernetes Pod security: Non-root containers and rootless container engines"
	nsaImmutable = "Kubernetes Pod security: Immutable container file systems"
	nsaImages    = "Kubernetes Pod security: Building secure container images"
	nsaPSE       = "Kubernetes Pod security: Pod security enforcement"
	nsaSAToken   = "Kubernetes Pod security: Protecting Pod service account tokens"
	nsaHarden    = "Kubernetes Pod security: Hardening container environments"
	nsaResources = "Network separation and hardening: Resource policies"
	nsaSecrets   = "Network separation and hardening: Secrets"
	nsaNS        = "Network separation and hardening: Namespaces"
)

func init() {
	register(
		// --- Pod Security Standards: baseline ---
		Control{ID: "container/privileged", Title: "Privileged container", Layer: Container, Severity: Critical,
			Rationale:   "A privileged container runs with all capabilities and full access to the host's devices; it is root on the node, and escaping to the host is trivial.",
			Remediation: "Remove securityContext.privileged or set it to false. Grant only the specific capabilities the workload needs.",
			References:  References{PSS: pss("privileged", "baseline"), CIS: []string{"5.2.2"}, NSA: []string{nsaPSE}, MITRE: []string{"T1611"}}},
		Control{ID: "container/host-namespaces", Title: "Host namespaces shared", Layer: Container, Severity: High,
			Rationale:   "hostNetwork, hostPID and hostIPC let a pod see and interfere with the node's network, processes and shared memory, bypassing network policies and isolation.",
			Remediation: "Remove spec.hostNetwork, spec.hostPID and spec.hostIPC, or set them to false.",
			References:  References{PSS: pss("hostNamespaces", "baseline"), CIS: []string{"5.2.3", "5.2.4", "5.2.5"}, NSA: []string{nsaPSE}, MITRE: []string{"T1611"}}},
		Control{ID: "container/hostpath-volumes", Title: "HostPath volume", Layer: Container, Severity: High,
			Rationale:   "A hostPath volume exposes the node's filesystem to the pod; writable access to host paths is a common route to node compromise.",
			Remediation: "Replace hostPath volumes with persistent volumes, emptyDir, configMap or secret volumes.",
			References:  References{PSS: pss("hostPathVolumes", "baseline"), CIS: []string{"5.2.12"}, NSA: []string{nsaPSE}, MITRE: []string{"T1611"}}},
		Control{ID: "container/host-ports", Title: "Host port", Layer: Container, Severity: Medium,
			Rationale:   "hostPort binds the container to a port on the node's network interfaces, exposing it outside the cluster network and its policies.",
			Remediation: "Remove ports[].hostPort; expose the workload through a Service instead.",
			References:  References{PSS: pss("hostPorts", "baseline"), CIS: []string{"5.2.13"}, NSA: []string{nsaPSE}}},
		Control{ID: "container/host-probes-lifecycle", Title: "Probe or lifecycle handler targets another host", Layer: Container, Severity: Medium,
			Rationale:   "A probe or lifecycle hook with a host field makes the kubelet connect to an arbitrary address from the node, which can be abused to reach node-local or internal services.",
			Remediation: "Remove the host field from httpGet and tcpSocket probes and lifecycle handlers.",
			References:  References{PSS: pss("hostProbesAndHostLifecycle", "baseline"), NSA: []string{nsaPSE}}},
		Control{ID: "container/apparmor-unconfined", Title: "AppArmor disabled", Layer: Container, Severity: High,
			Rationale:   "Setting the AppArmor profile to unconfined (or a non-default profile by annotation) removes a kernel-enforced confinement layer.",
			Remediation: "Use the RuntimeDefault or a Localhost AppArmor profile; do not set it to Unconfined.",
			References:  References{PSS: pss("appArmorProfile", "baseline"), NSA: []string{nsaHarden}}},
		Control{ID: "container/capabilities-baseline", Title: "Capability beyond the baseline set added", Layer: Container, Severity: High,
			Rationale:   "Capabilities such as SYS_ADMIN, NET_ADMIN or NET_RAW give a container kernel privileges that enable escapes, sniffing and spoofing.",
			Remediation: "Remove capabilities.add entries other than the baseline set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT).",
			References:  References{PSS: pss("capabilities_baseline", "baseline"), CIS: []string{"5.2.8", "5.2.9"}, NSA: []string{nsaPSE}, MITRE: []string{"T1611"}}},
		Control{ID: "container/selinux-options", Title: "Custom SELinux options", Layer: Container, Severity: High,
			Rationale:   "Setting a custom SELinux user, role or a type outside the container types lets a container escape the confinement SELinux provides.",
			Remediation: "Do not set seLinuxOptions.user or role; limit type to container_t, container_init_t, container_kvm_t or container_engine_t.",
			References:  References{PSS: pss("seLinuxOptions", "baseline"), NSA: []string{nsaHarden}}},
		Control{ID: "container/proc-mount", Title: "Unmasked /proc mount", Layer: Container, Severity: High,
			Rationale:   "procMount: Unmasked exposes parts of /proc that the runtime normally masks, revealing host information and kernel interfaces.",
			Remediation: "Remove securityContext.procMount or set it to Default (Unmasked is allowed only for pods with hostUsers: false).",
			References:  References{PSS: pss("procMount", "baseline"), NSA: []string{nsaHarden}}},
		Control{ID: "container/seccomp-unconfined", Title: "Seccomp disabled", Layer: Container, Severity: High,
			Rationale:   "The Unconfined seccomp profile exposes every system call of the kernel to the container, enlarging the attack surface for kernel exploits.",
			Remediation: "Set seccompProfile.type to RuntimeDefault or Localhost.",
			References:  References{PSS: pss("seccompProfile_baseline", "baseline"), CIS: []string{"5.7.2"}, NSA: []string{nsaHarden}, MITRE: []string{"T1611"}}},
		Control{ID: "container/unsafe-sysctls", Title: "Unsafe sysctl", Layer: Container, Severity: High,
			Rationale:   "Sysctls outside the namespaced safe set change kernel parameters for the whole node.",
			Remediation: "Remove spec.securityContext.sysctls entries that are not in the safe set.",
			References:  References{PSS: pss("sysctls", "baseline"), NSA: []string{nsaHarden}}},
		Control{ID: "container/windows-hostprocess", Title: "Windows HostProcess container", Layer: Container, Severity: Critical,
			Rationale:   "A Windows HostProcess container runs directly on the host with host access; it is the Windows equivalent of a privileged container.",
			Remediation: "Remove windowsOptions.hostProcess or set it to false.",
			References:  References{PSS: pss("windowsHostProcess", "baseline"), CIS: []string{"5.2.11"}, NSA: []string{nsaPSE}, MITRE: []string{"T1611"}}},

		// --- Pod Security Standards: restricted ---
		Control{ID: "container/allow-privilege-escalation", Title: "Privilege escalation allowed", Layer: Container, Severity: Medium,
			Rationale:   "Unless allowPrivilegeEscalation is false, a process can gain more privileges than its parent (setuid binaries, file capabilities).",
			Remediation: "Set securityContext.allowPrivilegeEscalation: false on every container.",
			References:  References{PSS: pss("allowPrivilegeEscalation", "restricted"), CIS: []string{"5.2.6"}, NSA: []string{nsaNonRoot}}},
		Control{ID: "container/capabilities-not-dropped", Title: "Capabilities not dropped", Layer: Container, Severity: Medium,
			Rationale:   "Containers keep the runtime's default capabilities unless they drop them; restricted pods drop ALL and add back at most NET_BIND_SERVICE.",
			Remediation: "Set securityContext.capabilities.drop: [ALL] and add only NET_BIND_SERVICE if needed.",
			References:  References{PSS: pss("capabilities_restricted", "restricted"), CIS: []string{"5.2.9", "5.2.10"}, NSA: []string{nsaNonRoot}}},
		Control{ID: "container/proc-mount-restricted", Title: "Unmasked /proc mount", Layer: Container, Severity: Medium,
			Rationale:   "Restricted pods must keep the default /proc masking even when they run in a user namespace.",
			Remediation: "Remove securityContext.procMount or set it to Default.",
			References:  References{PSS: pss("procMount_restricted", "restricted"), NSA: []string{nsaHarden}}},
		Control{ID: "container/restricted-volume-types", Title: "Volume type outside the restricted set", Layer: Container, Severity: Medium,
			Rationale:   "Restricted pods may only use volume types that do not reach node or storage-backend resources directly (configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret, image).",
			Remediation: "Replace other volume types with a PersistentVolumeClaim or one of the allowed types.",
			References:  References{PSS: pss("restrictedVolumes", "restricted"), NSA: []string{nsaPSE}}},
		Control{ID: "container/run-as-non-root", Title: "Container may run as root", Layer: Container, Severity: Medium,
			Rationale:   "Without runAsNonRoot: true the container runs as whatever user the image declares, often root; root in a container is one kernel bug away from root on the node.",
			Remediation: "Set securityContext.runAsNonRoot: true (pod or every container) and use an image with a non-root USER.",
			References:  References{PSS: pss("runAsNonRoot", "restricted"), CIS: []string{"5.2.7"}, NSA: []string{nsaNonRoot}, MITRE: []string{"T1611"}}},
		Control{ID: "container/run-as-root-user", Title: "Container set to run as UID 0", Layer: Container, Severity: Medium,
			Rationale:   "runAsUser: 0 explicitly runs the container as root.",
			Remediation: "Set runAsUser to a non-zero UID, or remove it and rely on runAsNonRoot with a non-root image.",
			References:  References{PSS: pss("runAsUser", "restricted"), CIS: []string{"5.2.7"}, NSA: []string{nsaNonRoot}, MITRE: []string{"T1611"}}},
		Control{ID: "container/seccomp-profile-missing", Title: "No seccomp profile", Layer: Container, Severity: Medium,
			Rationale:   "Restricted pods must set a seccomp profile (RuntimeDefault or Localhost); without one many runtimes run unconfined.",
			Remediation: "Set spec.securityContext.seccompProfile.type: RuntimeDefault.",
			References:  References{PSS: pss("seccompProfile_restricted", "restricted"), CIS: []string{"5.7.2"}, NSA: []string{nsaHarden}}},

		// --- Beyond PSS ---
		Control{ID: "container/image-tag-latest", Title: "Image without tag or with :latest", Layer: Container, Severity: Medium,
			Rationale:   "An untagged or :latest image changes under the workload without review; what runs is not what was scanned or approved, and rollbacks are unreliable.",
			Remediation: "Reference a specific version tag, preferably together with the image digest (image:tag@sha256:...).",
			References:  References{NSA: []string{nsaImages}, MITRE: []string{"T1525"}}},
		Control{ID: "container/image-not-pinned", Title: "Image not pinned by digest", Layer: Container, Severity: Low,
			Rationale:   "Tags are mutable: a registry compromise or a re-pushed tag changes the code that runs. A digest pins the exact image.",
			Remediation: "Reference images by digest (image:tag@sha256:...), e.g. with your CI or a policy that resolves tags at deploy time.",
			References:  References{NSA: []string{nsaImages}, MITRE: []string{"T1525"}}},
		Control{ID: "container/image-registry-not-allowed", Title: "Image from a registry outside the allowed list", Layer: Container, Severity: High,
			Rationale:   "Images from unreviewed registries bypass the organisation's scanning, signing and provenance controls.",
			Remediation: "Pull the image from an allowed registry (mirror it there), or add the registry to --allowed-registries after review.",
			References:  References{CIS: []string{"5.5.1"}, NSA: []string{nsaImages}, MITRE: []string{"T1204.003"}}},
		Control{ID: "container/limits-missing", Title: "CPU or memory limit missing", Layer: Container, Severity: Medium,
			Rationale:   "A container without CPU and memory limits can starve its neighbours and the node (noisy neighbour, resource-exhaustion denial of service, cryptomining).",
			Remediation: "Set resources.limits.cpu and resources.limits.memory on every container (or enforce them with a LimitRange).",
			References:  References{NSA: []string{nsaResources}, MITRE: []string{"T1496", "T1499"}}},
		Control{ID: "container/requests-missing", Title: "CPU or memory request missing", Layer: Container, Severity: Low,
			Rationale:   "Without requests the scheduler cannot place the pod on a node with enough resources, and the pod is evicted first under pressure.",
			Remediation: "Set resources.requests.cpu and resources.requests.memory on every container.",
			References:  References{NSA: []string{nsaResources}}},
		Control{ID: "container/writable-root-filesystem", Title: "Writable root filesystem", Layer: Container, Severity: Medium,
			Rationale:   "A writable root filesystem lets an attacker drop tools and modify binaries inside the container.",
			Remediation: "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the application must write.",
			References:  References{NSA: []string{nsaImmutable}}},
		Control{ID: "container/sensitive-hostpath", Title: "Sensitive host path mounted", Layer: Container, Severity: Critical,
			Rationale:   "Mounting the container runtime socket, the host root, /etc, /proc, /root, /var/lib/kubelet or /var/run gives the pod control of the node (start privileged containers, read kubelet credentials, change host configuration).",
			Remediation: "Remove the hostPath volume. Workloads that must talk to the runtime should be reviewed as node-level components and isolated on dedicated nodes.",
			References:  References{NSA: []string{nsaPSE}, MITRE: []string{"T1611", "T1552.007"}}},
		Control{ID: "container/sa-token-automount", Title: "Service account token mounted automatically", Layer: Container, Severity: Low,
			Rationale:   "Every pod that mounts a service account token hands an API credential to whoever compromises the container; most applications never call the API.",
			Remediation: "Set automountServiceAccountToken: false on the pod (or its ServiceAccount) unless the workload calls the Kubernetes API.",
			References:  References{CIS: []string{"5.1.6"}, NSA: []string{nsaSAToken}, MITRE: []string{"T1528"}}},
		Control{ID: "container/credentials-in-env", Title: "Credential as a literal environment value", Layer: Container, Severity: High,
			Rationale:   "A password, token or key written into the manifest is readable by anyone who can read the manifest, the workload object, or the repository history.",
			Remediation: "Move the value into a Secret (or an external secret store) and reference it with valueFrom.secretKeyRef; rotate the exposed credential.",
			References:  References{CIS: []string{"5.4.1"}, NSA: []string{nsaSecrets}, MITRE: []string{"T1552.001"}}},
		Control{ID: "container/secrets-in-env", Title: "Secret exposed as environment variable", Layer: Container, Severity: Low,
			Rationale:   "Environment variables leak into logs, crash dumps and child processes; secrets mounted as files are safer.",
			Remediation: "Mount the Secret as a volume and read it from a file instead of env/envFrom.",
			References:  References{CIS: []string{"5.4.1"}, NSA: []string{nsaSecrets}}},
		Control{ID: "container/untrusted-not-sandboxed", Title: "Untrusted workload without a sandboxed runtime", Layer: Container, Severity: High,
			Rationale:   "Workloads that run untrusted code share the node's kernel unless they use a sandboxed runtime (gVisor, Kata Containers); a kernel exploit then compromises the node.",
			Remediation: "Set spec.runtimeClassName to a sandboxed RuntimeClass (e.g. gvisor or kata).",
			References:  References{NSA: []string{nsaHarden}, MITRE: []string{"T1611"}}},
	)
	register(
		Control{ID: "cluster/workload-default-namespace", Title: "Workload in the default namespace", Layer: Cluster, Severity: Low,
			Rationale:   "The default namespace has no owner, quota or policy by design; workloads there escape the boundaries namespaces provide.",
			Remediation: "Create a namespace per application or team and deploy the workload there.",
			References:  References{CIS: []string{"5.7.1", "5.7.4"}, NSA: []string{nsaNS}}},
	)
}
