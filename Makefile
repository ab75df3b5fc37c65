# The commands of the README: `make paper` (a study, ending in its paper/main.pdf), `make report`
# (its Snakemake HTML report) and `make test`. Each starts with the setup it needs, which is
# idempotent: `venv` (the Python environment) and `latex` (the TeX programs of the PDF report).
PYTHON ?= python3
# the Python environment: .venv here, /opt/venv in the container (Dockerfile)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all
CONFIG ?= config/config.yaml
# Every study in its own directory: the default study in the repository itself (paper/main.pdf
# here), any other in studies/<name of its config>/, e.g. `make paper CONFIG=config/paper.yaml`
# in studies/paper/; DIR=... chooses another.
DEFAULT_CONFIG := config/config.yaml
DIR ?= $(if $(filter $(abspath $(DEFAULT_CONFIG)),$(abspath $(CONFIG))),.,studies/$(basename $(notdir $(CONFIG))))
SNAKEMAKE := $(BIN)/snakemake --configfile $(abspath $(CONFIG)) --directory $(DIR)

.PHONY: setup venv latex paper replicate report readme-figure test test-fast clean-results

setup: venv latex

venv: $(STAMP)

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
	$(SNAKEMAKE) --cores $(CORES)

# A replication a laptop finishes (config/gdpp-table1.yaml, config/veegan-table1.yaml), run to the
# end in studies/TABLE/ (resuming from its checkpoints when stopped), then its small final results
# and their provenance shipped into reference/TABLE/ (modecollapse ship-reference): commit them.
# VARIANTS="gdpp gan-ns" runs only those rows of the table (modecollapse config-subset) and adds them
# to the shipped folder (ship-reference --add: its other rows stay, when made with the same training
# code); DATASETS=grid25 with VARIANTS runs them on those datasets only (one job a sitting, when a
# job is long). The report lists the rows still missing as not run at full protocol yet. The wall
# time recorded is this sitting's, one part of the folder's provenance.
TABLE ?=
VARIANTS ?=
DATASETS ?=
replicate: setup
	@test -n "$(TABLE)" -a -f "config/$(TABLE).yaml" || { echo "usage: make replicate TABLE=gdpp-table1 [VARIANTS='gdpp gan-ns' [DATASETS=grid25]] (a config/TABLE.yaml: gdpp-table1, veegan-table1)" >&2; exit 2; }
	@test -z "$(DATASETS)" -o -n "$(VARIANTS)" || { echo "make replicate: DATASETS needs VARIANTS (the rows to run on those datasets)" >&2; exit 2; }
	@config=config/$(TABLE).yaml; add=; \
	if [ -n "$(VARIANTS)" ]; then \
		mkdir -p studies/$(TABLE) && \
		$(BIN)/modecollapse config-subset $$config --variants "$(VARIANTS)" \
			$(if $(DATASETS),--datasets "$(DATASETS)") --out studies/$(TABLE)/config.yaml || exit 1; \
		config=studies/$(TABLE)/config.yaml; add=--add; \
	fi; \
	started=$$(date +%s); \
	$(MAKE) paper CONFIG=$$config DIR=studies/$(TABLE) && \
	$(BIN)/modecollapse ship-reference studies/$(TABLE) --table $(TABLE) --out reference/$(TABLE) $$add \
		--wall-time-s $$(( $$(date +%s) - started ))

# The study's self-contained HTML report (description, configuration, tables, figures) beside
# its paper/main.pdf; runs whatever of the study is not done yet first.
report: paper
	$(SNAKEMAKE) --report $(abspath $(DIR))/report.html
	@echo "report: $(DIR)/report.html"

# The README's picture: the default study's seed-spread figure (rule spread_figure), committed
# small in docs/images/; run after a change that moves the default study's results.
readme-figure:
	$(MAKE) paper CONFIG=$(DEFAULT_CONFIG) DIR=.
	mkdir -p docs/images && cp figures/spread.png docs/images/spread.png

test: setup
	$(BIN)/python -m pytest -ra

# Without TeX: the tests that need it are skipped.
test-fast: venv
	$(BIN)/python -m pytest -ra -m "not slow"

clean-results:
	cd $(DIR) && rm -rf results figures/*.pdf figures/*.png paper/generated paper/build paper/main.pdf logs report.html
