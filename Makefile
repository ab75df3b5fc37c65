# The two commands of the README: `make paper` (the default study, ending in paper/main.pdf)
# and `make test`. Both start with `make setup`, which is idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all
CONFIG ?= config/config.yaml

.PHONY: setup latex paper test test-fast clean-results

setup: $(STAMP) latex

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "modecollapse needs Python >= 3.11; found " + sys.version.split()[0] + " (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# latexmk and pdflatex come from Debian's packages; install them when running as root.
LATEX_PACKAGES := latexmk lmodern texlive-latex-base texlive-latex-recommended texlive-fonts-recommended poppler-utils
latex:
	@if command -v latexmk >/dev/null && command -v pdflatex >/dev/null && command -v pdftotext >/dev/null && kpsewhich lmodern.sty >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing LaTeX: $(LATEX_PACKAGES)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(LATEX_PACKAGES); \
	else \
		echo "error: latexmk, pdflatex and pdftotext are needed for the report. Install them, e.g." >&2; \
		echo "  sudo apt-get install $(LATEX_PACKAGES)" >&2; \
		exit 1; \
	fi

paper: setup
	$(BIN)/modecollapse check-config $(CONFIG)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)

test: setup
	$(BIN)/python -m pytest -ra

test-fast: setup
	$(BIN)/python -m pytest -ra -m "not slow"

clean-results:
	rm -rf results figures/*.pdf figures/*.png paper/generated paper/build paper/main.pdf logs
