package catalog

// Container-layer controls of the image analyzer: what is inside the images workloads run — the
// packages and their advisories, the distribution's support, the user, credentials left in the
// configuration or the layers, setuid files, shells in images that claim to have none, and
// signatures. Image benchmarks are cited in the rationale (References.CIS holds CIS Kubernetes
// Benchmark numbers only): the CIS Docker Benchmark v1.7.0, section 4 (Container Images and Build
// File Configuration), and NIST SP 800-190, Application Container Security Guide (September 2017),
// whose sections 3.1.x describe image risks and 4.1.x their countermeasures.

func init() {
	register(
		Control{ID: "container/image-vulnerable-package", Title: "Image contains a package with a known vulnerability", Layer: Container, Severity: High,
			Rationale: "A package installed in the image — an operating system package (dpkg, apk, rpm) or a language package (Go module compiled into a binary, npm, PyPI, Maven, Cargo, RubyGems) — is at a version an OSV advisory says is affected. " +
				"Every container started from the image carries the flaw, whatever the pod's security context, and public advisories come with public exploits. " +
				"NIST SP 800-190 3.1.1 and 4.1.1 (Image vulnerabilities) and CIS Docker Benchmark v1.7.0 4.4 (Ensure images are scanned and rebuilt to include security patches). " +
				"One finding is reported per package and advisory, as severe as the advisory: from its highest CVSS base score, else from the database's own rating, else medium. The control's own severity is only the default. " +
				"With --ignore-unfixed, advisories no released version fixes are left out. Without a vulnerability database the control is reported as not evaluated.",
			Remediation: "Rebuild the image on a current base image and with current dependencies (the finding names the fixed version), and redeploy; rebuild regularly even when the Dockerfile does not change, since the base image's packages are patched under the same tag. " +
				"Remove packages the application does not need, or move to a minimal base image (distroless, Chainguard, scratch) so there is less to patch. " +
				"An advisory that does not apply (the vulnerable function is never reached) can be recorded as an exception with its justification.",
			References: References{NSA: []string{nsaImages}, MITRE: []string{"T1190", "T1068"}}},

		Control{ID: "container/image-runs-as-root", Title: "Image runs as root by default", Layer: Container, Severity: Medium,
			Rationale: "The image configuration sets no USER, or sets root (root, 0, root:root, 0:0, or root's UID with any group): a container started from it runs as UID 0 unless its pod says otherwise, and root in a container is one kernel or runtime bug away from root on the node. " +
				"CIS Docker Benchmark v1.7.0 4.1 (Ensure that a user for the container has been created) and NIST SP 800-190 4.1.2 (Image configuration defects). " +
				"This control judges the image only; container/run-as-non-root and container/run-as-root-user judge the workloads, whose securityContext can run any image as another user. " +
				"A numeric non-root UID passes; so does a user name, which kube4c does not resolve against the image's /etc/passwd. Windows images are judged by name (ContainerAdministrator fails, an empty USER is not judged).",
			Remediation: "Create an unprivileged user in the Dockerfile and switch to it with a numeric UID (`RUN useradd -u 10001 app` then `USER 10001:10001`) so that runAsNonRoot can verify it; distroless and Chainguard images offer a nonroot user (UID 65532). " +
				"Give the user ownership of only the paths it writes.",
			References: References{NSA: []string{nsaNonRoot, nsaImages}, MITRE: []string{"T1611"}}},

		Control{ID: "container/image-secret-in-config", Title: "Credential in the image configuration", Layer: Container, Severity: High,
			Rationale: "An ENV variable, a label, or a build argument or ENV instruction recorded in the image history holds what looks like a literal credential: a known token format, a private key, a URL with a password, or a literal under a credential name (PASSWORD, TOKEN, SECRET_KEY, ...). " +
				"The image configuration is readable by anyone who can pull the image (`docker inspect`, `docker history`, any registry client), and overriding the variable at run time does not remove it from the image. " +
				"CIS Docker Benchmark v1.7.0 4.10 (Ensure secrets are not stored in Dockerfiles) and NIST SP 800-190 3.1.4 and 4.1.4 (Embedded clear text secrets). " +
				"kube4c decides as for container/credentials-in-env (internal/credential); public key material — GPG_KEY and similar variables holding OpenPGP fingerprints, as official images do, and names saying PUBLIC — is not reported. Findings name the variable or label, never its value.",
			Remediation: "Treat the credential as disclosed and rotate it. Remove it from the Dockerfile (ENV, LABEL, ARG) and rebuild; give the application its secrets at run time from a Kubernetes Secret or an external secret store, and pass build-time secrets with `RUN --mount=type=secret`, which leaves no trace in the image.",
			References:  References{NSA: []string{nsaSecrets, nsaImages}, MITRE: []string{"T1552.001"}}},

		Control{ID: "container/image-secret-in-layer", Title: "Private key or credentials file in an image layer", Layer: Container, Severity: High,
			Rationale: "A file of the image holds a private key or credentials (SSH and TLS private keys, cloud provider credentials, registry or package manager tokens). Anyone who can pull the image can extract the file, and so can an attacker in any container started from it. " +
				"A file deleted by a later layer is still in the layer that added it: `docker save` or any registry client hands out every layer. " +
				"CIS Docker Benchmark v1.7.0 4.10 (Ensure secrets are not stored in Dockerfiles) and NIST SP 800-190 3.1.4 and 4.1.4 (Embedded clear text secrets). The finding names the file, the kind of credential and the layer, never the content.",
			Remediation: "Treat the credential as disclosed and rotate it. Keep it out of the build context (.dockerignore), use `RUN --mount=type=secret` or `--mount=type=ssh` for build-time credentials, or copy only the build's results into the final image of a multi-stage build. " +
				"Deleting the file in a later instruction is not enough: rebuild so that no layer contains it.",
			References: References{NSA: []string{nsaSecrets, nsaImages}, MITRE: []string{"T1552.001", "T1552.004"}}},

		Control{ID: "container/image-setuid-binaries", Title: "Image contains setuid or setgid files", Layer: Container, Severity: Low,
			Rationale: "Files with the setuid or setgid bit run with their owner's or group's privileges whatever the caller's: in an image running as a non-root user they are the way back to root when a container allows privilege escalation, and a flaw in any of them (such as CVE-2021-4034 in pkexec) is a privilege escalation. " +
				"CIS Docker Benchmark v1.7.0 4.8 (Ensure setuid and setgid permissions are removed) and NIST SP 800-190 4.1.2 (Image configuration defects). " +
				"Most distribution base images ship some (passwd, su, mount); allowPrivilegeEscalation: false (container/allow-privilege-escalation) stops them from working, which is why the severity is low. One finding per image lists the files.",
			Remediation: "Remove the bits in the Dockerfile (`RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`), remove the packages that bring them, or use a minimal base image; and set allowPrivilegeEscalation: false on the containers.",
			References:  References{NSA: []string{nsaImages, nsaNonRoot}, MITRE: []string{"T1548.001"}}},

		Control{ID: "container/image-eol-distribution", Title: "Image built on a distribution release past its end of life", Layer: Container, Severity: High,
			Rationale: "The image's operating system (/etc/os-release) is a release its maintainers no longer patch: new vulnerabilities in its packages are never fixed, and vulnerability databases often stop listing them, so a scan of the image looks cleaner than it is. " +
				"NIST SP 800-190 4.1.1 (Image vulnerabilities) and CIS Docker Benchmark v1.7.0 4.2 and 4.4 (Ensure that containers use only trusted base images; Ensure images are scanned and rebuilt to include security patches). " +
				"kube4c's table (checked 2026-11, from endoflife.date and the vendors' lifecycle pages; see docs/images.md) covers Debian (LTS included), Ubuntu (standard support: Expanded Security Maintenance through Ubuntu Pro is not counted), Alpine, RHEL and UBI, CentOS and CentOS Stream, Rocky Linux, AlmaLinux, Oracle Linux, Amazon Linux, Fedora, openSUSE Leap and SLES (general support; paid extended support is not counted). " +
				"Rolling distributions (Wolfi, Chainguard, openSUSE Tumbleweed, Arch Linux) pass. A distribution or release the table does not know, and images without os-release, are not judged.",
			Remediation: "Rebuild the image on a maintained release of the distribution (or on a minimal base image) and redeploy; the finding gives the date support ended. Pin base images to a release, not just `latest`, so the change is deliberate, and plan the move before the date.",
			References:  References{NSA: []string{nsaImages, nsaUpgrade}, MITRE: []string{"T1190", "T1068"}}},

		Control{ID: "container/image-minimal-has-shell", Title: "Image presented as minimal contains a shell or package manager", Layer: Container, Severity: Info,
			Rationale: "The image says it is a minimal, shell-less image — its reference names a distroless or Chainguard image, its org.opencontainers.image.base.name label names one as its base, or it carries the label kube4c.io/minimal=true — but it contains a shell or a package manager. " +
				"An attacker who gets code execution in a container with a shell runs commands and scripts; with a package manager they install tools; and `kubectl exec` works. Teams that chose such a base count on that absence, and a debug variant or a later layer silently brings them back. " +
				"CIS Docker Benchmark v1.7.0 4.3 (Ensure that unnecessary packages are not installed in the container) and NIST SP 800-190 4.1.2 (Image configuration defects). " +
				"Debug and dev variants (tags :debug, :latest-dev, ...), which include a shell on purpose, and images that do not claim to be minimal are not judged; ubi-minimal, ubi-micro and -slim images ship a shell by design and do not count as claims.",
			Remediation: "Build the final stage on the non-debug variant and copy only the application into it; remove the layer that adds a shell or package manager. For debugging, use ephemeral debug containers (`kubectl debug`) instead of a shell in the image. If the shell is intended, remove the claim (the label) or record an exception.",
			References:  References{NSA: []string{nsaImages}, MITRE: []string{"T1059.004", "T1609"}}},

		Control{ID: "container/image-signature", Title: "Image signature not verified", Layer: Container, Severity: High,
			Rationale: "Signatures are required (kube4c is given a key to verify them with) and the image a workload runs has no signature made with the key, only invalid ones, or could not be checked (registry unreachable). " +
				"A signature ties the image's digest to whoever holds the key: without one, an image pushed by someone who stole registry credentials, or swapped under a tag, runs unnoticed. " +
				"NIST SP 800-190 4.1.5 (Use of untrusted images) and CIS Docker Benchmark v1.7.0 4.2 and 4.5 (Ensure that containers use only trusted base images; Ensure Content trust for Docker is enabled). " +
				"The finding is on each workload container whose image is not verified, at its image field; an image no scanned workload refers to (kube4c image) gets the finding itself. Not evaluated unless signatures are required.",
			Remediation: "Sign images in the pipeline that builds them (`cosign sign --key ...` on the digest) and deploy them by digest. Enforce the same policy at admission (Sigstore policy-controller, Kyverno verifyImages, Connaisseur) so that unsigned images cannot run; an image that cannot be checked because the registry was unreachable should be scanned again.",
			References:  References{NSA: []string{nsaImages}, MITRE: []string{"T1525", "T1195.002"}}},
	)
}
