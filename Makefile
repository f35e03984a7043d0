# Learning-Rate Schedules in PyTorch: build, test and edit the book.
#   make book       build the HTML book into _build/html
#   make test       the whole suite: lrlib tests, nbval on every notebook (as stored, under other arithmetic
#                   and with every model's initial weights moved by one ulp), a strict book build, and the
#                   built pages checked in headless Chromium (installed from Debian's packages if missing)
#   make lab        JupyterLab on the chapters
#   make notebooks  re-execute every notebook in place from a fresh kernel (before committing)
#   make notebook NB=chapters/xx.ipynb   the same for one notebook
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

.PHONY: book test lab notebooks notebook unit nbval nbval-portability nbval-scalar nbval-nudged strict-book \
	browser chromium clean setup

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

book: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/python tools/build_book.py build . --warningiserror --keep-going
	@test -d _build/html/_static/vendor || echo "NOTE: npm or its registry was unavailable, so the pages load" \
	    "require.js, the widget manager, MathJax and thebe from public CDNs (see tools/offline_assets.py)"
	@echo "Book written to $(CURDIR)/_build/html/index.html"

unit: $(STAMP)
	$(BIN)/python -m pytest tests -p no:cacheprovider --ignore=tests/browser

NBVAL = $(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile --nbval $(NOTEBOOKS) \
	--nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout=120

# Re-run every notebook and compare each output with the stored one.
nbval: $(STAMP)
	$(NBVAL)

# The portability check: the stored outputs must come out the same under other arithmetic on this machine.
#   nbval-scalar  ATen's scalar (non-vectorised) kernels and MKL's COMPATIBLE code path: other matrix products,
#                 other tanh/exp/softmax in the last bits, as on another CPU;
#   nbval-nudged  every model's initial weights moved by one ulp (lrlib/_canary.py): a number that a last-bit
#                 change moves is chaotic, and would differ on another CPU too.
nbval-portability: nbval-scalar nbval-nudged

nbval-scalar: $(STAMP)
	ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE $(NBVAL)

nbval-nudged: $(STAMP)
	LRLIB_NUDGE_WEIGHTS=1 $(NBVAL)

strict-book: book

# Headless Chromium for the browser tests: Debian's package (Playwright drives it through executable_path).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
chromium:
	@test -x "$(CHROMIUM)" || { \
	    echo "installing Debian's chromium package for the browser tests"; \
	    SUDO=$$(test "$$(id -u)" -eq 0 || echo sudo); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Checks the pages of the last `make book` (run `make book` first; `make test` does).
browser: $(STAMP) chromium
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider

test: unit nbval nbval-portability strict-book browser

lab: $(STAMP)
	$(BIN)/jupyter lab chapters/

notebooks: $(STAMP)
	@for nb in $(NOTEBOOKS); do $(MAKE) --no-print-directory notebook NB=$$nb; done

notebook: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make notebook NB=chapters/xx.ipynb"; exit 2; }
	@echo "executing $(NB)"
	@start=$$(date +%s); \
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.kernel_name=python3 "$(NB)" 2> >(grep -v '^\[NbConvertApp\]' >&2); \
	$(BIN)/python tools/normalize_notebook.py "$(NB)"; \
	echo "  $$(( $$(date +%s) - start )) s, $$(du -k "$(NB)" | cut -f1) KiB"

clean:
	rm -rf _build
