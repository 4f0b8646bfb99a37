# Thin wrappers over the go tool. `make help` lists the targets.
GO       ?= go
BIN      ?= bin/ixaudit
FUZZTIME ?= 30s
PKGS     := ./... ./testdata/gen

.PHONY: help build test vet demo bench fuzz golden testdata clean

help:
	@echo "make build     build $(BIN)"
	@echo "make demo      build, then audit the bundled sample capture"
	@echo "make test      go vet and every test (needs tshark etc. for the comparison tests: see .ci/run)"
	@echo "make bench     large-capture benchmark against tcpdump and tshark, plus Go benchmarks"
	@echo "make fuzz      run every fuzz target for FUZZTIME each (default $(FUZZTIME))"
	@echo "make golden    rewrite golden files (go test ./... -update)"
	@echo "make testdata  regenerate testdata/captures with the generator"

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/ixaudit

demo: build
	@echo "+ $(BIN) audit --format table testdata/captures/demo.pcapng"
	@$(BIN) audit --format table testdata/captures/demo.pcapng; code=$$?; \
	  echo "exit code $$code (0 pass, 1 findings at or above --fail-on, 2 unreadable input)"; \
	  test $$code -le 1

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }

test: vet
	$(GO) test -count=1 $(PKGS)

fuzz:
	@GO=$(GO) FUZZTIME=$(FUZZTIME) PKGS="$(PKGS)" bash testdata/fuzz.sh

golden:
	$(GO) test ./report ./cmd/ixaudit ./analyze -update

testdata:
	$(GO) run ./testdata/gen -out testdata/captures

bench: build
	bash testdata/bench.sh

clean:
	rm -rf bin
