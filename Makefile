# Two commands do everything (README.md):  make book   and   make test
# Each sets up .venv itself (pinned tools from requirements-dev.txt, the package editable)
# and re-installs only when pyproject.toml or requirements-dev.txt change.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# One thread per kernel: the committed outputs were made this way, and nbval runs two
# notebooks at a time on a 2-core machine.
THREADS := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0
NBVAL  := $(THREADS) $(BIN)/python -m pytest --nbval --nbval-current-env \
          --nbval-sanitize-with book/nbval_sanitize.cfg -p no:cacheprovider -q
JOBS   ?= 2

.PHONY: setup test lint unit slow book nbval html html-zh locale browser notebooks serve gpu-check bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements-dev.txt requirements-run.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

## make test: every test (lint and types, both unit-test tiers, notebook guard, nbval, strict
## book build, browser test)
test: lint unit slow book browser

## make lint: ruff (lint, import order) on the package, the tests and the book tooling (.ci,
## book/_ext), mypy --strict on the package
lint: $(STAMP)
	$(BIN)/ruff check rnn_companion tests .ci book/_ext
	$(BIN)/mypy

## make unit: the fast tier (tests not marked slow), under a minute on 2 cores
unit: $(STAMP)
	$(THREADS) $(BIN)/python -m pytest tests --ignore=tests/test_browser.py -q -n $(JOBS) -m "not slow"

## make slow: the slow tier (packaging, training, benchmark runs)
slow: $(STAMP)
	$(THREADS) $(BIN)/python -m pytest tests --ignore=tests/test_browser.py -q -n $(JOBS) -m slow

## make book: nbval re-executes every notebook and compares it with its stored outputs,
## then Sphinx renders exactly those outputs (execute_notebooks: off), warnings as errors:
## the English site in _build/html, the Chinese one in _build/html/zh_CN.
book: nbval html

nbval: $(STAMP)
	$(NBVAL) -n $(JOBS) --dist loadfile book

html: $(STAMP)
	rm -rf _build
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	$(MAKE) --no-print-directory html-zh

## make html-zh: the Chinese edition, after checking that its catalogues are complete and current
html-zh: $(STAMP)
	$(BIN)/python .ci/catalogues.py check
	$(BIN)/python .ci/catalogues.py config > _config_zh.yml
	rm -rf _build/zh _build/html/zh_CN
	$(BIN)/jupyter-book build . --config _config_zh.yml --path-output _build/zh --all -W -n --keep-going
	mv _build/zh/_build/html _build/html/zh_CN

## make locale: bring the Chinese catalogues (book/locale) in step with the English text;
## then translate every entry that `python .ci/catalogues.py check` lists
locale: $(STAMP)
	$(BIN)/python .ci/catalogues.py update

browser: $(STAMP)
	$(BIN)/python -m pytest tests/test_browser.py -q -rs

## make notebooks [NB=book/02_hidden_state.ipynb]: re-execute in place, canonically
notebooks: $(STAMP)
	$(THREADS) $(BIN)/python .ci/execute_notebooks.py $(NB)

serve:
	$(BIN)/python -m http.server --directory _build/html 8000

## make gpu-check: unit tests and nbval on a CUDA machine (see README)
gpu-check:
	bash .ci/gpu-check

bench: $(STAMP)
	$(BIN)/rnn-companion bench

clean:
	rm -rf _build dist .pytest_cache
