package nodeconfig_test

import "github.com/kube4c/kube4c/internal/platform"

func platformOf(s string) platform.Platform { return platform.Platform(s) }
