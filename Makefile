# One command per developer task; CI runs `make test` on a clean clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
PYTEST_ARGS ?=

.PHONY: install compile demo test lint format bench postgres clean screenshots

# Bytecode is written once here: where PYTHONDONTWRITEBYTECODE is set (as in these sandboxes),
# every process would compile every module again (a server start cost 3.6 s of CPU, now 1.3 s).
$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(VENV)/bin/python -m pip install --quiet uv==$(UV_VERSION)
	$(UV) sync --frozen --quiet --compile-bytecode --python $(VENV)/bin/python
	touch $@

install: $(VENV)/.installed

# The gateway's request path compiled to C by mypyc (src/basin/native.py says when it is used);
# where it cannot be built the gateway runs as plain Python, and this says why.
GATEWAY_BUILD := src/basin/gateway/_compiled/stamp.json
$(GATEWAY_BUILD): $(VENV)/.installed $(wildcard src/basin/gateway/*.py) src/basin/native.py
	$(VENV)/bin/python scripts/compile_gateway.py

compile: $(GATEWAY_BUILD)

demo: install compile
	$(VENV)/bin/python -m basin.demo

test: install compile
	bash scripts/test.sh $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The studio's screenshots in docs/studio/, from the browser test's walk (real server, Chromium).
screenshots: install
	bash scripts/chromium.sh >/dev/null
	BASIN_STUDIO_SCREENSHOTS=$(CURDIR)/docs/studio $(VENV)/bin/python -m pytest -q -p no:xdist \
		tests/e2e/test_studio_browser.py

bench: install compile
	$(VENV)/bin/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache src/basin/gateway/_compiled build
