# dncnn-study: `make reproduce` runs the study, `make test` checks it. Both create .venv first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PROFILE ?= quick
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
TEST_ROOT := $(CURDIR)/build/test
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONWARNINGS ?= ignore::DeprecationWarning

.PHONY: help venv data patches train reproduce test mutants bench noise-levels tasks ablation lab clean

help: ## list the rules
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(STAMP) ## create the environment in .venv (once; again only when pyproject.toml changes)

data: $(STAMP) ## fetch and verify the image sets: Train400, BSD68, Set12, Set5, Set14, classic5, LIVE1, CBSD68, BSD100, Urban100 (DNCNN_DATA_MIRROR=<folder> copies a local mirror)
	$(PY) -m dncnn fetch

patches: $(STAMP) ## cut the training patches of PROFILE
	$(PY) -m dncnn patches --profile $(PROFILE)

train: $(STAMP) ## train PROFILE from the shell (resumable: make train ARGS=--resume)
	$(PY) -m dncnn train --profile $(PROFILE) $(ARGS)

reproduce: $(STAMP) ## execute the notebooks with papermill (PROFILE=quick|paper|smoke), render their pages, update README
	$(PY) -m dncnn reproduce --profile $(PROFILE)

test: $(STAMP) ## unit tests, the notebooks under the smoke profile (one make reproduce PROFILE=smoke in build/test) and its pages in headless Chromium
	DNCNN_OUTPUT_ROOT=$(TEST_ROOT) $(PY) -m pytest -p no:cacheprovider tests

mutants: $(STAMP) ## mutation testing of the code behind the tables, not in CI (MUTANTS=noise,metrics,... MUTANTS_MINUTES=30 MUTANTS_JOBS=2) -> build/mutants/report.md
	$(PY) scripts/mutants.py $(if $(MUTANTS),--targets $(MUTANTS)) --minutes $(or $(MUTANTS_MINUTES),30) --jobs $(or $(MUTANTS_JOBS),2)

# make bench's extra: the PyTorch peer (pyproject.toml's [bench], docs/benchmark.md says what it downloads)
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(BENCH_STAMP) ## speed against the peers (installs the PyTorch peer) and this machine's ceiling, Table IV -> results/bench.*, results/table4.*, figures/ (minutes)
	$(PY) -m dncnn bench run

noise-levels: $(STAMP) ## notebook 06's grid on every BSD68 image -> results/noise-levels/ (the denoise rule) and docs/noise-levels.md's block (about 100 min on 2 cores; resumable)
	$(PY) -m dncnn noise-levels --out-dir results/noise-levels

tasks: $(STAMP) ## notebook 05's DnCNN-3 table and the colour row on every image -> results/dncnn3/, docs/dncnn3.md's block (about 27 min on 2 cores)
	$(PY) -m dncnn tasks --colour-images -1

ablation: $(STAMP) ## the paper's Fig. 2 runs, Adam, CPU budget -> results/ablation/ablation/ (notebook 07; about 8 min a run, 4 runs, on 2 cores; resumable)
	$(PY) -m dncnn ablation --profile ablation --runs adam

lab: $(STAMP) ## open the notebooks in JupyterLab
	$(VENV)/bin/jupyter lab notebooks/

clean: ## remove build outputs (keeps data/, results/, figures/)
	rm -rf build
