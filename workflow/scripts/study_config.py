"""Rule study_config: the study as the workflow ran it (every --configfile and --config merged,
defaults filled in, checked), as YAML: what the HTML report shows as its configuration."""

import sys

import yaml

from modecollapse.io import write_text

sys.stderr = open(snakemake.log[0], "w")
write_text(yaml.safe_dump(snakemake.params.study, sort_keys=False), snakemake.output[0])
