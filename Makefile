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
	$(GO) test -run '^$$' -bench . -benchmem ./internal/scan/

# Run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/source/manifest/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/exception/
	$(GO) test -run '^$$' -fuzz '^FuzzInlineAnnotation$$' -fuzztime $(FUZZTIME) ./internal/exception/
	$(GO) test -run '^$$' -fuzz '^FuzzLooksLikeCredential$$' -fuzztime $(FUZZTIME) ./internal/credential/

clean:
	rm -rf $(BIN)
