# One command each: `make demo` (set up + run the main job on the sample corpus), `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= reports/sample

.PHONY: setup demo test test-fast bench browser clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(VENV)/bin/narratif run corpora/sample --meta corpora/sample/metadata.csv --out $(OUT)
	@echo "open $(OUT)/report.html"

browser:
	@bash scripts/install_browser.sh

test: setup browser
	$(PY) -m pytest -q -n 2 --dist loadfile

test-fast: setup
	$(PY) -m pytest -q -x -n 2 -m "not slow and not browser"

bench: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) reports/sample .pytest_cache
