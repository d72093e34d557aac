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

test: $(STAMP)
	$(PYTHON) -m pytest

clean:
	rm -rf $(VENV) deploy
