package scan

import (
	"context"

	"github.com/kube4c/kube4c/internal/inventory"
	"github.com/kube4c/kube4c/internal/source"
	"github.com/kube4c/kube4c/internal/source/cluster"
)

// Load fills a new inventory from the options' paths, or from the live cluster when
// opts.Cluster is set, and returns it with the number of sources read. Problems with single
// inputs are recorded in the inventory; an error means nothing useful could be read (an
// unreachable cluster, a cancelled context).
func Load(ctx context.Context, opts Options) (*inventory.Inventory, int, error) {
	inv := inventory.New()
	if opts.Cluster != nil {
		if _, err := cluster.Load(ctx, *opts.Cluster, inv); err != nil {
			return nil, 0, err
		}
		return inv, 1, nil
	}
	n, err := source.Load(ctx, opts.Paths, opts.Source, inv)
	if err != nil {
		return nil, 0, err
	}
	return inv, n, nil
}
