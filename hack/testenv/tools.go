//go:build tools

// Package tools records the control-plane commands `make testenv` builds,
// so that `go mod tidy` in this module keeps their dependencies.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
