from modecollapse.provenance import source_hash

# the hash of the modecollapse code train.py imports (params.code): editing that code reruns training
TRAIN_CODE = source_hash(workflow.source_path("../scripts/train.py"))


# One training job per (dataset, run name, group of seeds): the group trains as one vectorised
# ensemble (config `ensemble_size`). A rule per seed group, because a rule's outputs are fixed
# by its wildcards and each group writes the run directories of its own seeds.
for group in SEED_GROUPS:

    rule:
        name:
            train_rule_name(group)
        input:
            data=DATASET,
        output:
            **{
                f"{kind}_{seed}": pattern.replace("{seed}", str(seed))
                for seed in group
                for kind, pattern in (
                    ("samples", RUN_SAMPLES),
                    ("curves", RUN_CURVES),
                    ("probes", RUN_PROBES),
                    ("surface", RUN_SURFACE),
                    ("run", RUN_RECORD),
                )
            },
        log:
            TRAIN_LOG.replace("{seeds}", seeds_tag(group)),
        benchmark:
            f"logs/benchmarks/train/{{dataset}}/{{run}}/seeds{seeds_tag(group)}.tsv"
        conda:
            "../envs/train.yaml"
        threads: 1
        resources:  # estimated from steps, members, networks and snapshots (modecollapse.cost)
            mem_mb=train_mem_mb(len(group)),
            runtime=train_runtime(len(group)),
            # device: cuda -> one GPU per job: SLURM allocates it (--gpus), and locally
            # --resources gpu=N runs at most N training jobs at once, spread over the GPUs
            gpu=TRAIN_GPUS,
        params:
            code=TRAIN_CODE,
            settings=train_settings,  # a changed setting reruns only this run's jobs
            seeds=list(group),
            device=STUDY.device,
            tf32=STUDY.tf32,
            cuda_graphs=STUDY.cuda_graphs,
            checkpoint_dir=CHECKPOINTS,  # kept when a job fails
            checkpoint_every=STUDY.checkpoint_every,
        script:
            "../scripts/train.py"
