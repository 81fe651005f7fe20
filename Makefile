# campsync: every target creates .venv and installs the project when needed,
# so each one works as the first command on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_PATHS := $(wildcard campsync tests bench scripts)
# The YAML language server that editors run (VS Code's YAML extension): the agreement
# tests ask it for an editor's verdict. Pinned; installed with npm into $(TOOLS).
YAML_LANGUAGE_SERVER_VERSION := 1.25.0
TOOLS := .tools
TOOLS_STAMP := $(TOOLS)/.yaml-language-server-$(YAML_LANGUAGE_SERVER_VERSION)

.PHONY: demo test lint bench package-check clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo 'Installing campsync and its dependencies into $(VENV) ...'
	@$(BIN)/python -m pip install --quiet --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet --quiet -e '.[test]'
	@touch $(STAMP)

# When npm cannot install it, the rest of the suite still runs and the tests that need
# the server fail, saying why (they never skip).
$(TOOLS_STAMP):
	@echo 'Installing yaml-language-server $(YAML_LANGUAGE_SERVER_VERSION) into $(TOOLS) ...'
	@rm -f $(TOOLS)/.yaml-language-server-*
	@npm install --prefix $(TOOLS) --no-save --no-audit --no-fund --loglevel=error \
		yaml-language-server@$(YAML_LANGUAGE_SERVER_VERSION) >/dev/null && touch $@ \
		|| echo 'warning: npm could not install yaml-language-server; its tests will fail'

demo: $(STAMP)
	@$(BIN)/python scripts/demo.py

test: $(STAMP) $(TOOLS_STAMP)
	@$(BIN)/python -m pytest

lint: $(STAMP)
	@$(BIN)/ruff check $(LINT_PATHS)
	@$(BIN)/ruff format --check $(LINT_PATHS)
	@$(BIN)/mypy

bench: $(STAMP)
	@$(BIN)/python bench/bench.py $(BENCH_ARGS)

package-check: $(STAMP)
	@$(BIN)/python scripts/check_wheel.py

clean:
	rm -rf $(VENV) $(TOOLS) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
