# lkubot: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lint types unit system-deps demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## test: lint, format check, types, then the whole test suite
test: $(STAMP) lint types unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) system-deps
	$(BIN)/pytest

## system-deps: Debian's chromium (the browser tests, pytest -m browser) and the OpenSSH client
## (the simulator's interop test), installed through apt when missing and run as root;
## otherwise those tests fail saying what to install
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v ssh >/dev/null || missing="$$missing openssh-client"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's$$missing for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

## demo: the whole workflow offline, in a browser
demo: $(STAMP)
	$(BIN)/lkubot demo

## bench: the performance figures quoted in the README
bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
