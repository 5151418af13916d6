# trailwatch: `make check` (the main job, offline), `make test` (the whole suite) and
# `make typecheck` (mypy).
# Both create the virtual environments from the pinned requirements when missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PACK_VENV := policy/venv
STACK  ?= dev

.PHONY: help venv check test typecheck bench lint clean
help:
	@echo "make check   run the dev stack offline with the policy pack (no cloud, no CLI)"
	@echo "make test    the whole test suite"
	@echo "make typecheck  mypy on the program, the pack's modules and the benchmarks"
	@echo "make bench   benchmarks (bench/results.json)"
	@echo "make lint    actionlint on .github/workflows"

$(VENV)/.installed: requirements.txt requirements-dev.txt policy/requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "trailwatch needs Python 3.11+; found " + sys.version.split()[0] + ". Set PYTHON=python3.11 (or newer).")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

# The pack's own interpreter, named by policy/PulumiPolicy.yaml: pulumi-policy only.
$(PACK_VENV)/.installed: policy/requirements.txt
	$(PYTHON) -m venv $(PACK_VENV)
	$(PACK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r policy/requirements.txt
	@touch $@

venv: $(VENV)/.installed $(PACK_VENV)/.installed

# Every policy of the pack on (strict.json): all 15 CIS monitoring controls, mandatory.
check: venv
	$(PY) -m trailwatch check . --stack $(STACK) --policy-pack-config policy/configs/strict.json

test: venv
	$(PY) -m pytest

typecheck: venv
	$(PY) -m mypy

bench: venv
	$(PY) -m bench

lint: venv
	$(VENV)/bin/actionlint .github/workflows/*.yml

clean:
	rm -rf $(VENV) $(PACK_VENV) .pytest_cache .hypothesis .mypy_cache
