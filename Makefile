# srbench — `make demo` runs the main job on the built-in default, `make test`
# runs the tests. Both install what they need on first use (idempotently).

GO        ?= go
BIN       := bin
PLUGINS   := clipscore pickscore imagereward socialreward
# Python scorer plugins (docs/python-plugins.md). Plugin NAME lives in
# plugins/NAME/: __main__.py is its entry point (it calls
# srbench_plugin.serve), its other *.py modules sit beside it, and its unit
# tests are plugins/NAME/test_*.py (unittest, run by `make test-python` with
# the plugin directory and the SDK on the import path).
# `make build` packs each, with the SDK (harness/scorer/python), into the
# executable zipapp bin/plugins/NAME (#!/usr/bin/python3;
# scripts/build-python-plugin.sh; reproducible: same sources, same sha256),
# pinned in plugins.lock like the Go plugins. Add a plugin by appending
# its name here.
PY_PLUGINS := colorfulness socialreward-torch
PYTHON    := /usr/bin/python3
SRBENCH   := $(BIN)/srbench
DEMO_DIR  ?= demo-out
export CGO_ENABLED := 1

# Tool versions for `make proto` (generated code is committed).
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.0

.PHONY: test-race lint all setup deps onnxruntime python torch slurm build plugins demo demo-check example test test-short test-python bench bench-memory bench-rank-memory bench-cache bench-decode bench-e2e proto proto-python docs fmt vet clean check-html

all: build

## setup: Go modules and the ONNX Runtime shared library (idempotent).
setup: deps onnxruntime

# The plugin SDK (harness/scorer) is its own Go module; SDK runs a command in it.
SDK := cd harness/scorer &&

deps:
	@$(GO) mod download
	@$(SDK) $(GO) mod download

onnxruntime:
	@./scripts/install-onnxruntime.sh

## torch: Debian's PyTorch and torchvision (the socialreward-torch trainer plugin and its tests, make test; bench-e2e TORCH=1), OpenBLAS as BLAS (idempotent).
torch:
	@./scripts/install-torch.sh

## slurm: Debian's Slurm (slurm-wlm) and MUNGE, for deploy/slurm's test, which runs its own single-node cluster (make test; idempotent).
slurm:
	@./scripts/install-slurm.sh

## python: Debian's python3 with what the Python SDK and plugins import (grpcio, protobuf, cryptography, numpy, Pillow; idempotent).
python:
	@./scripts/install-python.sh

## build: bin/srbench and the plugins in bin/plugins/ (Go binaries, Python zipapps), pinned in bin/plugins/plugins.lock.
build: deps python
	$(GO) build -o $(SRBENCH) ./harness/cmd/srbench
	@mkdir -p $(BIN)/plugins
	@for p in $(PLUGINS); do echo "$(GO) build -o $(BIN)/plugins/$$p ./plugins/$$p" && $(GO) build -o $(BIN)/plugins/$$p ./plugins/$$p || exit 1; done
	@for p in $(PY_PLUGINS); do PYTHON=$(PYTHON) scripts/build-python-plugin.sh $$p $(BIN)/plugins/$$p || exit 1; done
	@$(SRBENCH) plugins lock --plugin-dir $(BIN)/plugins

## demo: simulate a creative community, curate it, build the demo models, benchmark every scorer, report.
demo: setup build
	$(SRBENCH) demo --out $(DEMO_DIR)

## demo-check: gate the demo's results against the committed baselines (what CI runs after the tests).
demo-check: demo
	$(SRBENCH) check --baseline reports/baselines/demo.json $(DEMO_DIR)/runs/demo-social
	$(SRBENCH) check --baseline reports/baselines/demo-alignment.json $(DEMO_DIR)/runs/demo-alignment
	$(SRBENCH) check --baseline reports/baselines/demo-generators.json $(DEMO_DIR)/runs/generators

## example: regenerate the committed example run (reports/examples/demo) and the demo baselines (pairs and the generator leaderboard).
example: setup build
	SRBENCH_REPRODUCIBLE=1 $(SRBENCH) demo --out $(DEMO_DIR)
	rm -rf reports/examples/demo && mkdir -p reports/examples reports/baselines
	cp -r $(DEMO_DIR)/runs/demo-social reports/examples/demo
	rm -f reports/examples/demo/run.json reports/examples/demo/.srbench.lock
	$(SRBENCH) check --update-baseline --baseline reports/baselines/demo.json reports/examples/demo
	$(SRBENCH) check --update-baseline --baseline reports/baselines/demo-alignment.json $(DEMO_DIR)/runs/demo-alignment
	sed -i '/"run_dir"/d' reports/baselines/demo-alignment.json  # its samples are not committed
	$(SRBENCH) check --update-baseline --baseline reports/baselines/demo-generators.json $(DEMO_DIR)/runs/generators
	sed -i '/"run_dir"/d' reports/baselines/demo-generators.json  # its images are not committed

## test: every test (integration tests launch the real plugin binaries, copied from bin/ rather than linked again).
test: setup build torch slurm test-python
	$(GO) vet ./...
	$(SDK) $(GO) vet ./...
	$(SDK) $(GO) test -count=1 ./...
	SRBENCH_PREBUILT=$(CURDIR)/$(BIN) $(GO) test -count=1 ./...

## test-python: the Python SDK's tests and each Python plugin's unit tests (unittest, Debian's python3).
test-python: python
	PYTHONDONTWRITEBYTECODE=1 $(PYTHON) -m unittest discover -s harness/scorer/python/tests
	@for p in $(PY_PLUGINS); do echo "PYTHONPATH=harness/scorer/python $(PYTHON) -m unittest discover -s plugins/$$p" && \
	  PYTHONPATH=$(CURDIR)/harness/scorer/python PYTHONDONTWRITEBYTECODE=1 $(PYTHON) -m unittest discover -s plugins/$$p || exit 1; done

## test-race: the race detector on the packages where goroutines meet (runner, host, contract, caches, statistics, the decode loop); a few minutes.
RACE_PKGS := ./harness/bench/ ./harness/host/ ./harness/conformance/ ./harness/check/ ./harness/modeldir/ ./harness/stats/ \
	./harness/results/ ./harness/pipeline/ ./harness/internal/... ./internal/... ./harness/imageproc/ ./harness/dualenc/
test-race: setup build
	$(SDK) $(GO) test -race -count=1 ./...
	SRBENCH_PREBUILT=$(CURDIR)/$(BIN) $(GO) test -race -count=1 $(RACE_PKGS)

## lint: gofmt, go vet and staticcheck (installed at a pinned version into bin/tools).
STATICCHECK_VERSION := v0.8.2
lint: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(SDK) $(GO) vet ./...
	@test -x $(BIN)/tools/staticcheck-$(STATICCHECK_VERSION) || (GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) && mv $(BIN)/tools/staticcheck $(BIN)/tools/staticcheck-$(STATICCHECK_VERSION))
	$(BIN)/tools/staticcheck-$(STATICCHECK_VERSION) ./...
	$(SDK) $(CURDIR)/$(BIN)/tools/staticcheck-$(STATICCHECK_VERSION) ./...

## bench: the Go benchmarks named in docs/performance.md.
bench: setup build
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

## bench-memory: peak RSS and time of run and analyze at 10k and 1M synthetic pairs over 1k prompts, and 1M pairs over 1M prompts (needs /usr/bin/time; about 10 minutes).
bench-memory: deps
	scripts/memory-flat.sh

## bench-rank-memory: peak RSS and throughput of srbench rank on synthetic 10k- and 100k-image galleries (4 generators, 4 samples, 4 trivial scorers; needs /usr/bin/time; about a minute).
bench-rank-memory: deps
	scripts/rank-memory.sh

## bench-cache: first run vs cached reruns of 200 pairs on a ViT-B/32-sized clipscore model (builds it once; about a minute).
bench-cache: setup build
	scripts/cache-speedup.sh

## bench-decode: plugin peak RSS for one batch of 32 images of 49 megapixels, with and without the decode budget (a few minutes).
bench-decode: setup
	$(GO) test ./plugins/clipscore -run '^$$' -bench DecodeMemory -benchtime 1x

## bench-e2e: end-to-end clipscore throughput vs bare ONNX Runtime (and PyTorch eager with TORCH=1, which installs it), five interleaved rounds (about 12 minutes).
bench-e2e: setup build
ifeq ($(TORCH),1)
	@./scripts/install-torch.sh
endif
	$(GO) run ./scripts/benche2e $(if $(filter 1,$(TORCH)),-torch on,)

## proto: regenerate the plugin contract's Go code and the Python SDK's modules (needs protoc and grpc_python_plugin: apt-get install protobuf-compiler protobuf-compiler-grpc).
proto: proto-python
	@command -v protoc >/dev/null || (echo "protoc missing: apt-get install -y protobuf-compiler" && exit 1)
	GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	protoc -I harness/scorer/proto \
	  --plugin=protoc-gen-go=$(BIN)/tools/protoc-gen-go --plugin=protoc-gen-go-grpc=$(BIN)/tools/protoc-gen-go-grpc \
	  --go_out=. --go_opt=module=github.com/srbench/srbench \
	  --go-grpc_out=. --go-grpc_opt=module=github.com/srbench/srbench \
	  srbench/scorer/v1/scorer.proto

## proto-python: regenerate the Python SDK's protobuf/gRPC modules (harness/scorer/python/srbench_plugin/_pb, package-relative imports).
proto-python:
	./scripts/proto-python.sh

## check-html: open a report in headless Chromium (installs Debian chromium if missing), screenshot it.
check-html:
	./scripts/check-html.sh $(RUN)

## docs: regenerate docs/cli.md's reference part from the command tree (make test fails when it is stale).
docs:
	$(GO) test ./harness/cmd/srbench -run '^TestCLIDocUpToDate$$' -count=1 -update

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

clean:
	rm -rf $(BIN) $(DEMO_DIR)
