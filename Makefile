# Every target bootstraps what it needs: a virtualenv in .venv with the package built
# (release mode) and installed in it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.built
DATA_DIR ?= ./ocrdesk-data
HOST ?= 127.0.0.1
PORT ?= 8000
SOURCES := $(shell find rust python -type f \( -name '*.rs' -o -name '*.py' -o -name '*.sql' -o -name '*.pyi' \) 2>/dev/null) Cargo.toml pyproject.toml

.PHONY: dev serve test bench bench-core lint clean system-deps

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "maturin>=1.9,<2"

$(STAMP): $(PY) $(SOURCES)
	@command -v tesseract >/dev/null && test -f /usr/include/tesseract/capi.h || \
	  if [ "$$(id -u)" -eq 0 ]; then $(MAKE) system-deps; \
	  elif command -v sudo >/dev/null; then sudo $(MAKE) system-deps; \
	  else echo "Tesseract is missing: run 'make system-deps' as root first"; exit 1; fi
	$(VENV)/bin/maturin develop --release -q -E test
	@touch $(STAMP)

dev: $(STAMP)

# Debian packages the build and the OCR need (run as root; .ci/run does it on CI).
system-deps:
	apt-get -o DPkg::Lock::Timeout=600 update -q
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
	  tesseract-ocr tesseract-ocr-eng tesseract-ocr-tha tesseract-ocr-osd \
	  libtesseract-dev libleptonica-dev libclang-dev clang pkg-config \
	  poppler-utils fonts-dejavu-core fonts-thai-tlwg fontconfig chromium

serve: $(STAMP)
	$(VENV)/bin/ocrdesk serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

test: $(STAMP)
	cargo test --release --no-default-features -q
	$(PY) -m pytest -q tests

bench: $(STAMP)
	$(PY) -m pip install -q --no-binary tesserocr "tesserocr>=2.7" "orjson>=3.9"
	$(PY) -m pytest benches -q -s --benchmark-columns=min,median,max,rounds

# the core benchmarks of the OCR library alone (a few minutes)
bench-core: $(STAMP)
	$(PY) -m pip install -q --no-binary tesserocr "tesserocr>=2.7"
	$(PY) -m pytest benches/test_ocr_scanned.py benches/test_rasterize.py benches/test_auto_text.py benches/test_memory.py -q -s

lint: $(STAMP)
	cargo clippy --no-default-features -q -- -D warnings
	cargo fmt --check

clean:
	rm -rf $(VENV) target
