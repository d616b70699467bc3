# Every target does its own set-up: a virtual environment in .venv with the
# CPU build of PyTorch installed first, then this package in editable mode.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_VERSION ?= 2.13.0

.PHONY: test demo docs lint clean

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

demo: $(VENV)/.installed-test
	$(BIN)/sklearn-ser demo

# SPHINXOPTS="-D plot_gallery=0" skips running the example gallery.
SPHINXOPTS ?=

docs: $(VENV)/.installed-docs
	$(BIN)/sphinx-build -W --keep-going -b html $(SPHINXOPTS) docs docs/_build/html

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
