# params.code: the hash of the modecollapse code a rule's script imports, so that editing it reruns the rule.
from modecollapse.provenance import source_hash

def evaluate_inputs(wildcards):
    """Every seed's samples and run record, the dataset, and for images the family's classifier."""
    inputs = {
        "samples": expand(f"{RUN}/samples.parquet", seed=SEEDS, dataset=wildcards.dataset, variant=wildcards.variant),
        "runs": expand(f"{RUN}/run.json", seed=SEEDS, dataset=wildcards.dataset, variant=wildcards.variant),
        "data": f"data/{wildcards.dataset}.npz",
    }
    return inputs | (classifier_of(wildcards.dataset) if is_image(wildcards.dataset) else {})


rule evaluate:
    """Mode statistics of every seed of one (dataset, run name) at every snapshot, in long form,
    with run-level metrics at the final step (diverged from run.json, levelled off, under-trained),
    and for images the share of each digit (per channel) among the final samples."""
    input:
        unpack(evaluate_inputs),
    output:
        metrics="results/runs/{dataset}/{variant}/metrics.parquet",
        shares="results/runs/{dataset}/{variant}/digit_shares.parquet",
    params:
        code=source_hash(workflow.source_path("../scripts/evaluate.py")),
        threshold=STUDY["evaluation"]["threshold"],
        confidence=STUDY["evaluation"]["confidence"],
        collapse_coverage=STUDY["evaluation"]["collapse_coverage"],
        # levelled off: the covered share and high-quality fraction vary by at most plateau_tolerance
        # over the last plateau_window (a fraction) of training
        plateau_window=STUDY["evaluation"]["plateau_window"],
        plateau_tolerance=STUDY["evaluation"]["plateau_tolerance"],
    threads: 1
    log:
        "logs/evaluate/{dataset}/{variant}.log",
    script:
        "../scripts/evaluate.py"
