# params.code: the hash of the modecollapse code a rule's script imports, so that editing it reruns the rule.
# The input function evaluate_inputs is in common.smk.


rule evaluate:
    """Mode statistics of every seed of one (dataset, run name) at every snapshot, in long form,
    with run-level metrics at the final step (diverged from run.json, levelled off, under-trained),
    and for images the share of each digit (per channel) among the final samples."""
    input:
        unpack(evaluate_inputs),
    output:
        metrics=RUN_METRICS,
        shares=DIGIT_SHARES,
        mode_counts=MODE_COUNTS,
    log:
        "logs/evaluate/{dataset}/{run}.log",
    benchmark:
        "logs/benchmarks/evaluate/{dataset}/{run}.tsv"
    # on a cluster, the evaluations are submitted together: profiles/slurm sets how many per job
    # (--group-components evaluate=N); run locally, the group changes nothing
    group:
        "evaluate"
    conda:
        "../envs/evaluate.yaml"
    threads: 1
    params:
        code=source_hash(workflow.source_path("../scripts/evaluate.py")),
        threshold=STUDY.evaluation["threshold"],
        # a 2D sample's mode: nearest in stds (PacGAN) or by L2; high quality at < or <= threshold
        nearest=STUDY.evaluation["nearest"],
        inclusive=STUDY.evaluation["inclusive"],
        confidence=STUDY.evaluation["confidence"],
        collapse_coverage=STUDY.evaluation["collapse_coverage"],
        # levelled off: the covered share and high-quality fraction vary by at most plateau_tolerance
        # over the last plateau_window (a fraction) of training
        plateau_window=STUDY.evaluation["plateau_window"],
        plateau_tolerance=STUDY.evaluation["plateau_tolerance"],
    script:
        "../scripts/evaluate.py"
