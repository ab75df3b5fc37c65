"""Rule software_table: what computed each stage's outputs, from their provenance records."""

import sys

from modecollapse.io import read_json, read_parquet_metadata, write_parquet
from modecollapse.provenance import software_table

sys.stderr = open(snakemake.log[0], "w")
records = {
    "classifier": [read_json(path) for path in snakemake.input.classifier],
    "training": [read_json(path) for path in snakemake.input.training],
    "evaluation": [read_parquet_metadata(path) for path in snakemake.input.evaluation],
}
write_parquet(software_table(records), snakemake.output[0])
