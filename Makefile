# Two entry points: `make demo` (main job on the bundled samples) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench samples clean

$(STAMP): pyproject.toml constraints.txt packaging/opencv-python-shim/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=23"
	@# before the project: rapidocr's opencv-python requirement is met by the headless cv2 (docs/ocr.md)
	$(PY) -m pip install --quiet -c constraints.txt ./packaging/opencv-python-shim
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/fiscal run samples/
	$(VENV)/bin/fiscal documents --format table
	@# the report site (issue 16): prints the path of its index.html, open it in a browser (file:// works)
	$(VENV)/bin/fiscal site data/site

test: $(STAMP)
	$(PY) -m pytest -q -n 2

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy flows extract transform warehouse expectations
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) benchmarks/extract.py
	$(PY) benchmarks/validate.py
	$(PY) benchmarks/load.py --documents 200
	$(PY) benchmarks/harvest.py --documents 100

samples: $(STAMP)
	$(PY) samples/make_seed_pdf.py --layout one-per-page --out samples/changsha_zwfwzx_2020_juesuan.pdf

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
