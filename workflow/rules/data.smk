# params.code: the hash of the modecollapse code a rule's script imports, so that editing it reruns the rule.
from modecollapse.data import dataset_sources
from modecollapse.download import MNIST_FILES
from modecollapse.provenance import source_hash


def dataset_inputs(wildcards):
    """What building a dataset reads: nothing for generated data, the MNIST files for mnist, the
    base family's dataset for stacked digits."""
    sources = dataset_sources(wildcards.dataset)
    inputs = {"base": f"data/{sources['base']}.npz"} if "base" in sources else {}
    if "mnist" in sources:
        inputs["mnist"] = expand("data/downloads/mnist/{file}", file=MNIST_FILES)
    return inputs


rule download_mnist:
    """Fetch the four MNIST files from the configured mirrors, each checked against the SHA-256
    pinned in modecollapse.download; files already present and intact are not fetched again."""
    # no params.code: the files are pinned by their SHA-256, so no code edit can make them stale,
    # and a rerun would delete them and need the network
    output:
        expand("data/downloads/mnist/{file}", file=MNIST_FILES),
    params:
        mirrors=STUDY["download"]["mirrors"],
        deadline_s=STUDY["download"]["deadline_s"],
    log:
        "logs/data/download_mnist.log",
    script:
        "../scripts/download_mnist.py"


rule dataset:
    """Build a dataset: generate a 2D mixture from the data seed, split scikit-learn's digits,
    read the MNIST files, or stack three digits of a family as colour channels."""
    input:
        unpack(dataset_inputs),
    output:
        "data/{dataset}.npz",
    wildcard_constraints:
        dataset="|".join(map(re.escape, REGISTRY)),  # a stacked dataset also needs its base family's
    params:
        code=source_hash(workflow.source_path("../scripts/make_dataset.py")),
        seed=STUDY["data"]["seed"],
        stack_from=STUDY["data"]["stack_from"],
        size=lambda wildcards: STUDY["data"]["stacked_size" if get_dataset(wildcards.dataset).stacked else "size"]
        if is_image(wildcards.dataset) else STUDY["data"]["size"],
    log:
        "logs/data/{dataset}.log",
    script:
        "../scripts/make_dataset.py"


rule classifier:
    """Train the evaluator classifier of a digits family once; its held-out accuracy goes to
    metrics.json (test_accuracy) and into the report."""
    input:
        "data/{family}.npz",
    output:
        classifier="results/classifiers/{family}/classifier.pt",
        metrics="results/classifiers/{family}/metrics.json",
    wildcard_constraints:
        family="digits|mnist",
    params:
        code=source_hash(workflow.source_path("../scripts/train_classifier.py")),
        seed=STUDY["data"]["seed"],
    threads: 1
    log:
        "logs/classifiers/{family}.log",
    script:
        "../scripts/train_classifier.py"
