# SpikeLab: set-up, build, test, run, benchmarks. See README.md.
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages SpikeLab needs: system libraries, pkg-config, and the embedded real data.
DEB_PACKAGES := pkg-config libopenblas-dev libdnnl-dev libhdf5-dev libpng-dev \
                libturbojpeg0-dev zlib1g-dev dataset-fashion-mnist espeak-ng
# One set of flags for the tool and the tests: `make run` after `make test` (or the other way
# round) reuses the build instead of recompiling every module (minutes on 2 cores).
TESTFLAGS := -c release -Xswiftc -enable-testing
RELEASE := $(TESTFLAGS)
BIN = .build/release/spikelab
PEERS_VENV := .venv-peers

.PHONY: deps build test test-long run bench bench-peers peers-venv clean help

help:
	@echo "make run        install deps, build, make the demo data, train the demo table's rows (cpu profile), plot, write the table"
	@echo "make test       install deps, build optimised, run all tests"
	@echo "make test-long  the long checks too (SPIKELAB_LONG_TESTS=1)"
	@echo "make bench      engine, neuron and efficiency benchmarks -> results/bench/{engine,neurons,efficiency}.json"
	@echo "make bench-peers  the same work in PyTorch + SpikingJelly (venv from PyPI), side by side"

# Installs only what is missing; quiet when everything is there. sudo when not root.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "make deps: no Swift toolchain found (looked for 'swift' on PATH and /opt/swift); install Swift 6 first" >&2; exit 1; }

build: deps
	$(SWIFT) build $(RELEASE) --product spikelab

test: deps
	$(SWIFT) build --build-tests $(TESTFLAGS)
	$(SWIFT) test --skip-build $(TESTFLAGS)

test-long: deps
	$(SWIFT) build --build-tests $(TESTFLAGS)
	SPIKELAB_LONG_TESTS=1 $(SWIFT) test --skip-build $(TESTFLAGS)

# The demo: the Fashion-MNIST spiking CNN as ANN, IF, LIF and PLIF (experiments/demo/table.yaml).
# Trains the rows that have no finished run in runs/ (resumes stopped ones), draws each run's
# learning curves, copies the small result files (no checkpoints) to results/demo/runs/ and
# writes the table to results/demo/demo-neurons.{csv,md}. A second `make run` only regenerates.
DEMO_TABLE := experiments/demo/table.yaml
run: build
	@start=$$(date +%s); \
	$(BIN) data make-demo || exit $$?; \
	$(BIN) tables $(DEMO_TABLE) --profile cpu --run-missing --plot --out results/demo --export results/demo/runs; \
	status=$$?; \
	echo "make run: $$(( $$(date +%s) - start )) s for the demo (after the build)"; \
	echo "  table:  results/demo/demo-neurons.md (and .csv)"; \
	echo "  curves: results/demo/runs/<name>/cpu/curves.png"; \
	echo "  runs:   runs/<name>/cpu/ (checkpoints, manifest.resolved.yaml, metrics.csv, summary.json)"; \
	echo "  demo data: datasets/demo/ (N-MNIST, SHD, Speech Commands, VOC, TinyImageNet layouts; see experiments/demo/)"; \
	exit $$status

bench: build
	@mkdir -p results/bench
	$(BIN) bench engine --json > results/bench/engine.json
	$(BIN) bench neurons --json > results/bench/neurons.json
	$(BIN) data make-demo --only cifar10
	$(BIN) bench efficiency --json > results/bench/efficiency.json

# Same work in PyTorch (+ SpikingJelly for the neurons) on this machine, in a local venv.
# torch: a CPU wheel from pip's find-links (/opt/wheels here) when there is one, else PyPI's;
# SpikingJelly without its optional heavy dependencies (torchvision, tensorboard, …), which
# its neurons, surrogates and layers do not import.
bench-peers: build peers-venv
	@mkdir -p results/bench
	$(BIN) bench engine --json > results/bench/engine.json
	$(PEERS_VENV)/bin/python benchmarks/peers/engine.py --spikelab results/bench/engine.json \
	  --markdown results/bench/engine.md
	$(BIN) bench neurons --json > results/bench/neurons.json
	$(PEERS_VENV)/bin/python benchmarks/peers/neurons.py --spikelab results/bench/neurons.json \
	  --json results/bench/neurons-spikingjelly.json --markdown results/bench/neurons-peers.md

peers-venv:
	@[ -x $(PEERS_VENV)/bin/python ] || { python3 -m venv $(PEERS_VENV) && \
	  wheel=$$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | tail -n 1) && \
	  $(PEERS_VENV)/bin/pip install -q --no-deps "$${wheel:-torch}" && \
	  $(PEERS_VENV)/bin/pip install -q filelock typing-extensions sympy networkx jinja2 fsspec numpy; }
	@$(PEERS_VENV)/bin/python -c "import spikingjelly" 2>/dev/null || { \
	  $(PEERS_VENV)/bin/pip install -q --no-deps spikingjelly && \
	  $(PEERS_VENV)/bin/pip install -q loguru tqdm packaging; }

clean:
	rm -rf .build
