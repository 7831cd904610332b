# Two commands do everything: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
STAMP := .venv/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)

.PHONY: run test bench lint install install-test browser node clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e '.[test]'
	rm -f .venv/.installed-*; touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (browsers cannot be downloaded here), and the npm packages of the
# local OpenID providers the tests and the demo start.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

node:
	@if [ -f tests/oidc_provider/package.json ]; then \
	  (cd tests/oidc_provider && ([ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --silent --no-audit --no-fund)); fi

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	SECRET_KEY=$${SECRET_KEY:-lint-only-secret} .venv/bin/mypy lms_identity provisioning courses

# One process by default: two pytest-xdist workers are faster on two cores (about 3 against 5 minutes), but
# two of three CI-like runs on 2026-12-02 ended in an xdist INTERNALERROR ("crashitem": a worker finished
# with a browser test still pending) that we have not explained yet. PYTEST_WORKERS=2 runs them in
# parallel (each worker gets its own database, ports and Redis: tests/parallel.py).
PYTEST_WORKERS ?= 0

test: install browser node lint
	SECRET_KEY=$${SECRET_KEY:-test-only-secret} $(PY) -m pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

run: install node
	@bash scripts/run.sh

bench: install node
	SECRET_KEY=$${SECRET_KEY:-bench-only-secret} $(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf var .venv
