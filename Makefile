# The two entry points: `make run` (the main job) and `make test` (all tests).
# Each creates .venv when it is missing and installs the project with its pinned versions.
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install clean

$(PYTHON):
	python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --upgrade "pip>=24"
	$(PYTHON) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/msg deploy

# The demo page's npm packages (LiteRT.js, playwright-core), pinned by its package-lock.json.
WEB := mobile_demo/web
$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix $(WEB) --no-audit --no-fund; \
	else echo "note: npm not found, so the demo page's browser test is skipped; install Node.js and npm"; fi

test: $(STAMP) $(WEB)/node_modules/.package-lock.json
	@command -v chromium >/dev/null 2>&1 || echo "note: Chromium not found, so the demo page's browser test is skipped; install it with: apt-get update && apt-get install -y chromium"
	$(PYTHON) -m pytest

clean:
	rm -rf $(VENV) deploy
