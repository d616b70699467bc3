# Every target does its own set-up: a virtual environment in .venv with the
# CPU build of PyTorch installed first, then this package in editable mode.
# test-min runs the test suite in .venv-min against the oldest versions that
# pyproject.toml allows (the floors, pinned by .ci/min_requirements.py).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_VERSION ?= 2.13.0

MIN_VENV ?= .venv-min
MIN_BIN := $(MIN_VENV)/bin

.PHONY: test test-min demo docs lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install "torch==$(TORCH_VERSION)"
	$(BIN)/python -m pip install -e ".[test]"
	touch $@

$(VENV)/.installed-docs: pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install -e ".[test,docs]"
	touch $@

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

$(MIN_BIN)/python:
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_BIN)/python -m pip install --quiet --upgrade pip

$(MIN_VENV)/.installed: pyproject.toml .ci/min_requirements.py | $(MIN_BIN)/python
	$(MIN_BIN)/python -m pip install "torch==$(TORCH_VERSION)"
	$(MIN_BIN)/python .ci/min_requirements.py test > $(MIN_VENV)/requirements.txt
	$(MIN_BIN)/python -m pip install -r $(MIN_VENV)/requirements.txt
	$(MIN_BIN)/python -m pip install --no-deps -e .
	$(MIN_BIN)/python -m pip check
	touch $@

test-min: $(MIN_VENV)/.installed
	$(MIN_BIN)/python -m pip list --format=freeze
	$(MIN_BIN)/python -m pytest

demo: $(VENV)/.installed-test
	$(BIN)/sklearn-ser demo

# SPHINXOPTS="-D plot_gallery=0" skips running the example gallery.
SPHINXOPTS ?=

docs: $(VENV)/.installed-docs
	$(BIN)/sphinx-build -W --keep-going -b html $(SPHINXOPTS) docs docs/_build/html

clean:
	rm -rf $(VENV) $(MIN_VENV) build dist *.egg-info .pytest_cache .ruff_cache
