package catalog

// Cloud-layer controls of the host analyzer: the operating system of a node as `kube4c node`
// reads it — kernel support, cgroup version, mandatory access control, network protocol modules,
// services that should not listen and swap. Linux benchmark recommendations are cited in the
// rationale (References.CIS holds CIS Kubernetes Benchmark numbers only).

func init() {
	register(
		Control{ID: "cloud/host-kernel-unsupported", Title: "Node kernel branch past its upstream end of life", Layer: Cloud, Severity: High,
			Rationale: "Every container on a node shares its kernel, so a kernel vulnerability is a way out of any container: privilege escalations such as Dirty Pipe (CVE-2022-0847) are fixed only in maintained kernel branches. " +
				"The node runs a branch (major.minor) that kernel.org no longer maintains. kube4c's table (updated 2026-11, from kernel.org/category/releases.html) lists the longterm branches 6.18 and 6.12 (projected end of life December 2028, as extended in 2026), 6.6 (December 2027, extended) and 6.1 (December 2027), 5.15 and 5.10 (December 2026), and the ended 5.4 (December 2025), 4.19 (December 2024) and 4.14 (January 2024); any other branch older than 6.18 is a stable branch, maintained only until its successor came out. " +
				"kernel.org states that distribution kernels are not covered by its support: kernels that RHEL and its rebuilds, Ubuntu, SUSE, Amazon Linux and Oracle Linux maintain past kernel.org's dates follow the vendor's lifecycle and are not evaluated when their branch ended upstream.",
			Remediation: "Install a kernel of a maintained longterm branch (or the distribution's current kernel) and reboot the node; on managed node pools move to a current node image. " +
				"Branches newer than the table (6.19 and later) are not judged.",
			References: References{NSA: []string{nsaUpgrade}, MITRE: []string{"T1068", "T1611"}}},

		Control{ID: "cloud/host-cgroup-v1", Title: "Node uses cgroup v1", Layer: Cloud, Severity: Medium,
			Rationale: "Kubernetes moved cgroup v1 support into maintenance mode in 1.31 (kubernetes.io blog, 2024-08-14), and since 1.35 the kubelet refuses to start on a cgroup v1 node unless its configuration sets failCgroupV1: false (KEP-5573); resource isolation features such as memory QoS and swap limits need cgroup v2. " +
				"cgroup v2 also delegates sub-trees to containers more safely: cgroup v1's release_agent has been used to escape containers (CVE-2022-0492). A hybrid layout — v1 controllers with the unified hierarchy mounted for systemd — counts as v1, as it does for the kubelet.",
			Remediation: "Boot the node with the unified hierarchy: use a distribution that defaults to it (Ubuntu 21.10+, Debian 11+, RHEL 9+, Fedora 31+, Container-Optimized OS M97+) or add systemd.unified_cgroup_hierarchy=1 to the kernel command line. " +
				"cgroup v2 needs kernel 5.8+, containerd 1.4+ or CRI-O 1.20+, and the kubelet and the runtime should use the systemd cgroup driver (kubernetes.io, About cgroup v2).",
			References: References{NSA: []string{nsaHarden}, MITRE: []string{"T1611"}}},

		Control{ID: "cloud/host-no-lsm", Title: "Neither AppArmor nor SELinux enforcing on the node", Layer: Cloud, Severity: Medium,
			Rationale: "Container runtimes confine containers with the node's mandatory access control: a default AppArmor profile on AppArmor nodes, the container_t SELinux type on SELinux nodes where the runtime's SELinux support is on (containerd's enable_selinux, CRI-O's selinux). With AppArmor disabled and SELinux disabled or permissive, that layer is gone, and a process that escapes its namespaces is stopped only by its capabilities and seccomp. " +
				"CIS Linux benchmarks require one: CIS Ubuntu Linux 24.04 LTS Benchmark 1.3.1.2 (Ensure AppArmor is enabled in the bootloader configuration), CIS Red Hat Enterprise Linux 9 Benchmark v1.0.0 1.6.1.4 and 1.6.1.5 (Ensure the SELinux mode is not disabled, and is enforcing). " +
				"The running kernel's state is judged (/sys/kernel/security/lsm, /sys/module/apparmor, /sys/fs/selinux); without /sys, SELINUX= of /etc/selinux/config set to enforcing passes.",
			Remediation: "On Debian, Ubuntu and SUSE nodes enable AppArmor (install apparmor, remove apparmor=0 from the kernel command line, reboot; `aa-status` shows the loaded profiles). " +
				"On RHEL-family nodes set SELINUX=enforcing in /etc/selinux/config, remove selinux=0 and enforcing=0 from the kernel command line, relabel if SELinux was disabled (`touch /.autorelabel`) and reboot; `getenforce` prints Enforcing.",
			References: References{NSA: []string{nsaHarden}, MITRE: []string{"T1611"}}},

		Control{ID: "cloud/host-risky-kernel-modules", Title: "Rarely used network protocol modules can be loaded", Layer: Cloud, Severity: Medium,
			Rationale: "DCCP, SCTP, RDS and TIPC are network protocols few nodes use, in kernel modules the kernel loads on demand as soon as any process — one in an unprivileged container included — opens a socket of that protocol. Their code has had privilege escalation and remote code execution vulnerabilities (CVE-2017-6074 in DCCP, CVE-2010-3904 in RDS, CVE-2022-0435 in TIPC). " +
				"CIS Ubuntu Linux 24.04 LTS Benchmark 3.2.1 to 3.2.4 (Ensure dccp, tipc, rds and sctp kernel module is not available, Level 2) and CIS Red Hat Enterprise Linux 9 Benchmark v1.0.0 3.1.3 (Ensure TIPC is disabled) want them unloadable. " +
				"A module passes when the running kernel does not ship it (modules.dep, modules.builtin), or when `install MODULE /bin/false` (or /bin/true), `blacklist MODULE` — which stops loading on demand — or module_blacklist=/modprobe.blacklist= on the kernel command line covers it and it is not loaded. A loaded module, a built-in one or one nothing disables fails.",
			Remediation: "For each module write `install MODULE /bin/false` and `blacklist MODULE` to a file of /etc/modprobe.d (e.g. /etc/modprobe.d/dccp.conf), then unload it (`modprobe -r MODULE`) or reboot. " +
				"Workloads that use SCTP (Kubernetes supports SCTP Services and NetworkPolicies) need the sctp module: keep it and record an exception.",
			References: References{NSA: []string{nsaHarden}, MITRE: []string{"T1068"}}},

		Control{ID: "cloud/host-telnet-listening", Title: "Telnet server listening on the node", Layer: Cloud, Severity: High,
			Rationale: "A TCP socket of the node listens on port 23, telnet's. Telnet carries the login, the password and the whole session in clear text without authenticating the server: anyone on the path reads or takes over administrator sessions of a Kubernetes node, and the login prompt is open to password guessing. " +
				"CIS Red Hat Enterprise Linux 9 Benchmark v1.0.0 2.2.13 (Ensure telnet-server is not installed) and CIS Ubuntu Linux 24.04 LTS Benchmark 2.1.22 (Ensure only approved services are listening on a network interface) rule it out; SSH replaces it.",
			Remediation: "Stop and remove the telnet server (`systemctl disable --now telnet.socket` and remove telnet-server; or remove telnetd and its inetd or xinetd entry), administer the node over SSH, and block port 23 in the node's firewall or security group.",
			References:  References{NSA: []string{nsaWorkerNodes}, MITRE: []string{"T1040", "T1021"}}},

		Control{ID: "cloud/host-docker-api-no-tls", Title: "Docker Engine API on TCP without TLS client authentication", Layer: Cloud, Severity: Critical,
			Rationale: "/etc/docker/daemon.json makes dockerd listen on a tcp:// address without \"tlsverify\": true, or a socket of the node listens on 2375, the port registered for the Docker API without TLS. The API has no authentication of its own: whoever connects controls the daemon, starts a privileged container that mounts the host's filesystem and owns the node, its kubelet credentials and every pod on it. " +
				"CIS Docker Benchmark v1.7.0 2.7 (Ensure TLS authentication for Docker daemon is configured); Docker's documentation (Protect the Docker daemon socket) allows remote access only over SSH or TLS with client certificates. " +
				"This is the node's view of cloud/docker-api-exposed, which `kube4c probe` reports when the port answers from the network.",
			Remediation: "Remove tcp:// entries from \"hosts\" in /etc/docker/daemon.json and `-H tcp://…` from dockerd's command line so that only the Unix socket remains. " +
				"When remote access is needed use SSH (`DOCKER_HOST=ssh://user@host`) or set \"tlsverify\": true with \"tlscacert\", \"tlscert\" and \"tlskey\" and listen on 2376; firewall the port. Kubernetes nodes (1.24+) run containerd or CRI-O and need no dockerd at all.",
			References: References{NSA: []string{nsaWorkerNodes}, MITRE: []string{"T1610", "T1611"}}},

		Control{ID: "cloud/host-swap-unencrypted", Title: "Swap on an unencrypted disk", Layer: Cloud, Severity: Medium,
			Rationale: "With swap on, the kernel writes process memory to the swap area: keys and tokens of the kubelet and the container runtime, application secrets, and — with an older kernel or an unsupported Kubernetes configuration — the content of Secret volumes and memory-backed emptyDirs, which are tmpfs (kubernetes.io, Security For Linux Nodes: the noswap mount option needs kernel 6.3+). " +
				"On an unencrypted disk or file that data outlives the process and the reboot, and whoever gets the disk or a snapshot of it reads it. By default the kubelet does not even start on a node with swap (failSwapOn; kubernetes.io, Swap memory management). " +
				"Swap on zram (compressed memory) and on dm-crypt (directly or under LVM) passes. Without /proc, the swap entries of /etc/fstab are judged; a swap file counts as unencrypted because kube4c does not follow the filesystem that holds it.",
			Remediation: "Turn swap off (`swapoff -a`, and remove or comment the swap lines of /etc/fstab and mask any systemd .swap unit). When workloads need swap (NodeSwap with LimitedSwap), put it on zram or on dm-crypt with a random key (the `swap` option of /etc/crypttab) and run kernel 6.3 or later.",
			References:  References{NSA: []string{nsaSecrets}, MITRE: []string{"T1552"}}},
	)
}
