# trailwatch: `make check` (the main job, offline), `make test` (the whole suite) and
# `make typecheck` (mypy).
# Both create the virtual environments from the pinned requirements when missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PACK_VENV := policy/venv
STACK  ?= dev

.PHONY: help venv check test typecheck bench lint release-tags clean cli e2e browser botocore-data
help:
	@echo "make check   run the dev stack offline with the policy pack (no cloud, no CLI)"
	@echo "make test    the whole test suite"
	@echo "make typecheck  mypy on the program, the pack, the benchmarks and the tests (every function's body)"
	@echo "make bench   benchmarks, printed as docs/performance.md shows them (SAVE=1: write bench/results.json)"
	@echo "make lint    ruff check, ruff format --check and actionlint on .github/workflows"
	@echo "make release-tags  tag v<version> and move v<major> (docs/organisation.md)"
	@echo "make cli     build the real Pulumi CLI from source into .tools/ (needs Go and the Go module proxy)"
	@echo "make e2e     pulumi preview --policy-pack (real CLI) and trailwatch check must agree on every stack"
	@echo "make browser the audit's HTML report rendered in headless Chromium (needs Debian's chromium)"
	@echo "make botocore-data  remake the audit's trimmed copy of botocore's data from the pinned botocore"

$(VENV)/.installed: requirements.txt requirements-dev.txt policy/requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "trailwatch needs Python 3.11+; found " + sys.version.split()[0] + ". Set PYTHON=python3.11 (or newer).")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@# a venv made before the rename to trailwatch-cis still has the old distribution `trailwatch`
	@$(PY) -m pip uninstall --quiet --disable-pip-version-check -y trailwatch >/dev/null 2>&1 || true
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

# Results go to bench/out/ (git-ignored); SAVE=1 writes the committed bench/results.json.
bench: venv
	$(PY) -m bench $(if $(SAVE),--save,)

# The audit's trimmed copy of botocore's data (trailwatch/audit/shipped_data.py), after a
# botocore upgrade in requirements-dev.txt: tests/test_audit_botocore_data.py says when.
botocore-data: venv
	$(PY) -m trailwatch.audit.shipped_data

# Every check runs even when one fails; make lint fails if any did.
lint: venv
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/actionlint .github/workflows/*.yml || status=1; \
	exit $$status

# The real Pulumi CLI (tools/cli/build.sh says what lands in .tools/). Go's build cache makes a
# rebuild cheap; make skips it entirely while tools/cli is unchanged.
CLI_SOURCES := $(wildcard tools/cli/*.go tools/cli/*/*.go tools/cli/cmd/*/*.go) tools/cli/go.mod tools/cli/go.sum \
	tools/cli/build.sh tools/cli/pulumi-language-python-exec
.tools/.built: $(CLI_SOURCES) $(VENV)/.installed
	@bash tools/cli/build.sh
	@touch $@

cli: venv .tools/.built

# Not part of make test/check: it needs `make cli` (Go + the module proxy) and takes minutes.
TS_STACK := e2e/typescript
$(TS_STACK)/node_modules/.installed: $(TS_STACK)/package.json $(TS_STACK)/package-lock.json
	cd $(TS_STACK) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

e2e: cli $(TS_STACK)/node_modules/.installed
	$(PY) -m pytest -q e2e

# Not part of make test/check: it needs a browser (Debian's `chromium`; .ci/run installs it).
browser: venv
	$(PY) -m pytest -q browser

# The version of pyproject.toml (evaluated only by the targets that use it).
VERSION = $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' pyproject.toml)
MAJOR   = $(firstword $(subst ., ,$(VERSION)))

release-tags:
	@test -n "$(VERSION)" || { echo "release-tags: no version = \"...\" line in pyproject.toml"; exit 2; }
	@test -z "$$(git status --porcelain)" || { echo "release-tags: the work tree has uncommitted changes; commit or stash them first"; exit 2; }
	@grep -q '^## \[$(VERSION)\]' CHANGELOG.md || { echo "release-tags: CHANGELOG.md has no '## [$(VERSION)]' section; add the release notes first"; exit 2; }
	@! git rev-parse -q --verify refs/tags/v$(VERSION) >/dev/null || { echo "release-tags: v$(VERSION) exists already; bump version in pyproject.toml and policy/PulumiPolicy.yaml"; exit 2; }
	git tag -a v$(VERSION) -m "trailwatch $(VERSION)"
	git tag -f -a v$(MAJOR) -m "trailwatch $(VERSION) (v$(MAJOR) follows the latest $(MAJOR).x release)"
	@echo "push with: git push origin v$(VERSION) && git push --force origin v$(MAJOR)"

clean:
	rm -rf $(VENV) $(PACK_VENV) .pytest_cache .hypothesis .mypy_cache .tools
