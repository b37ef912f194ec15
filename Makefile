# kycpoller. `make help` lists the targets.
GO       ?= go
BIN      ?= bin
PKGS     ?= ./...
LDFLAGS  ?= -s -w
IMAGE    ?= kycpoller:dev
# The same build command the Dockerfile runs.
BUILD    = CGO_ENABLED=0 $(GO) build -trimpath -ldflags="$(LDFLAGS)"

.DEFAULT_GOAL := help
.PHONY: help setup build demo screenshots test fmt-check vet clean image

help: ## List the targets and what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## Install what tests and demo need from Debian's packages (redis-server, nats-server, rabbitmq-server, openssl), if missing
	@./scripts/setup.sh

build: ## Build bin/worker and bin/enqueue
	$(BUILD) -o $(BIN)/worker ./cmd/worker
	$(BUILD) -o $(BIN)/enqueue ./cmd/enqueue

demo: setup build ## Run the whole thing locally: private Redis, fake providers, receiver, worker, enqueue
	$(GO) run ./cmd/demo -worker $(BIN)/worker -enqueue $(BIN)/enqueue

test: setup fmt-check vet ## Every test with the race detector, against private Redis, NATS and RabbitMQ servers (what CI runs)
	$(GO) test -race -count=1 -timeout 12m $(PKGS)

fmt-check: ## Fail if any Go file is not gofmt-formatted
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet $(PKGS)

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
	./internal/stdwebhook:FuzzSignVerify
FUZZTIME ?= 20s

.PHONY: fuzz fuzz-quick
fuzz: ## Run each fuzz target for FUZZTIME (default 20s), one after another
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$fn in $$pkg for $(FUZZTIME)"; \
	  $(GO) test -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x $$pkg; \
	done

fuzz-quick: ## CI's quick mode: each fuzz target for 5s
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s

# govulncheck runs from the module cache, not from go.mod. (v1.9.0 needs an
# x/telemetry version the module proxy does not serve.) VULNDB overrides its
# vulnerability database (-db), e.g. a mirror where vuln.go.dev is out of reach.
GOVULNCHECK ?= golang.org/x/vuln/cmd/govulncheck@v1.8.0
VULNDB      ?=

.PHONY: vuln
vuln: ## Report known vulnerabilities in the code's call paths (govulncheck)
	$(GO) run $(GOVULNCHECK) $(if $(VULNDB),-db $(VULNDB)) $(PKGS)

clean: ## Remove build output
	rm -rf $(BIN)
