# Before any job is planned: every output of this study that exists but cannot be read
# (truncated, overwritten) is set aside as NAME.unreadable, with a warning naming it, so that this
# run rebuilds it and the jobs after it, instead of trusting it or failing on it in every later run.
from modecollapse.io import set_aside_unreadable


def study_outputs():
    """The study's files that later jobs read: datasets, classifiers, runs, per-variant and study tables."""
    runs = [f"{RUN}/{name}" for name in ("samples.parquet", "curves.parquet", "run.json")]
    per_variant = [
        f"results/runs/{{dataset}}/{{variant}}/{name}" for name in ("metrics.parquet", "digit_shares.parquet")
    ]
    return [
        *(f"data/{dataset}.npz" for dataset in {*DATASETS, *FAMILIES}),
        *(f"results/classifiers/{family}/{name}" for family in FAMILIES for name in ("classifier.pt", "metrics.json")),
        *(path for pattern in runs for path in expand(pattern, dataset=DATASETS, variant=VARIANTS, seed=SEEDS)),
        *(path for pattern in per_variant for path in expand(pattern, dataset=DATASETS, variant=VARIANTS)),
        *(f"results/{name}.parquet" for name in ("metrics", "runs", "summary", "tests")),
    ]


set_aside_unreadable(study_outputs())
