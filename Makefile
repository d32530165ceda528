# Quick start: `make demo` runs the shipped analytic gate; `make test` runs the plugin's tests and
# then the same gate. Each creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench tune clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pytest --optbench suites/analytic.yaml

test: $(STAMP)
	$(BIN)/python -m pyflakes pytest_optbench tests benchmarks
	$(BIN)/pytest
	$(BIN)/pytest --optbench suites/analytic.yaml -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_multistart.py

tune: $(STAMP)
	$(BIN)/python benchmarks/tune_analytic.py suites/analytic.yaml

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
