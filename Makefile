# Quick start: `make demo` runs the shipped analytic gate; `make test` runs the plugin's tests and
# then the same gate. Each creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV ?= .venv
# Local copies of the datasets (MNIST/raw, FashionMNIST/raw, CIFAR-10-images); the real-data
# gates run when they are there.
DATA ?= ../shared/data
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The optimizer libraries suites/third_party.yaml gates, at pinned versions.
THIRD_PARTY := $(VENV)/.third-party

.PHONY: demo test bench articles portability injected-bugs envelope-statistics gpu-data gpu-wheels gpu-check tune screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

$(THIRD_PARTY): requirements/third_party.txt $(STAMP)
	$(BIN)/python -m pip install -r requirements/third_party.txt
	touch $(THIRD_PARTY)

demo: $(STAMP)
	$(BIN)/pytest --optbench suites/analytic.yaml --optbench-report report/analytic

# The plugin's tests on two workers, each test file on one (its module fixtures run once);
# tests/conftest.py keeps the pytest runs that tests start from seeing a worker's environment.
test: $(STAMP) $(THIRD_PARTY)
	$(BIN)/python -m pyflakes pytest_optbench tests benchmarks docs
	$(BIN)/python -m mypy
	OPTBENCH_DATA_DIR=$(DATA) $(BIN)/pytest -n 2 --dist loadfile
	$(BIN)/pytest --optbench suites/analytic.yaml -q
	$(BIN)/pytest --optbench suites/third_party.yaml -q
	$(BIN)/pytest --optbench suites/contracts.yaml -q
	$(BIN)/pytest --optbench suites/articles/c_ackley.yaml -q
	@if [ -d "$(DATA)/MNIST/raw" ] && [ -d "$(DATA)/CIFAR-10-images" ]; then \
	  echo "real-data gates (cpu tier) on $(DATA)"; \
	  OPTBENCH_DATA_DIR=$(DATA) $(BIN)/pytest --optbench suites/mnist.yaml \
	    suites/fashion_mnist.yaml suites/cifar.yaml --optbench-no-download -n 2 \
	    --optbench-dataset-folder cifar10=$(DATA)/CIFAR-10-images -q; \
	else \
	  echo "real-data gates skipped: no datasets under $(DATA) (make test DATA=/path/to/data)"; \
	fi

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_multistart.py
	$(BIN)/python benchmarks/seed_gate_power.py
	$(BIN)/python benchmarks/bench_step_time.py
	@if [ -d "$(DATA)/FashionMNIST/raw" ]; then $(BIN)/python benchmarks/bench_data_loop.py --data-dir $(DATA); fi

# Measured tolerances (docs/gate-and-baselines.md, "Measured tolerances"). portability: the shipped deterministic
# suites recorded once, then checked on the scalar and vector kernel paths, 1 and 2 threads and
# 2 xdist workers (about 25 minutes on 2 cores). injected-bugs: one-line bugs in torch.optim and
# the third-party classes against the shipped suites, with fixed tolerances and with envelopes.
portability: $(STAMP) $(THIRD_PARTY)
	$(BIN)/python benchmarks/portability.py
injected-bugs: $(STAMP) $(THIRD_PARTY)
	$(BIN)/python benchmarks/injected_bugs.py --suite suites/analytic.yaml
	$(BIN)/python benchmarks/injected_bugs.py --suite suites/third_party.yaml
# Candidate statistics side by side, and the gate's false alarms on held-out replicas.
envelope-statistics: $(STAMP)
	$(BIN)/python benchmarks/envelope_statistics.py

# The source articles' experiments at their own settings, every row a CPU can run (about 6
# minutes each for articles A and B on 2 cores with AVX-512, twice that on older ones), each
# against its committed baselines and claims; reports under report/articles/. Under -n, cases
# run longest first by the durations pytest's cache keeps from the last run. The CIFAR-10 rows
# need a GPU: see docs/articles.md.
ARTICLE_RUN = OPTBENCH_DATA_DIR=$(DATA) $(BIN)/pytest -n 2 --optbench-no-download -q
articles: $(STAMP)
	$(BIN)/pytest --optbench suites/articles/c_ackley.yaml --optbench-report report/articles/c_ackley -q
	$(ARTICLE_RUN) --optbench suites/articles/a_fashion_mnist_keras.yaml --optbench-report report/articles/a \
	  --optbench-json report/articles/a.json
	$(ARTICLE_RUN) --optbench suites/articles/b_mnist_flux.yaml --optbench-report report/articles/b \
	  --optbench-json report/articles/b.json

# The GPU check (benchmarks/gpu_check.py): every GPU measurement in one run, on a CUDA machine.
# gpu-data and gpu-wheels prepare what travels there in git-ignored folders (.data: the MNIST
# and Fashion-MNIST .gz files and a CIFAR-10 subset; .whl: the packages such a machine lacks),
# within the 64 MiB that may travel. On the machine, see docs/figures.md, "The GPU check".
GPU_WHEELS := pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5
gpu-wheels: $(STAMP)
	$(BIN)/python -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
	  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
	  --platform manylinux2014_x86_64 -d .whl $(GPU_WHEELS)
gpu-data: $(STAMP) gpu-wheels
	$(BIN)/python benchmarks/gpu_data.py --source $(DATA) --target .data
gpu-check: $(STAMP)
	$(BIN)/python benchmarks/gpu_check.py

# The shipped analytic suite's report as a reader sees it, rendered by headless Chromium.
# The screenshots in docs/ (report and trend page), in headless Chromium: apt install chromium.
screenshots: $(STAMP)
	$(BIN)/python docs/make_screenshots.py --out docs

tune: $(STAMP)
	$(BIN)/python benchmarks/tune_analytic.py suites/analytic.yaml

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
