# Two commands for a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
OUTCOMELENS := $(VENV)/bin/outcomelens
NODE_STAMP := semantic_layer/node_modules/.outcomelens-installed
DASHBOARD_NODE_STAMP := dashboard/node_modules/.outcomelens-installed

.PHONY: setup demo test up down status clean

setup: $(UV) $(NODE_STAMP) $(DASHBOARD_NODE_STAMP)
	$(UV) sync --frozen
	$(OUTCOMELENS) prepare

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(NODE_STAMP): semantic_layer/package-lock.json
	cd semantic_layer && CUBESTORE_SKIP_POST_INSTALL=true npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

# The dashboard's own browser libraries (dashboard/vendor.py): plotly.js's basic bundle.
$(DASHBOARD_NODE_STAMP): dashboard/package-lock.json
	cd dashboard && npm ci --no-audit --no-fund
	touch $(DASHBOARD_NODE_STAMP)

demo: setup
	$(OUTCOMELENS) demo

# Two workers, one module each at a time: most tests wait on servers they started (Cube, Dagster, dbt).
test: setup
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile

up: setup
	$(OUTCOMELENS) up

down:
	$(OUTCOMELENS) down

status:
	$(OUTCOMELENS) status

clean: down
	rm -rf .outcomelens
