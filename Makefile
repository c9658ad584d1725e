# One command sets up and runs each job; the virtual environment is made on first use.
#   make demo   the main job: train, publish, load, generate and evaluate offline
#   make test   the test suite (what CI runs)
#   make lint   ruff check + format check

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(wildcard plugins/*/pyproject.toml))
STAMP := $(VENV)/.installed

.PHONY: install test demo lint bench clean

$(STAMP): pyproject.toml $(PLUGINS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[test,data]" $(foreach p,$(PLUGINS),-e $(dir $(p)))
	# totalsegmentator ships a real head CT; its own dependencies are not needed.
	$(BIN)/python -m pip install --no-deps totalsegmentator
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/zoo demo

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV)
