"""Training rule: one (dataset, run name, seed group) -> samples.parquet, curves.parquet,
probes.parquet, d_surface.parquet and run.json in the run directory of each seed."""

import sys

import torch

from modecollapse.config import TrainSettings
from modecollapse.data import heldout_points, load_dataset, stacked_online, training_points
from modecollapse.device import claim_gpu, gpu_slots_dir, resolve_device, set_float32_precision, use_deterministic_cuda
from modecollapse.io import write_json, write_parquet
from modecollapse.provenance import provenance
from modecollapse.records import run_record
from modecollapse.train import train

log = open(snakemake.log[0], "w")
sys.stderr = log
torch.set_num_threads(snakemake.threads)
params = snakemake.params
seeds = list(params.seeds)
set_float32_precision(tf32=params.tf32)
device = resolve_device(params.device)
if device == "cuda":  # one of the machine's GPUs, shared fairly among concurrent jobs; run.json records which
    use_deterministic_cuda()
    device, gpu_slot = claim_gpu(gpu_slots_dir(), torch.cuda.device_count())
    torch.cuda.set_device(device)  # its work, and its CUDA context, on that GPU alone
step_mode = "cuda-graph" if device.startswith("cuda") and params.cuda_graphs else "eager"
dataset = load_dataset(snakemake.input.data)
result = train(
    data=training_points(dataset),
    settings=TrainSettings(**params.settings),
    seeds=seeds,
    device=device,
    progress=log,
    image_shape=tuple(int(n) for n in dataset["image_shape"]) if "image_shape" in dataset else None,
    stacked_online=stacked_online(dataset),
    step_mode=step_mode,
    checkpoint_dir=params.checkpoint_dir,
    checkpoint_every=params.checkpoint_every,
    samples_paths={seed: snakemake.output[f"samples_{seed}"] for seed in seeds},  # written member by member
    mixture=(dataset["centers"], dataset["std"]) if "centers" in dataset else None,  # fresh_data draws from it
    heldout=heldout_points(dataset),  # images: D's probes of overfitting score the held-out split
)
if result.resumed_from_step is not None:
    print(f"resumed from the checkpoint at step {result.resumed_from_step}", file=log)
for member in result.members:
    write_parquet(member.curves, snakemake.output[f"curves_{member.seed}"])
    write_parquet(member.probes, snakemake.output[f"probes_{member.seed}"])
    write_parquet(member.surface, snakemake.output[f"surface_{member.seed}"])
    record = run_record(
        dataset=snakemake.wildcards.dataset,
        variant=snakemake.wildcards.run,
        seed=member.seed,
        settings=params.settings,
        status=member.status,
        diverged_step=member.diverged_step,
        device=result.device,
        tf32=params.tf32,
        cuda_graphs=params.cuda_graphs,
        threads=snakemake.threads,
        ensemble_seeds=seeds,
        resumed_from_step=result.resumed_from_step,
        ensemble_wall_time_s=result.wall_time_s,
        provenance=provenance(device=result.device),
    )
    write_json(record, snakemake.output[f"run_{member.seed}"])  # written last: its presence marks a finished run
