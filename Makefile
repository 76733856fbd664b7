# One entry point for the dev loop. `make demo` and `make test` are the README's two commands.
SHELL := /bin/bash
VENV := .venv/bin
PYTEST_ARGS ?=

.PHONY: setup setup-demo demo test unit check sanity lab-start lab-stop clean sheet-template report reporting

# Python dependency sets (scripts/setup.sh): `setup` installs everything, for the tests and the
# development tools (requirements.txt + requirements-lab*.txt + requirements-dev.txt);
# `setup-demo` only the runtime and the simulated lab (requirements.txt + requirements-lab*.txt).
setup:
	./scripts/setup.sh test

setup-demo:
	./scripts/setup.sh demo

demo: setup-demo
	./scripts/demo.sh

test: setup
	./scripts/test.sh $(PYTEST_ARGS)

unit: setup
	$(VENV)/python -m pytest -q tests/unit

# The development checks alone (ruff, ansible-test sanity, ansible-lint, changelog, molecule,
# role argument specs, execution environment, schedules); `make test` runs them too.
check: setup
	$(VENV)/python -m pytest -q tests/ecosystem $(PYTEST_ARGS)

# ansible-test sanity, no containers, no ignore files (issue #7); ARGS go to ansible-test
sanity: setup
	./scripts/sanity.sh $(ARGS)

lab-start: setup-demo
	$(VENV)/python tests/lab/labctl.py start

lab-stop:
	$(VENV)/python tests/lab/labctl.py stop

sheet-template: setup-demo
	$(VENV)/python scripts/make-sheet-template.py

report: setup-demo
	$(VENV)/python scripts/run-report.py --run $(or $(RUN),latest) --xlsx $(or $(OUT),run-report).xlsx --csv $(or $(OUT),run-report).csv

reporting: setup-demo
	./scripts/serve-reporting.sh $(DB)

clean:
	rm -rf .collections .confvault tests/output
