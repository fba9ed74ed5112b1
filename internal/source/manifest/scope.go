package manifest

import "k8s.io/apimachinery/pkg/runtime/schema"

// clusterScoped lists the built-in cluster-scoped kinds. Everything else built in is namespaced.
// Custom resources are treated as namespaced unless a CustomResourceDefinition in the same scan
// says otherwise (the scan applies that after loading).
var clusterScoped = map[schema.GroupKind]bool{}

func init() {
	for _, gk := range []schema.GroupKind{
		{Kind: "Namespace"}, {Kind: "Node"}, {Kind: "PersistentVolume"}, {Kind: "ComponentStatus"},
		{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"},
		{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"},
		{Group: "storage.k8s.io", Kind: "StorageClass"}, {Group: "storage.k8s.io", Kind: "CSIDriver"},
		{Group: "storage.k8s.io", Kind: "CSINode"}, {Group: "storage.k8s.io", Kind: "VolumeAttachment"},
		{Group: "storage.k8s.io", Kind: "VolumeAttributesClass"},
		{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"},
		{Group: "apiregistration.k8s.io", Kind: "APIService"},
		{Group: "scheduling.k8s.io", Kind: "PriorityClass"},
		{Group: "node.k8s.io", Kind: "RuntimeClass"},
		{Group: "networking.k8s.io", Kind: "IngressClass"}, {Group: "networking.k8s.io", Kind: "IPAddress"},
		{Group: "networking.k8s.io", Kind: "ServiceCIDR"},
		{Group: "policy", Kind: "PodSecurityPolicy"}, {Group: "extensions", Kind: "PodSecurityPolicy"},
		{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"},
		{Group: "certificates.k8s.io", Kind: "ClusterTrustBundle"},
		{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"},
		{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"},
		{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"},
		{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"},
		{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"},
		{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicyBinding"},
		{Group: "flowcontrol.apiserver.k8s.io", Kind: "FlowSchema"},
		{Group: "flowcontrol.apiserver.k8s.io", Kind: "PriorityLevelConfiguration"},
		{Group: "resource.k8s.io", Kind: "DeviceClass"},
		{Group: "resource.k8s.io", Kind: "ResourceSlice"},
	} {
		clusterScoped[gk] = true
	}
}

// Namespaced reports whether objects of a kind live in a namespace (built-in kinds; custom
// resources are assumed namespaced).
func Namespaced(gk schema.GroupKind) bool { return !clusterScoped[gk] }
