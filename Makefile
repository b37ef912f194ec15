# kycpoller. `make help` lists the targets.
GO       ?= go
BIN      ?= bin
PKGS     ?= ./...
LDFLAGS  ?= -s -w
# The same build command the Dockerfile runs.
BUILD    = CGO_ENABLED=0 $(GO) build -trimpath -ldflags="$(LDFLAGS)"

.DEFAULT_GOAL := help
.PHONY: help setup build demo test fmt-check vet clean

help: ## List the targets and what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## Install what tests and demo need (Debian's redis-server), if missing
	@./scripts/setup.sh

build: ## Build bin/worker and bin/enqueue
	$(BUILD) -o $(BIN)/worker ./cmd/worker
	$(BUILD) -o $(BIN)/enqueue ./cmd/enqueue

demo: setup build ## Run the whole thing locally: private Redis, fake provider, receiver, worker
	$(GO) run ./cmd/demo -worker $(BIN)/worker -enqueue $(BIN)/enqueue

test: setup fmt-check vet ## Run every test with the race detector against private Redis servers
	$(GO) test -race -count=1 -timeout 12m $(PKGS)

fmt-check: ## Fail if any Go file is not gofmt-formatted
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet $(PKGS)

clean: ## Remove build output
	rm -rf $(BIN)
