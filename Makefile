# Learning-Rate Schedules in PyTorch: build, test and edit the book.
# `make help` lists every target with its one-line help (the `## ` comment after it).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
# One thread per process: these tiny models run fastest that way, and two notebooks can run side by side. Nothing
# pins the arithmetic: what the notebooks print does not depend on it (see "Why the numbers are the same on your
# machine" in the README), and `make nbval-portability` checks that.
export OMP_NUM_THREADS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help book test lab notebooks notebook unit nbval nbval-portability nbval-scalar nbval-nudged \
	strict-book browser chromium clean setup kernel lint typecheck mypy wheel-test
.DEFAULT_GOAL := help

help: ## this list
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-zA-Z_-]+:[^#]*## / {printf "  make %-18s %s\n", $$1, $$2}' \
	    $(MAKEFILE_LIST)

setup: $(STAMP) ## create .venv, install requirements.txt and the book's kernel spec

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(MAKE) --no-print-directory kernel
	@touch $@

# The kernel spec "python3" in .venv, with this Makefile's settings in its "env": a kernel
# gets them however it is started (make lab, a hand-run `jupyter lab`, nbconvert, nbval),
# so the numbers match the book on every route. Its name and display name are those of
# every notebook's kernelspec, so opening a notebook in Lab changes nothing in it.
kernel: ## (re)install the python3 kernel spec into .venv with OMP_NUM_THREADS=1
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 \
	    --display-name "Python 3 (ipykernel)" \
	    --env OMP_NUM_THREADS $(OMP_NUM_THREADS) \
	    --env PYDEVD_DISABLE_FILE_VALIDATION $(PYDEVD_DISABLE_FILE_VALIDATION) >/dev/null

book: $(STAMP) ## build the HTML book into _build/html, executing every notebook afresh
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/python tools/build_book.py build . --warningiserror --keep-going
	@test -d _build/html/_static/vendor || echo "NOTE: npm or its registry was unavailable, so the pages load" \
	    "require.js, the widget manager, MathJax and thebe from public CDNs (see tools/offline_assets.py)"
	@echo "Book written to $(CURDIR)/_build/html/index.html"

# One process: with xdist each worker would collect the 8,000 bad-input cases again,
# which costs more than it saves. A test that hangs fails after 300 s.
unit: $(STAMP) ## lrlib's unit and property tests (not the browser tests)
	$(BIN)/python -m pytest tests -p no:cacheprovider --timeout=300 --ignore=tests/browser

NBVAL = $(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile --nbval $(NOTEBOOKS) \
	--nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout=120

# Re-run every notebook and compare each output with the stored one.
nbval: $(STAMP) ## re-run every notebook, compare its outputs with the stored ones
	$(NBVAL)

# The portability check: the stored outputs must come out the same under other arithmetic on this machine.
# `make test` runs one pass that makes both changes at once, at half the cost of two: a cell that either change
# moves is moved by the two together (short of an exact cancellation), so it fails that pass; the two single-change
# passes below then tell which change moved it:
#   nbval-scalar  ATen's scalar (non-vectorised) kernels and MKL's COMPATIBLE code path: other matrix products,
#                 other tanh/exp/softmax in the last bits, as on another CPU;
#   nbval-nudged  every model's initial weights moved by one ulp (lrlib/_canary.py): a number that a last-bit
#                 change moves is chaotic, and would differ on another CPU too.
SCALAR_ENV := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE
NUDGED_ENV := LRLIB_NUDGE_WEIGHTS=1

nbval-portability: $(STAMP) ## nbval under scalar kernels, MKL COMPATIBLE and one-ulp nudged weights at once
	$(SCALAR_ENV) $(NUDGED_ENV) $(NBVAL)

nbval-scalar: $(STAMP) ## nbval under ATen's scalar kernels and MKL's COMPATIBLE path only
	$(SCALAR_ENV) $(NBVAL)

nbval-nudged: $(STAMP) ## nbval with every model's initial weights moved by one ulp only
	$(NUDGED_ENV) $(NBVAL)

# The strict book build of `make test` renders the stored outputs (BOOK_EXECUTE=off, read
# by tools/build_book.py) instead of executing every notebook a fourth time: nbval and
# the two portability passes, which run before it, have just shown that those outputs are
# what a fresh run prints. `make book` alone still executes every notebook.
strict-book: $(STAMP) ## the strict book build from the stored outputs (part of make test)
	BOOK_EXECUTE=off $(MAKE) --no-print-directory book

# Headless Chromium for the browser tests: Debian's package (Playwright drives it through executable_path).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
chromium: ## install Debian's chromium for the browser tests if missing
	@test -x "$(CHROMIUM)" || { \
	    echo "installing Debian's chromium package for the browser tests"; \
	    SUDO=$$(test "$$(id -u)" -eq 0 || echo sudo); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Checks the pages of the last `make book` (run `make book` first; `make test` does), and
# a chapter opened in a JupyterLab that the test starts and stops. Two workers: a page
# visit mostly waits (for MathJax, for the network to go idle), so two overlap well; the
# JupyterLab and repository modules each stay on one worker (xdist_group).
browser: $(STAMP) chromium ## the built pages and JupyterLab in headless Chromium
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider -n 2 --dist loadgroup

LINTED := lrlib tests tools benchmarks chapters
lint: $(STAMP) ## ruff format --check and ruff check (88 columns) on code and chapters
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/ruff check $(LINTED)

MYPY_MODULES ?= lrlib
typecheck: $(STAMP) ## mypy --strict on lrlib (settings in pyproject.toml)
	$(BIN)/python -m mypy $(MYPY_MODULES)

mypy: typecheck ## the same as make typecheck

# Builds lrlib's wheel, installs it without extras into a clean venv (cached under
# .cache/wheel-test, no system site packages) next to torch and numpy only, and runs the
# core there (tools/wheel_test.py).
wheel-test: $(STAMP) ## the wheel in a clean venv with only torch and numpy
	$(BIN)/python tools/wheel_test.py

# Cheap checks first, so a lint or type error shows in seconds, not after the notebooks.
test: lint typecheck unit wheel-test nbval nbval-portability strict-book browser ## the whole suite

# As root (containers, cloud machines) JupyterLab needs --allow-root; LAB_ARGS adds options,
# e.g. on a remote machine: make lab LAB_ARGS="--no-browser --ip=0.0.0.0 --port=8888"
LAB_ARGS ?=
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP) ## JupyterLab on chapters/ (LAB_ARGS="--no-browser --ip=... --port=...")
	$(BIN)/jupyter lab $(ALLOW_ROOT) $(LAB_ARGS) chapters/

notebooks: $(STAMP) ## re-execute every notebook in place (before committing)
	@for nb in $(NOTEBOOKS); do $(MAKE) --no-print-directory notebook NB=$$nb; done

notebook: $(STAMP) ## re-execute NB=chapters/xx.ipynb in place; prints time and size
	@test -n "$(NB)" || { echo "usage: make notebook NB=chapters/xx.ipynb"; exit 2; }
	@echo "executing $(NB)"
	@start=$$(date +%s); \
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.kernel_name=python3 "$(NB)" 2> >(grep -v '^\[NbConvertApp\]' >&2); \
	$(BIN)/python tools/normalize_notebook.py "$(NB)"; \
	echo "  $$(( $$(date +%s) - start )) s, $$(du -k "$(NB)" | cut -f1) KiB"

clean: ## remove _build
	rm -rf _build
