PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test demo bench clean

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

clean:
	rm -rf $(VENV) demo-output
