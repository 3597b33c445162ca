# nb2service: `make demo` builds the churn example and serves it on 127.0.0.1:$(PORT) (it prints
# working curl commands); `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
DEMO_OUT ?= build/churn

.PHONY: venv demo build-demo test test-fast corpus clean bench

$(BIN)/nb2service: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/nb2service

build-demo: venv
	$(BIN)/nb2service build notebooks/churn -o $(DEMO_OUT)

demo: build-demo
	$(BIN)/nb2service serve $(DEMO_OUT) --port $(PORT)

test: venv
	$(BIN)/python -m pytest -q

test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

# Build and serve every real-world corpus repo (tests/corpus/) and print the share that works.
corpus: venv
	$(BIN)/python tests/corpus_run.py

clean:
	rm -rf build .pytest_cache

# nb2service against MLflow and MLServer (their own venvs under bench/.venvs), and the build's cost;
# writes bench/results/<date>.json and .md. Not part of `make test`. BENCH_SECONDS per wrk run.
bench: venv
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py

# The long reliability variants (tests/reliability): 60 s of load at concurrency 64, a 100,000-request
# soak, kill -9 under 30 s of load (`soak`), and more than 1,000 fuzzed requests per endpoint family for
# three model kinds (`fuzz`). `make test` runs the short CI variants of the same tests.
.PHONY: soak fuzz
soak: venv
	NB2SERVICE_RELIABILITY_SCALE=full $(BIN)/python -m pytest -q -s tests/reliability/test_load.py

fuzz: venv
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

test-image: venv
	NB2SERVICE_IMAGE_TESTS=1 $(BIN)/python -m pytest -q -m image tests/image
