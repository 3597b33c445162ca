# nb2service: `make demo` builds the churn example and serves it; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
DEMO_OUT ?= build/churn

.PHONY: venv demo build-demo test test-fast clean

$(BIN)/nb2service: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/nb2service

build-demo: venv
	$(BIN)/nb2service build notebooks/churn -o $(DEMO_OUT)

demo: build-demo
	@if $(BIN)/nb2service --help | grep -q ' serve '; then \
		$(BIN)/nb2service serve $(DEMO_OUT) --port $(PORT); \
	else echo "serving is not built yet: the artifact is in $(DEMO_OUT)"; fi

test: venv
	$(BIN)/python -m pytest -q

test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

clean:
	rm -rf build .pytest_cache
