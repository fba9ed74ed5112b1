package scan

import "os"

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "kube4c-corpus-") }
