# The two commands of the README: `make run` and `make test`. Both set up what is
# missing first (system libraries, .venv), so they work on a fresh machine and again.
.PHONY: run test setup clean

VENV := .venv
PY := $(VENV)/bin/python

setup:
	@bash packaging/bootstrap.sh

run: setup
	$(VENV)/bin/cutwise-gui --demo

test: setup
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check editor tests plugins benchmarks
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
