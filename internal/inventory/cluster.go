package inventory

// ClusterInfo describes the live cluster an inventory was read from. It is nil for inventories
// filled from files.
type ClusterInfo struct {
	// Context is the kubeconfig context ("in-cluster" inside a pod); Server the API server URL.
	Context string `json:"context,omitempty"`
	Server  string `json:"server,omitempty"`
	// Version is the API server's gitVersion from /version, e.g. "v1.37.2".
	Version string `json:"version,omitempty"`
	// AnonymousAccess records what a client without credentials got from the API server, by path
	// ("/version", "/api", "/apis"): the HTTP status code, or 0 when the request failed.
	AnonymousAccess map[string]int `json:"anonymousAccess,omitempty"`
}

// Unavailable is a kind a source could not read (403 Forbidden, or an API not served by the
// cluster). Controls that need it are reported as not evaluated.
type Unavailable struct {
	Group  string `json:"group,omitempty"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// SetCluster records the cluster the inventory was read from.
func (inv *Inventory) SetCluster(c *ClusterInfo) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.cluster = c
}

// Cluster returns the cluster the inventory was read from, or nil.
func (inv *Inventory) Cluster() *ClusterInfo {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.cluster
}

// MarkUnavailable records a kind that could not be read.
func (inv *Inventory) MarkUnavailable(u Unavailable) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.unavailable = append(inv.unavailable, u)
}

// Unavailable lists the kinds that could not be read.
func (inv *Inventory) Unavailable() []Unavailable {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return append([]Unavailable(nil), inv.unavailable...)
}
