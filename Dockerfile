# modecollapse in a container: the pinned Python environment (pyproject.toml), the TeX programs
# of the PDF report (the Makefile's LATEX_PACKAGES) and chromium for the report's screenshot test.
# For a cluster without Docker, convert it to an Apptainer image and run a study on a node, its
# outputs in a directory of the cluster's file system (`--nv` makes the node's NVIDIA driver and GPUs visible
# inside; without it `device: auto` finds no GPU and trains on the CPU, and `device: cuda` fails):
#   docker build -t modecollapse .
#   apptainer build modecollapse.sif docker-daemon://modecollapse:latest
#   apptainer exec --nv --bind /scratch modecollapse.sif make -C /opt/modecollapse paper \
#       CONFIG=config/paper.yaml DIR=/scratch/$USER/paper
# Inside, `make` finds the environment installed already (VENV=/opt/venv).
FROM python:3.11-slim-bookworm

RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
       make git latexmk lmodern texlive-latex-base texlive-latex-recommended texlive-fonts-recommended \
       poppler-utils chromium \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first (a layer that changes only with pyproject.toml), then the package itself.
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
WORKDIR /opt/modecollapse
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/venv \
    && pip install --no-cache-dir -e . \
    && touch /opt/venv/.installed
COPY . .

# `make paper`, `make report`, `make test` with VENV=/opt/venv, or snakemake directly.
ENV VENV=/opt/venv
CMD ["make", "paper"]
