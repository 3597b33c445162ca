# nb2service: `make demo` builds the churn example and serves it on 127.0.0.1:$(PORT) (it prints
# working curl commands); `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
DEMO_SRC ?= notebooks/churn
DEMO_OUT ?= build/churn
# pip's index variables, given to uv (which reads its own names).
UV_INDEX_ARGS = $(if $(PIP_INDEX_URL),--index-url $(PIP_INDEX_URL)) \
	$(foreach url,$(PIP_EXTRA_INDEX_URL),--extra-index-url $(url)) \
	$(foreach host,$(PIP_TRUSTED_HOST),--allow-insecure-host $(host))

.PHONY: venv test-venv demo build-demo test test-fast corpus clean bench bench-features

# The venv holds the package alone (what `make demo` needs); the test extras are added by test-venv.
# pip installs uv (a dependency of nb2service) and uv installs the rest: about 4 times faster than pip.
$(BIN)/nb2service: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python $(UV_INDEX_ARGS) -e .
	touch $@

$(VENV)/.test-extras: $(BIN)/nb2service
	$(BIN)/uv pip install --quiet --python $(BIN)/python $(UV_INDEX_ARGS) -e '.[test]'
	touch $@

venv: $(BIN)/nb2service

test-venv: $(VENV)/.test-extras

# The artifact is remade only when the demo repo, nb2service's code or pyproject.toml changed since
# it was built (a failed build leaves the previous artifact and its date as they were), so a
# second `make demo` goes straight to serving.
DEMO_INPUTS := $(shell find $(DEMO_SRC) -type f -not -path '*/.*') $(shell find builder -name '*.py') pyproject.toml
$(DEMO_OUT)/metadata.json: $(DEMO_INPUTS) | venv
	$(BIN)/nb2service build $(DEMO_SRC) -o $(DEMO_OUT)

build-demo: $(DEMO_OUT)/metadata.json

demo: build-demo
	$(BIN)/nb2service serve $(DEMO_OUT) --port $(PORT)

test: test-venv
	$(BIN)/python -m pytest -q

test-fast: test-venv
	$(BIN)/python -m pytest -q -m "not slow"

# Build and serve every real-world corpus repo (tests/corpus/) and print the share that works.
corpus: test-venv
	$(BIN)/python tests/corpus_run.py

clean:
	rm -rf build .pytest_cache

# nb2service against MLflow and MLServer (their own venvs under bench/.venvs), and the build's cost;
# writes bench/results/<date>.json and .md. Not part of `make test`. BENCH_SECONDS per wrk run.
bench: test-venv
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py

# Only the raw records vs engineered inputs part of `make bench` (bench/features.py, notebooks/insurance-costs):
# writes bench/results/<date>-features.json and .md. BENCH_SECONDS per wrk run, BENCH_WORKERS workers.
bench-features: test-venv
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py --variants ""

# The long reliability variants (tests/reliability): 60 s of load at concurrency 64, a 100,000-request
# soak, kill -9 under 30 s of load (`soak`), and more than 1,000 fuzzed requests per endpoint family for
# three model kinds (`fuzz`). `make test` runs the short CI variants of the same tests.
.PHONY: soak fuzz
soak: test-venv
	NB2SERVICE_RELIABILITY_SCALE=full $(BIN)/python -m pytest -q -s tests/reliability/test_load.py

fuzz: test-venv
	NB2SERVICE_RELIABILITY_SCALE=full $(BIN)/python -m pytest -q -s tests/reliability/test_fuzz.py

# ---- the S2I builder image (Dockerfile, s2i/bin/) ------------------------------------------------
IMAGE ?= localhost/nb2service:latest
# Empty: the Dockerfile's default (a public Python 3.11 image); tests use a local debootstrap image.
BASE_IMAGE ?=
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
RUNTIME_IMAGE ?= localhost/nb2service-runtime:latest
.PHONY: image runtime-image base-image test-image

image:
	@if command -v buildah >/dev/null; then \
		buildah bud --isolation chroot $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) \
			$(if $(wildcard $(CA_BUNDLE)),-v $(CA_BUNDLE):$(CA_BUNDLE):ro) -t $(IMAGE) . ; \
	elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then \
		docker build $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) -t $(IMAGE) . ; \
	else echo "ERROR: neither buildah nor a running docker found; install buildah" >&2; exit 1; fi

# The slim serving (runtime) image: docs/s2i.md "A slim serving image".
runtime-image:
	buildah bud --isolation chroot -f image/Containerfile.runtime $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) \
		$(if $(wildcard $(CA_BUNDLE)),-v $(CA_BUNDLE):$(CA_BUNDLE):ro) -t $(RUNTIME_IMAGE) .

base-image:
	image/make-base-image.sh localhost/nb2service-base

test-image: test-venv
	NB2SERVICE_IMAGE_TESTS=1 $(BIN)/python -m pytest -q -m image tests/image
