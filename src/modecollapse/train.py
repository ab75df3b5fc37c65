"""Training: `Trainer` sets up an ensemble, its `step` is one iteration (critic updates, generator
updates), `Stepper` runs steps eagerly or as a captured CUDA graph, and `train` keeps the books
(curves, divergence, snapshots, checkpoints).

An ensemble is every seed of a job as one vectorised model whose parameters have a leading member
dimension. Each member draws its initialisation, noise and data from its own generators seeded by
its seed, so a seed draws the same numbers alone and inside any ensemble; its arithmetic differs
by float rounding (kernels are chosen by shape), which adversarial training amplifies. The packing
of seeds into ensembles is therefore part of a study's setting (README, *What is reproducible*).
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import math
import os
import pickle
import time
import warnings
import zipfile
from pathlib import Path
from typing import IO, Any, Callable, TextIO

import numpy as np
import pandas as pd
import torch
from torch.func import functional_call
from tqdm import tqdm

from .config import TrainSettings
from .io import atomic_path, set_aside
from .losses import LOSSES
from .models import Discriminator, Generator, conv_networks, init_members
from .regularisers import gradient_penalty, r1_penalty

CHECKPOINT_FORMAT = 2  # 2: no biases before BatchNorm


class CheckpointMismatch(RuntimeError):
    """A checkpoint written under other settings: refused, never silently reused."""


class Interrupted(RuntimeError):
    """Raised by `train(stop_after=...)`: stands in for a killed job in tests."""


@dataclasses.dataclass
class MemberResult:
    seed: int
    samples: pd.DataFrame  # generated samples at every snapshot: step, then x, y (2D) or sample_columns (images)
    curves: pd.DataFrame  # step, d_loss, g_loss
    status: str  # "ok" or "diverged"
    diverged_step: int | None


@dataclasses.dataclass
class EnsembleResult:
    members: list[MemberResult]
    wall_time_s: float
    device: str
    resumed_from_step: int | None


def sample_columns(dim: int, image_shape: tuple[int, ...] | None) -> list[str]:
    """Column names of a sample's coordinates: x, y for 2D points; p0 … p{C·H·W−1} for a
    flattened image (channel-major, as torch lays out C × H × W)."""
    return list("xy"[:dim]) if image_shape is None else [f"p{i}" for i in range(dim)]


def samples_to_images(samples: pd.DataFrame, image_shape: tuple[int, int, int]) -> np.ndarray:
    """The image columns of a samples table as an (n, C, H, W) float array in [-1, 1]."""
    columns = sample_columns(int(np.prod(image_shape)), image_shape)
    return samples[columns].to_numpy(dtype=np.float32).reshape(len(samples), *image_shape)


def resolve_device(device: str) -> str:
    """Map the config's `device` (auto|cpu|cuda) to a torch device; auto picks CUDA when present."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config asks for device: cuda, but torch sees no CUDA device; use auto or cpu")
    return device


def set_float32_precision(*, tf32: bool) -> None:
    """Whether CUDA may compute float32 matrix products and convolutions in TF32 (config `tf32`).
    PyTorch's defaults differ between the two (TF32 allowed for cuDNN convolutions, not for
    matmuls), so a study's precision would otherwise depend on which layers its networks use; set
    both, once per process, before training. No effect on the CPU."""
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32


def use_deterministic_cuda() -> None:
    """Ask for deterministic CUDA kernels before the first CUDA call: cuDNN picks and runs its
    convolutions deterministically (no autotuning; the conv kernels it would otherwise choose made
    image runs differ after 200 steps on an H100), cuBLAS gets a fixed workspace, and any op
    without a deterministic kernel warns in the job's log (torch.use_deterministic_algorithms,
    warn_only). For CUDA jobs only: the CPU path is deterministic already."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # read when cuBLAS starts
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)
    # deterministic mode also fills every new tensor with NaN (a kernel launch per allocation):
    # a guard against reading memory never written, which no step does (draw buffers are filled
    # before they are read), so it is turned off in a loop bound by launches
    torch.utils.deterministic.fill_uninitialized_memory = False


def claim_gpu(slots: str | os.PathLike, device_count: int) -> tuple[str, IO]:
    """A CUDA device for this job among `device_count`, so that concurrent jobs on one machine
    spread over its GPUs: the job holds the first free slot k (an exclusive lock on
    `slots`/slot{k}.lock, which the system releases when the process ends, a crash included) and
    trains on cuda:{k mod device_count}. With several jobs per GPU (`--resources gpu=N`, N above
    the GPU count) slots k and k + device_count share a device. Returns the device and the open
    lock file, to keep open while training. Under SLURM a job sees only its own GPUs
    (CUDA_VISIBLE_DEVICES), so its device count is its allocation and its device cuda:0 or within it."""
    if device_count < 1:
        raise ValueError(f"no CUDA device to claim (device_count={device_count})")
    folder = Path(slots)
    folder.mkdir(parents=True, exist_ok=True)
    slot = 0
    while True:
        handle = open(folder / f"slot{slot}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return f"cuda:{slot % device_count}", handle
        except BlockingIOError:
            handle.close()
            slot += 1


class MemberStreams:
    """Per-member random streams, one generator per member and purpose, drawn in chunks.

    A member's draws depend only on its seed and the purpose, never on the other members;
    drawing `chunk` calls' worth at once keeps the per-member cost off the hot path.
    """

    PURPOSES = ("data", "noise", "alpha", "instance")

    def __init__(self, seeds: list[int], device: str, chunk: int = 64) -> None:
        self.device, self.chunk = device, chunk
        self.generators = {
            purpose: [
                torch.Generator(device=device).manual_seed(int(np.random.SeedSequence([seed, index]).generate_state(1)[0]))
                for seed in seeds
            ]
            for index, purpose in enumerate(self.PURPOSES, start=1)
        }
        self.buffers: dict[str, torch.Tensor] = {}
        self.positions: dict[str, int] = {}

    def draw(self, purpose: str, shape: tuple[int, ...], *, high: int | None = None, uniform: bool = False) -> torch.Tensor:
        """The next (members, *shape) draw: integers in [0, high) if `high`, U[0, 1) if `uniform`, else N(0, 1)."""
        position = self.positions.get(purpose, self.chunk)
        if position == self.chunk:
            size = (self.chunk, *shape)
            if high is not None:
                draws = [torch.randint(high, size, generator=g, device=self.device) for g in self.generators[purpose]]
            elif uniform:
                draws = [torch.rand(size, generator=g, device=self.device) for g in self.generators[purpose]]
            else:
                draws = [torch.randn(size, generator=g, device=self.device) for g in self.generators[purpose]]
            self.buffers[purpose], position = torch.stack(draws), 0
        self.positions[purpose] = position + 1
        return self.buffers[purpose][:, position]

    def state_dict(self) -> dict[str, Any]:
        return {
            "generators": {p: [g.get_state() for g in gens] for p, gens in self.generators.items()},
            "buffers": dict(self.buffers),
            "positions": dict(self.positions),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for purpose, states in state["generators"].items():
            for generator, saved in zip(self.generators[purpose], states):
                generator.set_state(saved)
        self.buffers = {p: b.to(self.device) for p, b in state["buffers"].items()}
        self.positions = dict(state["positions"])


def _optimizer(params, s: TrainSettings, *, generator: bool, capturable: bool = False) -> torch.optim.Optimizer:
    """D's optimizer from lr/beta1/beta2; G's the same unless g_lr/g_beta1/g_beta2 set its own.
    `capturable`: its step count lives on the device, so a CUDA graph can record its updates."""
    def own(value, shared):
        return shared if value is None or not generator else value

    lr = own(s.g_lr, s.lr)
    if s.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, foreach=True, capturable=capturable)
    return torch.optim.Adam(
        params, lr=lr, betas=(own(s.g_beta1, s.beta1), own(s.g_beta2, s.beta2)), foreach=True, capturable=capturable
    )


def latent(draw: torch.Tensor, distribution: str) -> torch.Tensor:
    """z from a draw: N(0, I) as drawn, or U[-1, 1] from a U[0, 1) draw (VEEGAN setting)."""
    return draw if distribution == "normal" else 2 * draw - 1


def _adam_moments(optimizer: torch.optim.Adam, param: torch.Tensor) -> tuple:
    """(m, v, t) of Adam for `param`; zeros before its first update (a simultaneous first step).
    t is a Python number where torch's Adam keeps its step count on the host, and the device
    tensor where it is capturable: a captured graph cannot read a device value back."""
    state = optimizer.state.get(param)
    if not state:
        return torch.zeros_like(param), torch.zeros_like(param), 0.0
    step = state["step"]
    return state["exp_avg"], state["exp_avg_sq"], step if step.device.type == "cuda" else float(step)


def _adam_lookahead(
    *, weights: dict[str, torch.Tensor], grads, moments: dict[str, tuple], optimizer: torch.optim.Adam
) -> tuple[dict[str, torch.Tensor], dict[str, tuple]]:
    """One differentiable Adam step of `weights` from the moments (m, v, t) of each parameter
    (Metz et al. 2017 unroll the optimizer itself); returns the new weights and moments."""
    group = optimizer.param_groups[0]
    beta1, beta2 = group["betas"]
    new_weights, new_moments = {}, {}
    for (name, value), grad in zip(weights.items(), grads):
        m, v, t = moments[name]
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        t = t + 1
        # 1e-16 under the root: sqrt's derivative is infinite at v = 0 (a parameter whose
        # gradient has always been 0); it shifts the denominator by at most 1e-8, Adam's own eps.
        step = group["lr"] * (m / (1 - beta1**t)) / ((v / (1 - beta2**t) + 1e-16).sqrt() + group["eps"])
        new_weights[name], new_moments[name] = value - step, (m, v, t)
    return new_weights, new_moments


def run_identity(*, settings: TrainSettings, seeds: list[int], data: np.ndarray, device: str) -> str:
    """What a checkpoint must match to be resumed: settings, seeds, training data and device."""
    return json.dumps(
        {
            "format": CHECKPOINT_FORMAT,
            "settings": dataclasses.asdict(settings),
            "seeds": list(seeds),
            "data_sha256": hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest(),
            "device": torch.device(device).type,
        },
        sort_keys=True,
    )


def checkpoint_name(identity: str) -> str:
    """A file name unique to the run's identity, so other settings never meet this checkpoint."""
    seeds = json.loads(identity)["seeds"]
    return f"seeds{'-'.join(map(str, seeds))}-{hashlib.sha256(identity.encode()).hexdigest()[:12]}.pt"


def load_checkpoint(path: str | os.PathLike, *, identity: str) -> dict[str, Any] | None:
    """The checkpoint at `path` if it exists; refuse one written under another identity.

    A checkpoint that cannot be read (truncated, overwritten) is set aside as path.unreadable,
    with its reason beside it, and the run starts from scratch with a warning: the checkpoint is
    only ever a shortcut, and the run's results do not depend on it."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or not isinstance(state.get("identity"), str):
            raise ValueError("not a modecollapse checkpoint")
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError, zipfile.BadZipFile) as error:
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        aside = set_aside(path, reason)
        warnings.warn(f"checkpoint {path} cannot be read ({reason}); moved to {aside}, training starts from scratch", stacklevel=2)
        return None
    if state.get("identity") != identity:
        saved, wanted = json.loads(state.get("identity", "{}")), json.loads(identity)
        differs = sorted(
            k for k in set(saved.get("settings", {})) | set(wanted["settings"])
            if saved.get("settings", {}).get(k) != wanted["settings"].get(k)
        ) + [k for k in ("format", "seeds", "data_sha256", "device") if saved.get(k) != wanted[k]]
        raise CheckpointMismatch(
            f"checkpoint {path} was written under different settings (differs in: {', '.join(differs)}); "
            f"refusing to resume from it. Delete it to start this run afresh."
        )
    return state


STEP_MODES = ("eager", "draw-ahead", "cuda-graph")
GRAPH_WARMUP_STEPS = 3  # eager steps before capture: optimiser state and library handles exist by then


@dataclasses.dataclass(frozen=True)
class DrawSpec:
    """What one draw of a purpose is: its shape per member, and integers below `high`, U[0, 1)
    (`uniform`) or N(0, 1)."""

    shape: tuple[int, ...]
    high: int | None = None
    uniform: bool = False


class Trainer:
    """One ensemble's setup (nets, optimisers, random streams, data on the device) and `step`, one
    training iteration.

    `step` is a function of the trainer's state and of the draws it takes, nothing else: its one
    per-iteration value (instance noise's annealed std) lives in a tensor that `set_step` fills,
    and it never reads a value back to the host. So CUDA can record it once as a graph and replay
    it (`Stepper`), with every random number drawn ahead from the members' own streams.
    """

    def __init__(
        self, *, data: np.ndarray, settings: TrainSettings, seeds: list[int], device: str,
        image_shape: tuple[int, int, int] | None = None, stacked_online: bool = False,
    ) -> None:
        s, members = settings, len(seeds)
        self.settings, self.members, self.image_shape, self.device = s, members, image_shape, torch.device(device)
        self.loss = LOSSES[s.loss]
        self.dim = dim = int(np.prod(image_shape)) if image_shape else data.shape[1]
        self.draws_per_image = image_shape[0] if stacked_online else 1  # base images stacked into one training image
        if data.shape[1] * self.draws_per_image != dim:
            raise ValueError(f"data rows have {data.shape[1]} values; image shape {image_shape} needs {dim // self.draws_per_image}")
        init_rngs = [torch.Generator().manual_seed(seed) for seed in seeds]
        minibatch = dict(minibatch_kernels=s.minibatch_kernels, minibatch_kernel_dim=s.minibatch_kernel_dim)
        if image_shape is None:
            G = Generator(
                members=members, z_dim=s.z_dim, out_dim=dim, width=s.g_width, depth=s.g_depth, batchnorm=s.g_batchnorm,
                bn_momentum=s.bn_momentum,
            )
            D = Discriminator(
                members=members, in_dim=dim * s.pack, width=s.d_width, depth=s.d_depth, maxout=s.d_maxout,
                spectral_norm=s.spectral_norm, **minibatch,
            )
        else:
            G, D = conv_networks(
                arch=s.image_arch, members=members, image_shape=image_shape, z_dim=s.z_dim, g_width=s.g_width,
                d_width=s.d_width, g_batchnorm=s.g_batchnorm, bn_momentum=s.bn_momentum, pack=s.pack,
                spectral_norm=s.spectral_norm, **minibatch,
            )
        init_members(G, std=s.init_std, generators=init_rngs)
        init_members(D, std=s.init_std, generators=init_rngs)
        uniform_z = s.z_distribution == "uniform"
        self.fixed_z = torch.stack([
            latent(torch.rand(s.snapshot_samples, s.z_dim, generator=g) if uniform_z else
                   torch.randn(s.snapshot_samples, s.z_dim, generator=g), s.z_distribution)
            for g in init_rngs
        ]).to(device)
        self.G, self.D = G.to(device), D.to(device)
        # capturable on CUDA, eager steps too: eager and captured steps do the same optimiser arithmetic
        capturable = self.device.type == "cuda"
        self.opt_g = _optimizer(G.parameters(), s, generator=True, capturable=capturable)
        self.opt_d = _optimizer(D.parameters(), s, generator=False, capturable=capturable)
        self.d_params, self.g_params = list(D.parameters()), list(G.parameters())
        self.streams = MemberStreams(seeds, device)
        self.real_data = torch.as_tensor(data[: s.train_size or None], device=device)
        self.noise_std = torch.zeros((), device=device)
        self.specs = {
            "data": DrawSpec((s.batch_size * s.pack * self.draws_per_image,), high=len(self.real_data)),
            "noise": DrawSpec((s.batch_size * s.pack, s.z_dim), uniform=uniform_z),
            "alpha": DrawSpec((s.batch_size, 1), uniform=True),
            "instance": DrawSpec((s.batch_size, dim * s.pack)),
        }

    def draw(self, purpose: str) -> torch.Tensor:
        """The members' next draw for `purpose` from their streams."""
        spec = self.specs[purpose]
        return self.streams.draw(purpose, spec.shape, high=spec.high, uniform=spec.uniform)

    def set_step(self, step: int) -> None:
        """Instance noise's std at iteration `step`, annealed linearly to 0 (read by the next `step`)."""
        if self.settings.instance_noise > 0:
            self.noise_std.fill_(self.settings.instance_noise * max(0.0, 1.0 - (step - 1) / self.settings.steps))

    def step(self, draw: Callable[[str], torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """One iteration; `draw(purpose)` gives the members' next random draw for that purpose.

        With `update: alternating`, d_steps D updates then g_steps G updates, each from fresh
        batches; with `update: simultaneous`, one D and one G update whose gradients come from the
        same real batch and the same generated samples at the same parameters (ALI's algorithm,
        which PacGAN's 2D code trains with; docs/protocol.md §1). Returns the last D and G losses,
        one per member.
        """
        s, batch, G, D = self.settings, self.settings.batch_size, self.G, self.D

        def real_batch() -> torch.Tensor:  # members × packs × (dim · pack)
            return self.real_data[draw("data")].reshape(self.members, batch, self.dim * s.pack)

        def latent_batch() -> torch.Tensor:  # members × (batch · pack) × z_dim
            return latent(draw("noise"), s.z_distribution)

        def fake_batch(z: torch.Tensor | None = None) -> torch.Tensor:
            """G's samples for `batch` packs (from `z`, else fresh codes): G runs once per pack slot
            on its own `batch` codes, so BatchNorm statistics are over `batch` samples whatever the
            packing (PacGAN's code)."""
            z = latent_batch() if z is None else z
            return torch.cat([G(chunk) for chunk in z.split(batch, dim=1)], dim=-1)

        def noisy(x: torch.Tensor) -> torch.Tensor:  # instance noise
            return x if s.instance_noise == 0 else x + self.noise_std * draw("instance")

        def critic_loss(critic: Callable, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:  # one per member
            logits = lambda x: critic(x)[0]  # noqa: E731
            total = self.loss.d(real_logits=logits(real), fake_logits=logits(fake))
            if s.gp_weight > 0:
                total = total + s.gp_weight * gradient_penalty(critic=logits, real=real, fake=fake, alpha=draw("alpha"))
            if s.r1_gamma > 0:
                total = total + s.r1_gamma / 2 * r1_penalty(critic=logits, real=real)
            return total

        def unrolled_critic(real: torch.Tensor, fake: torch.Tensor) -> Callable:
            """D after `unrolled_steps` differentiable Adam updates on one real and one generated
            batch (as in Metz et al.'s code); G's gradient flows through the updates and that batch."""
            weights = dict(D.named_parameters())
            moments = {name: _adam_moments(self.opt_d, p) for name, p in weights.items()}
            for _ in range(s.unrolled_steps):
                critic = lambda x, w=weights: functional_call(D, w, (x,))  # noqa: E731
                d_loss = critic_loss(critic, real, fake)
                grads = torch.autograd.grad(d_loss.sum(), list(weights.values()), create_graph=True)
                weights, moments = _adam_lookahead(weights=weights, grads=grads, moments=moments, optimizer=self.opt_d)
            return lambda x: functional_call(D, weights, (x,))

        def generator_loss(critic: Callable, fake: torch.Tensor, real: Callable[[], torch.Tensor]) -> torch.Tensor:
            """G's loss against `critic`; feature matching compares D's mean features with a real batch."""
            if not s.feature_matching:
                return self.loss.g(fake_logits=critic(fake)[0])
            fake_features = critic(fake)[1]
            real_features = critic(real())[1].detach()
            return ((fake_features.mean(1) - real_features.mean(1)) ** 2).sum(-1)

        def set_gradients(params: list[torch.Tensor], loss_value: torch.Tensor) -> None:
            """`params`' gradients of `loss_value`, summed over members (each member's gradient is
            its own), leaving the other net's gradients alone."""
            for param, grad in zip(params, torch.autograd.grad(loss_value.sum(), params)):
                param.grad = grad

        def clip() -> None:
            if s.weight_clip > 0:
                with torch.no_grad():
                    for p in self.d_params:
                        p.clamp_(-s.weight_clip, s.weight_clip)

        if s.update == "simultaneous":
            # ALI's algorithm, as PacGAN's 2D code trains: one real batch and one set of fakes give
            # both losses; both gradients are taken at the current parameters, then both nets step.
            real, fake = noisy(real_batch()), noisy(fake_batch())
            d_loss = critic_loss(D, real, fake.detach())
            critic = unrolled_critic(real, fake) if s.unrolled_steps else D
            g_loss = generator_loss(critic, fake, lambda: real)
            set_gradients(self.d_params, d_loss)
            set_gradients(self.g_params, g_loss)
            self.opt_d.step()
            self.opt_g.step()
            clip()
            return d_loss.detach(), g_loss.detach()
        z = latent_batch() if s.z_reuse else None  # None: every update draws its own codes
        for _ in range(s.d_steps):
            real, fake = noisy(real_batch()), noisy(fake_batch(z).detach())
            d_loss = critic_loss(D, real, fake)
            set_gradients(self.d_params, d_loss)
            self.opt_d.step()
            clip()
        for _ in range(s.g_steps):
            critic = unrolled_critic(noisy(real_batch()), noisy(fake_batch(z))) if s.unrolled_steps else D
            g_loss = generator_loss(critic, noisy(fake_batch(z)), lambda: noisy(real_batch()))
            set_gradients(self.g_params, g_loss)
            self.opt_g.step()
        return d_loss.detach(), g_loss.detach()  # values only: no autograd graph kept alive between steps

    def sample(self) -> torch.Tensor:
        """G's samples on each member's fixed codes (members × snapshot_samples × dim), on the CPU."""
        self.G.eval()
        with torch.no_grad():
            samples = self.G(self.fixed_z).cpu()
        self.G.train()
        return samples

    def state_dict(self) -> dict[str, Any]:
        return {
            "G": self.G.state_dict(), "D": self.D.state_dict(), "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(), "streams": self.streams.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.streams.load_state_dict(state["streams"])


class LiveDraws:
    """Draws taken from the streams when the step asks for them, counted per purpose: the counts
    are what a step takes, the same every iteration for given settings."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer, self.counts = trainer, dict.fromkeys(trainer.specs, 0)

    def __call__(self, purpose: str) -> torch.Tensor:
        self.counts[purpose] += 1
        return self.trainer.draw(purpose)


class AheadDraws:
    """All the draws of one step, taken from the streams before it (`refill`, in the order the
    step takes them, so the numbers are those of `LiveDraws`) into fixed buffers, which the step
    then reads: what a captured graph needs, since it replays reads of fixed memory."""

    def __init__(self, trainer: Trainer, counts: dict[str, int]) -> None:
        self.trainer = trainer
        self.buffers = {
            purpose: torch.empty(
                (trainer.members, count, *trainer.specs[purpose].shape), device=trainer.device,
                dtype=torch.int64 if trainer.specs[purpose].high is not None else torch.float32,
            )
            for purpose, count in counts.items() if count
        }
        self.positions = dict.fromkeys(self.buffers, 0)

    def refill(self) -> None:
        """The next step's draws, into the same buffers."""
        for purpose, buffer in self.buffers.items():
            buffer.copy_(torch.stack([self.trainer.draw(purpose) for _ in range(buffer.shape[1])], dim=1))
        self.positions = dict.fromkeys(self.buffers, 0)

    def __call__(self, purpose: str) -> torch.Tensor:
        position = self.positions[purpose]
        self.positions[purpose] = position + 1
        return self.buffers[purpose][:, position]


class Stepper:
    """Runs one iteration per call, as `mode` says (STEP_MODES):
    - "eager": each op launched from Python, draws taken as the step asks (the CPU's way);
    - "draw-ahead": eager, but each step's draws are taken before it into fixed buffers, as a
      captured graph reads them: bitwise equal to eager, which tests check on the CPU;
    - "cuda-graph": after GRAPH_WARMUP_STEPS eager steps on a side stream, the step is recorded
      once as a CUDA graph and replayed (one launch instead of hundreds from Python); the graph's
      loss tensors hold the latest losses.
    Outside eager mode the first step counts the draws a step takes, for the buffers."""

    def __init__(self, trainer: Trainer, mode: str) -> None:
        self.trainer, self.mode, self.eager_steps = trainer, mode, 0
        self.counts: dict[str, int] | None = None
        self.ahead: AheadDraws | None = None
        self.graph: torch.cuda.CUDAGraph | None = None
        self.side = None
        if mode == "cuda-graph":  # streams and graphs belong to the current device: make it the trainer's
            if trainer.device.index is not None:  # plain "cuda" is the current device already
                torch.cuda.set_device(trainer.device)
            self.side = torch.cuda.Stream()  # the warm-up steps and the capture run on it

    def __call__(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        self.trainer.set_step(step)
        if self.mode == "eager":
            return self.trainer.step(self.trainer.draw)
        if self.counts is None or (self.mode == "cuda-graph" and self.eager_steps < GRAPH_WARMUP_STEPS):
            return self._counted()
        if self.ahead is None:
            self.ahead = AheadDraws(self.trainer, self.counts)
        self.ahead.refill()
        if self.mode == "draw-ahead":
            return self.trainer.step(self.ahead)
        if self.graph is None:
            torch.cuda.synchronize()  # the warm-up's side-stream work is done before anything is recorded
            graph = torch.cuda.CUDAGraph()
            # records the step without running it, on the warm-up's stream of the trainer's device
            # (torch's shared capture stream belongs to whichever device first captured); the
            # capture allocates from the graph's own pool and the side stream runs nothing after
            # it, so the draw chunks it allocated while warming up, later read and freed on the
            # main stream, are never handed out again under a pending read
            with torch.cuda.graph(graph, stream=self.side):
                self.losses = self.trainer.step(self.ahead)
            self.graph = graph  # only once captured: a failed capture leaves nothing to replay
        self.graph.replay()
        return self.losses

    def _counted(self) -> tuple[torch.Tensor, torch.Tensor]:
        """An eager step whose draws are counted (on a side stream before a capture, as CUDA asks)."""
        draws = LiveDraws(self.trainer)
        if self.side is None:
            losses = self.trainer.step(draws)
        else:
            self.side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(self.side):
                losses = self.trainer.step(draws)
            torch.cuda.current_stream().wait_stream(self.side)
        if self.counts is not None and draws.counts != self.counts:
            raise RuntimeError(f"a training step took draws {draws.counts}, an earlier one {self.counts}: it must take the same every step")
        self.counts, self.eager_steps = draws.counts, self.eager_steps + 1
        return losses


def train(
    *,
    data: np.ndarray,
    settings: TrainSettings,
    seeds: list[int],
    device: str = "cpu",
    progress: TextIO | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
    checkpoint_every: int = 500,
    stop_after: int | None = None,
    image_shape: tuple[int, int, int] | None = None,
    stacked_online: bool = False,
    step_mode: str = "eager",
) -> EnsembleResult:
    """Train one GAN per seed on `data` (n × dim), all seeds as one ensemble: `Trainer` sets it
    up, `Stepper` runs its steps (`step_mode`: see there; "cuda-graph" on CUDA only), and this
    function keeps the books: loss curves and divergence every `log_every` steps, snapshots of
    the generator every `snapshot_every`, checkpoints.

    With `image_shape` (C, H, W), each row of `data` is a flattened image in [-1, 1] and the nets
    are convolutional; samples are then stored as float16 (images need no more precision, and a
    diverged sample stays NaN). With `stacked_online`, each row of `data` is one base image
    (H·W values) and every training image stacks C of them drawn afresh (Stacked MNIST on the fly).

    With `checkpoint_dir`, the state is saved there every `checkpoint_every` steps, in a file
    named by the run's identity (settings, seeds, data, device), and a rerun resumes from it;
    the file is removed once training finishes.
    """
    started = time.perf_counter()
    if step_mode not in STEP_MODES:
        raise ValueError(f"step mode {step_mode!r} is not one of {', '.join(STEP_MODES)}")
    if step_mode == "cuda-graph" and torch.device(device).type != "cuda":
        raise ValueError(f"step_mode cuda-graph needs a CUDA device, not {device!r}")
    s, members = settings, len(seeds)
    trainer = Trainer(
        data=data, settings=s, seeds=seeds, device=device, image_shape=image_shape, stacked_online=stacked_online,
    )
    identity = run_identity(settings=s, seeds=seeds, data=data, device=device)
    checkpoint = Path(checkpoint_dir) / checkpoint_name(identity) if checkpoint_dir is not None else None

    snapshots: list[list[tuple[int, torch.Tensor]]] = [[] for _ in seeds]
    curves: list[list[tuple[int, float, float]]] = [[] for _ in seeds]
    diverged: list[int | None] = [None] * members
    start = 0
    saved = load_checkpoint(checkpoint, identity=identity) if checkpoint else None
    if saved is not None:
        trainer.load_state_dict(saved)
        snapshots, curves, diverged, start = saved["snapshots"], saved["curves"], saved["diverged"], saved["step"]

    def snapshot(step: int, which: list[int]) -> None:
        samples = trainer.sample()
        for m in which:
            snapshots[m].append((step, samples[m]))

    def save_checkpoint(step: int) -> None:
        state = {
            "identity": identity, "step": step, **trainer.state_dict(),
            "snapshots": snapshots, "curves": curves, "diverged": diverged,
        }
        with atomic_path(checkpoint) as tmp:
            torch.save(state, tmp)

    stepper = Stepper(trainer, step_mode)
    for step in tqdm(range(start + 1, s.steps + 1), file=progress, disable=progress is None, mininterval=5,
                     initial=start, total=s.steps, desc=f"train seeds {seeds}"):
        d_loss, g_loss = stepper(step)
        if step % s.log_every == 0 or step == s.steps:
            d_values, g_values = d_loss.cpu().tolist(), g_loss.cpu().tolist()
            newly_diverged = []
            for m in range(members):
                if diverged[m] is None:
                    curves[m].append((step, d_values[m], g_values[m]))
                    if not (math.isfinite(d_values[m]) and math.isfinite(g_values[m])):
                        diverged[m] = step
                        newly_diverged.append(m)
            if newly_diverged:
                snapshot(step, newly_diverged)  # the generator at divergence: counted, not hidden
            if all(d is not None for d in diverged):
                break
        if step % s.snapshot_every == 0 or step == s.steps:
            snapshot(step, [m for m in range(members) if diverged[m] is None])
        if checkpoint and step % checkpoint_every == 0 and step < s.steps:
            save_checkpoint(step)
        if stop_after is not None and step >= stop_after:
            raise Interrupted(f"stopped after step {step}")

    results = []
    columns = sample_columns(trainer.dim, image_shape)
    for m, seed in enumerate(seeds):
        steps = np.concatenate([np.full(len(x), step, dtype=np.int64) for step, x in snapshots[m]])
        points = torch.cat([x for _, x in snapshots[m]]).numpy().astype(np.float16 if image_shape else np.float32)
        samples = pd.concat([pd.DataFrame({"step": steps}), pd.DataFrame(points, columns=columns)], axis=1)
        results.append(
            MemberResult(
                seed=seed,
                samples=samples,
                curves=pd.DataFrame(curves[m], columns=["step", "d_loss", "g_loss"]),
                status="ok" if diverged[m] is None else "diverged",
                diverged_step=diverged[m],
            )
        )
    if checkpoint:
        Path(checkpoint).unlink(missing_ok=True)
    return EnsembleResult(
        members=results, wall_time_s=time.perf_counter() - started, device=device,
        resumed_from_step=start if saved is not None else None,
    )
