package inventory

// NodeInfo describes the node an inventory was read from (`kube4c node`). It is nil for
// inventories of manifests and clusters.
type NodeInfo struct {
	// Hostname of the node, when known.
	Hostname string `json:"hostname,omitempty"`
	// Root is what was read: "/" for the running host, or the directory or archive --root named.
	Root string `json:"root"`
	// Platform is self-managed, eks, gke, aks or k3s; PlatformSource says how it was chosen
	// ("--platform", or the file that identified it).
	Platform       string `json:"platform"`
	PlatformSource string `json:"platformSource,omitempty"`
}

// SetNode records the node the inventory was read from.
func (inv *Inventory) SetNode(n *NodeInfo) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.node = n
}

// Node returns the node the inventory was read from, or nil.
func (inv *Inventory) Node() *NodeInfo {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.node
}
