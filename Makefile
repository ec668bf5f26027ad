# The two commands of the README. Both install first (idempotent, fast when done).
VENV ?= $(CURDIR)/tools/venv
PYTEST_ARGS ?=

.PHONY: install demo test lint
install:
	VENV=$(VENV) tools/install.sh

demo: install
	cd egs/mini_cv && ./run.sh

test: install
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check asrkit tests bench
