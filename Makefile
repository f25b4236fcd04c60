PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test demo bench docs clean

$(BIN)/liepinn: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test]"
	touch $(BIN)/liepinn

install: $(BIN)/liepinn

test: install
	$(BIN)/python -m pytest -q

demo: install
	$(BIN)/liepinn demo --out demo-output

bench: install
	$(BIN)/python benchmarks/symmetries.py

docs: install
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) demo-output site
