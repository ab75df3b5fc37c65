# params.code: the hash of the modecollapse code a rule's script imports, so that editing it reruns the rule.
# The input function dataset_inputs is in common.smk.


rule download_mnist:
    """Fetch the four MNIST files from the configured mirrors, each checked against the SHA-256
    pinned in modecollapse.download; files already present and intact are not fetched again."""

    # no params.code: the files are pinned by their SHA-256, so no code edit can make them stale,
    # and a rerun would delete them and need the network
    output:
        expand(MNIST_FILE, file=MNIST_FILES),
    log:
        "logs/data/download_mnist.log",
    conda:
        "../envs/data.yaml"
    params:
        mirrors=STUDY.download["mirrors"],
        deadline_s=STUDY.download["deadline_s"],
    script:
        "../scripts/download_mnist.py"


rule dataset:
    """Build a dataset: generate a 2D mixture from the data seed, split scikit-learn's digits,
    read the MNIST files, or stack three digits of a family as colour channels."""
    input:
        unpack(dataset_inputs),
    output:
        DATASET,
    log:
        "logs/data/{dataset}.log",
    wildcard_constraints:
        dataset="|".join(map(re.escape, REGISTRY)),  # a stacked dataset also needs its base family's
    conda:
        "../envs/data.yaml"
    params:
        code=source_hash(workflow.source_path("../scripts/make_dataset.py")),
        seed=STUDY.data["seed"],
        stack_from=STUDY.data["stack_from"],
        size=lambda wildcards: (
            STUDY.data["stacked_size" if get_dataset(wildcards.dataset).stacked else "size"]
            if is_image(wildcards.dataset)
            else STUDY.data["size"]
        ),
    script:
        "../scripts/make_dataset.py"


rule classifier:
    """Train the evaluator classifier of a digits family once; its held-out accuracy goes to
    metrics.json (test_accuracy) and into the report."""
    input:
        DATASET.format(dataset="{family}"),  # the family's own dataset
    output:
        classifier=CLASSIFIER,
        metrics=CLASSIFIER_METRICS,
    log:
        "logs/classifiers/{family}.log",
    benchmark:
        "logs/benchmarks/classifier/{family}.tsv"
    wildcard_constraints:
        family="digits|mnist",
    conda:
        "../envs/data.yaml"
    threads: 1
    params:
        code=source_hash(workflow.source_path("../scripts/train_classifier.py")),
        seed=STUDY.data["seed"],
    script:
        "../scripts/train_classifier.py"
