# kube4c — build, lint and test. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
GO ?= go
export GOTOOLCHAIN := local
BIN := $(CURDIR)/bin
STATICCHECK_VERSION := v0.7.0
STATICCHECK := $(BIN)/staticcheck-$(STATICCHECK_VERSION)
GOFILES = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*')

.PHONY: all build test lint fmt-check vet staticcheck unit docs docs-check bench fuzz clean

all: build

build:
	$(GO) build -trimpath -o $(BIN)/kube4c ./cmd/kube4c

# Everything CI checks: formatting, vet, staticcheck, and every test with the race detector.
test: lint unit

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

$(STATICCHECK):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(BIN)/staticcheck $(STATICCHECK)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 ./...

# Regenerate docs/controls.md from the control catalog (a test fails when it is stale).
docs:
	$(GO) run ./cmd/kube4c controls -o markdown > docs/controls.md

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/scan/ ./internal/rbac/ ./internal/analyzer/rbac/ ./internal/netpol/ ./internal/vulndb/ ./internal/source/image/

# Run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/source/manifest/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/exception/
	$(GO) test -run '^$$' -fuzz '^FuzzInlineAnnotation$$' -fuzztime $(FUZZTIME) ./internal/exception/
	$(GO) test -run '^$$' -fuzz '^FuzzLooksLikeCredential$$' -fuzztime $(FUZZTIME) ./internal/credential/
	$(GO) test -run '^$$' -fuzz '^FuzzModel$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/rbac/
	$(GO) test -run '^$$' -fuzz '^FuzzPolicies$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/netpol/
	$(GO) test -run '^$$' -fuzz '^FuzzReadTar$$' -fuzztime $(FUZZTIME) ./internal/hostfs/
	$(GO) test -run '^$$' -fuzz '^FuzzHostFiles$$' -fuzztime $(FUZZTIME) ./internal/source/node/
	$(GO) test -run '^$$' -fuzz '^FuzzNodeFiles$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/source/node/
	$(GO) test -run '^$$' -fuzz '^FuzzClassify$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/probe/
	$(GO) test -run '^$$' -fuzz '^FuzzLayer$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/source/image/
	$(GO) test -run '^$$' -fuzz '^FuzzSecrets$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/source/image/
	$(GO) test -run '^$$' -fuzz '^FuzzImportRecord$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/vulndb/
	$(GO) test -run '^$$' -fuzz '^FuzzPayload$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/signature/
	$(GO) test -run '^$$' -fuzz '^FuzzBundle$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/signature/

clean:
	rm -rf $(BIN)

# --- Test control plane (internal/testenv) --------------------------------------------------------
# `make testenv` provides what internal/testenv runs: kube-apiserver and kube-controller-manager
# built from the separate module hack/testenv (k8s.io/kubernetes must never enter kube4c's go.mod),
# and etcd from Debian's etcd-server package. The binaries are named after their version and
# bin/kube-apiserver etc. are symlinks, so bumping TESTENV_K8S_VERSION rebuilds them and an existing
# build is a no-op. A cold build takes ~13 min on 2 cores; with a warm Go build cache it only links.
TESTENV_K8S_VERSION := v1.37.2
TESTENV_K8S_MAJOR := 1
TESTENV_K8S_MINOR := 37
# Release date of k8s.io/kubernetes $(TESTENV_K8S_VERSION) on the module proxy; a fixed buildDate
# keeps the build reproducible. gitCommit is unknown from a module zip: blank, not "$Format:%H$".
TESTENV_K8S_BUILD_DATE := 2026-10-27T12:01:04Z
TESTENV_DIR := $(CURDIR)/hack/testenv
TESTENV_VERSION_PKG := k8s.io/component-base/version
TESTENV_LDFLAGS := -s -w \
	-X $(TESTENV_VERSION_PKG).gitVersion=$(TESTENV_K8S_VERSION) \
	-X $(TESTENV_VERSION_PKG).gitMajor=$(TESTENV_K8S_MAJOR) \
	-X $(TESTENV_VERSION_PKG).gitMinor=$(TESTENV_K8S_MINOR) \
	-X $(TESTENV_VERSION_PKG).gitTreeState=clean \
	-X $(TESTENV_VERSION_PKG).gitCommit= \
	-X $(TESTENV_VERSION_PKG).buildDate=$(TESTENV_K8S_BUILD_DATE)
# The build shares the machine: run it at low priority.
TESTENV_NICE ?= nice -n 10
KUBE_APISERVER := $(BIN)/kube-apiserver-$(TESTENV_K8S_VERSION)
KUBE_CONTROLLER_MANAGER := $(BIN)/kube-controller-manager-$(TESTENV_K8S_VERSION)

.PHONY: testenv testenv-etcd
unit: testenv

testenv: $(BIN)/kube-apiserver $(BIN)/kube-controller-manager testenv-etcd

$(BIN)/kube-apiserver: $(KUBE_APISERVER)
	ln -sfn $(notdir $<) $@

$(BIN)/kube-controller-manager: $(KUBE_CONTROLLER_MANAGER)
	ln -sfn $(notdir $<) $@

$(BIN)/%-$(TESTENV_K8S_VERSION): $(TESTENV_DIR)/go.mod $(TESTENV_DIR)/go.sum
	@mkdir -p $(BIN)
	cd $(TESTENV_DIR) && $(TESTENV_NICE) $(GO) build -mod=readonly -trimpath -ldflags "$(TESTENV_LDFLAGS)" \
		-o $@.tmp k8s.io/kubernetes/cmd/$*
	mv $@.tmp $@

# etcd comes from Debian (/usr/bin/etcd); any etcd already on PATH is used as it is.
testenv-etcd:
	@command -v etcd >/dev/null 2>&1 || { \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		echo "etcd not on PATH: installing Debian's etcd-server"; \
		$$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends etcd-server; \
	}
