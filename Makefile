# Two commands matter: `make demo` (set up, then analyse the bundled sample) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
DATASETS ?= ../shared/datasets
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test bench bench-service bench-webapp serve train lint

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: the CPU wheel on disk, not a CUDA build from the index.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

demo: setup
	@mkdir -p out
	$(VENV)/bin/vocengine analyze examples/feedback_sample.csv --out out/feedback_sample.analysis.jsonl \
		--report out/journey.html

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy vocengine api
	$(PY) -m pytest

bench: setup
	@mkdir -p out
	$(VENV)/bin/vocengine bench --json out/bench.json

bench-service: setup
	@mkdir -p out
	$(VENV)/bin/vocengine bench-service --json out/bench_service.json

bench-webapp: setup
	@mkdir -p out
	$(PY) -m api.bench_webapp --json out/bench_webapp.json

serve: setup
	$(VENV)/bin/vocengine serve

train: setup
	$(PY) -m training.train_default --dataset-dir $(DATASETS) --out models/default

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
