"""The training loop: one function, readable top to bottom (critic steps, generator step, logging)."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import TextIO

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from .config import TrainSettings
from .losses import LOSSES
from .models import init_weights, mlp_discriminator, mlp_generator
from .regularisers import gradient_penalty


@dataclasses.dataclass
class RunResult:
    samples: pd.DataFrame  # step, x, y: generated samples at every snapshot
    curves: pd.DataFrame  # step, d_loss, g_loss
    status: str  # "ok" or "diverged"
    diverged_step: int | None
    wall_time_s: float
    device: str


def resolve_device(device: str) -> str:
    """Map the config's `device` (auto|cpu|cuda) to a torch device; auto picks CUDA when present."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config asks for device: cuda, but torch sees no CUDA device; use auto or cpu")
    return device


def train(
    *, data: np.ndarray, settings: TrainSettings, seed: int, device: str = "cpu", progress: TextIO | None = None
) -> RunResult:
    """Train one GAN on `data` (n × dim) and return its snapshots and loss curves.

    All randomness (initialisation, noise, minibatches, fixed evaluation z) comes from generators
    seeded by `seed`: same settings and seed give the same numbers on the CPU.
    """
    started = time.perf_counter()
    s = settings
    init_rng = torch.Generator().manual_seed(seed)
    rng = torch.Generator(device=device).manual_seed(int(torch.randint(2**62, (1,), generator=init_rng)))
    dim = data.shape[1]
    G = mlp_generator(z_dim=s.z_dim, out_dim=dim, width=s.g_width, depth=s.g_depth, batchnorm=s.g_batchnorm)
    D = mlp_discriminator(in_dim=dim, width=s.d_width, depth=s.d_depth, maxout=s.d_maxout)
    init_weights(G, std=s.init_std, generator=init_rng)
    init_weights(D, std=s.init_std, generator=init_rng)
    fixed_z = torch.randn(s.snapshot_samples, s.z_dim, generator=init_rng).to(device)
    G, D = G.to(device), D.to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=s.lr, betas=(s.beta1, s.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=s.lr, betas=(s.beta1, s.beta2))
    loss = LOSSES[s.loss]
    real_data = torch.as_tensor(data, device=device)

    def minibatch() -> torch.Tensor:
        return real_data[torch.randint(len(real_data), (s.batch_size,), generator=rng, device=device)]

    def noise() -> torch.Tensor:
        return torch.randn(s.batch_size, s.z_dim, generator=rng, device=device)

    snapshots: list[tuple[int, torch.Tensor]] = []

    def snapshot(step: int) -> None:
        G.eval()
        with torch.no_grad():
            snapshots.append((step, G(fixed_z).cpu()))
        G.train()

    curves: list[tuple[int, float, float]] = []
    status, diverged_step = "ok", None
    for step in tqdm(range(1, s.steps + 1), file=progress, disable=progress is None, mininterval=5, desc="train"):
        for _ in range(s.d_steps):
            real, fake = minibatch(), G(noise()).detach()
            d_loss = loss.d(real_logits=D(real), fake_logits=D(fake))
            if s.gp_weight > 0:
                d_loss = d_loss + s.gp_weight * gradient_penalty(critic=D, real=real, fake=fake, generator=rng)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()

        g_loss = loss.g(fake_logits=D(G(noise())))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()

        if step % s.log_every == 0 or step == s.steps:
            d_value, g_value = d_loss.item(), g_loss.item()
            curves.append((step, d_value, g_value))
            if not (math.isfinite(d_value) and math.isfinite(g_value)):
                status, diverged_step = "diverged", step
                snapshot(step)  # the generator's state at divergence: counted, not hidden
                break
        if step % s.snapshot_every == 0 or step == s.steps:
            snapshot(step)

    samples = pd.DataFrame(
        {
            "step": np.concatenate([np.full(len(x), step, dtype=np.int64) for step, x in snapshots]),
            **{name: torch.cat([x[:, i] for _, x in snapshots]).numpy() for i, name in enumerate("xy"[:dim])},
        }
    )
    return RunResult(
        samples=samples,
        curves=pd.DataFrame(curves, columns=["step", "d_loss", "g_loss"]),
        status=status,
        diverged_step=diverged_step,
        wall_time_s=time.perf_counter() - started,
        device=device,
    )
