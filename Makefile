# kycpoller. `make help` lists the targets.
GO       ?= go
BIN      ?= bin
PKGS     ?= ./...
LDFLAGS  ?= -s -w
IMAGE    ?= kycpoller:dev
# The same build command the Dockerfile runs.
BUILD    = CGO_ENABLED=0 $(GO) build -trimpath -ldflags="$(LDFLAGS)"

.DEFAULT_GOAL := help
.PHONY: help setup build demo screenshots test fmt-check vet clean image bench bench-quick

help: ## List the targets and what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## Install what tests and demo need from Debian's packages (redis-server, nats-server, rabbitmq-server, openssl), if missing
	@./scripts/setup.sh

build: ## Build bin/worker and bin/enqueue
	$(BUILD) -o $(BIN)/worker ./cmd/worker
	$(BUILD) -o $(BIN)/enqueue ./cmd/enqueue

demo: setup build ## Run the whole thing locally: private Redis, fake providers, receiver, worker, enqueue
	$(GO) run ./cmd/demo -worker $(BIN)/worker -enqueue $(BIN)/enqueue

bench: setup build ## Benchmarks, full mode (~10 min): prints the figures and rewrites docs/benchmarks.md
	$(GO) run ./cmd/bench -mode full -worker $(BIN)/worker -command "make bench" -save $(BIN)/bench-full.json -micro "$(MICRO_PKGS)"

bench-quick: setup build ## Benchmarks, quick mode (under 3 min, smaller N): prints the figures and rewrites docs/benchmarks.md
	$(GO) run ./cmd/bench -mode quick -worker $(BIN)/worker -command "make bench-quick" -save $(BIN)/bench-quick.json

MICRO_PKGS ?= ./internal/provider/advance ./internal/provider/zoloz ./internal/event ./internal/sink ./internal/stdwebhook
.PHONY: bench-micro
bench-micro: ## Go micro-benchmarks of the hot paths (parsing, encoding, signing)
	$(GO) test -run '^$$' -bench . -benchmem $(MICRO_PKGS)

test: setup fmt-check vet ## Every test with the race detector, against private Redis, NATS and RabbitMQ servers (what CI runs)
	$(GO) test -race -count=1 -timeout 12m $(PKGS)

fmt-check: ## Fail if any Go file is not gofmt-formatted
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet $(PKGS)

CHAOS_RUNS ?= 3
.PHONY: chaos
chaos: setup build ## Chaos scenario (docs/reliability.md) CHAOS_RUNS times (default 3) with the real worker; writes its figures to that doc
	$(GO) run ./cmd/chaos -worker $(BIN)/worker -runs $(CHAOS_RUNS) -doc docs/reliability.md

screenshots: setup ## Render the dashboard pages to docs/screenshots with headless Chromium (apt-get install chromium)
	$(GO) run ./cmd/screenshots -out docs/screenshots

image: ## Build the container image (IMAGE, default kycpoller:dev) with Docker
	docker build -t $(IMAGE) .

# Native Go fuzz targets, as package:function. Their seed corpora also run as
# ordinary tests in `make test`.
FUZZ_TARGETS = \
	./internal/provider/advance:FuzzParseResponse \
	./internal/provider/zoloz:FuzzParseAnswer \
	./internal/config:FuzzParse \
	./cmd/enqueue:FuzzReadBulk \
	./internal/stdwebhook:FuzzSignVerify \
	./internal/api:FuzzRequestBody
FUZZTIME ?= 20s
# Quick mode runs a number of inputs, not a duration: with a duration, Go
# 1.26's fuzzing coordinator may report its own deadline as a failure
# ("context deadline exceeded", golang/go#75804) on a busy machine.
FUZZQUICK ?= 20000x

.PHONY: fuzz fuzz-quick
fuzz: ## Run each fuzz target for FUZZTIME (default 20s), one after another
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$fn in $$pkg for $(FUZZTIME)"; \
	  $(GO) test -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x $$pkg; \
	done

fuzz-quick: ## CI's quick mode: each fuzz target for FUZZQUICK inputs (default 20000x, a few seconds)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZQUICK)

# govulncheck runs from the module cache, not from go.mod. (v1.9.0 needs an
# x/telemetry version the module proxy does not serve.) VULNDB overrides its
# vulnerability database (-db), e.g. a mirror where vuln.go.dev is out of reach.
GOVULNCHECK ?= golang.org/x/vuln/cmd/govulncheck@v1.8.0
VULNDB      ?=

.PHONY: vuln
vuln: ## Report known vulnerabilities in the code's call paths (govulncheck; VULN_REQUIRED=1 fails when its database is unreachable)
	@GO=$(GO) ./scripts/vuln.sh $(GOVULNCHECK) $(VULNDB)

clean: ## Remove build output
	rm -rf $(BIN)
