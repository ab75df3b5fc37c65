"""Training: `GANEnsemble`, every seed of a job as one GAN ensemble, its `step` one iteration; `train`, the loop.

`GANEnsemble` sets up the nets, optimisers, random streams and data on the device; its `step` is
one iteration (critic updates, generator updates). `train` runs the steps (stepping.Stepper:
eager or as a captured CUDA graph) and keeps the books: curves, divergence, snapshots and
checkpoints (checkpoints.py).

An ensemble is every seed of a job as one vectorised model whose parameters have a leading member
dimension. Each member draws its initialisation, noise and data from its own generators seeded by
its seed, so a seed draws the same numbers alone and inside any ensemble; its arithmetic differs
by float rounding (kernels are chosen by shape), which adversarial training amplifies. The packing
of seeds into ensembles is therefore part of a study's setting (docs/reproducibility.md, *What is
reproducible, exactly*).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path
from typing import Any, Callable, TextIO

import numpy as np
import pandas as pd
import torch
from torch.func import functional_call
from tqdm import tqdm

from .augment import diff_augment, draws_per_sample, parse_policy
from .checkpoints import checkpoint_name, load_checkpoint, run_identity, save_checkpoint
from .config import TrainSettings
from .io import write_parquet
from .losses import LOSSES
from .models import init_members, networks
from .probes import Probe, probes_table, surface_table
from .regularisers import gdpp_loss, gradient_penalty, mode_seeking_penalty, r1_penalty
from .snapshots import SnapshotStore
from .stepping import DrawSpec, MemberStreams, Stepper, check_step_mode

Draw = Callable[[str], torch.Tensor]  # the members' next random draw for a purpose (stepping.Steppable.step)


SAMPLE_CHUNK = 2500  # codes of every member per forward pass of a snapshot (GANEnsemble.sample)


@dataclasses.dataclass(frozen=True)
class _Fakes:
    """A batch of G's samples as D sees them (`inputs`), as G made them (`samples`, packed) and G's
    inputs packed the same way (`codes`: z, then ε)."""

    inputs: torch.Tensor
    samples: torch.Tensor
    codes: torch.Tensor


class Interrupted(RuntimeError):
    """Raised by `train(stop_after=...)`: stands in for a killed job in tests."""


@dataclasses.dataclass
class MemberResult:
    seed: int
    samples: pd.DataFrame | None  # samples at every snapshot (samples.samples_table); None: written (samples_paths)
    curves: pd.DataFrame  # step, d_loss, g_loss
    status: str  # "ok" or "diverged"
    diverged_step: int | None
    probes: pd.DataFrame | None = None  # D's means at every snapshot (probes.PROBE_COLUMNS)
    surface: pd.DataFrame | None = None  # D's surface at every snapshot (probes.SURFACE_COLUMNS; empty: images)


@dataclasses.dataclass
class EnsembleResult:
    members: list[MemberResult]
    wall_time_s: float
    device: str
    resumed_from_step: int | None


def _optimizer(params, s: TrainSettings, *, generator: bool, capturable: bool = False) -> torch.optim.Optimizer:
    """D's optimizer from lr/beta1/beta2; G's the same unless g_lr/g_beta1/g_beta2 set its own.
    `capturable`: its step count lives on the device, so a CUDA graph can record its updates."""

    def own(value, shared):
        return shared if value is None or not generator else value

    lr = own(s.g_lr, s.lr)
    if capturable and s.lr_drop:
        # a tensor that set_step refills, so that a captured CUDA graph reads the dropped rate too (a float
        # would be recorded as a constant)
        lr = torch.tensor(lr, device=params[0].device)
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


def _set_gradients(params: list[torch.Tensor], loss_value: torch.Tensor) -> None:
    """`params`' gradients of `loss_value`, summed over members (each member's gradient is its
    own), leaving the other net's gradients alone."""
    for param, grad in zip(params, torch.autograd.grad(loss_value.sum(), params)):
        param.grad = grad


class GANEnsemble:
    """One GAN per seed as one ensemble: its nets, optimisers, random streams and data on the
    device, and `step`, one training iteration.

    `step` is a function of the ensemble's state and of the draws it takes, nothing else: its
    per-iteration values (instance noise's annealed std; with lr_drop, the learning rates) are set
    by `set_step`, in tensors where a captured graph reads them, and it never reads a value back to
    the host. So CUDA can record it once as a graph and replay it (stepping.Stepper), with every
    random number drawn ahead from the members' own streams.
    """

    def __init__(
        self,
        *,
        data: np.ndarray,
        settings: TrainSettings,
        seeds: list[int],
        device: str,
        image_shape: tuple[int, int, int] | None = None,
        stacked_online: bool = False,
        mixture: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        s, members = settings, len(seeds)
        self.settings, self.members, self.image_shape, self.device = s, members, image_shape, torch.device(device)
        self.loss = LOSSES[s.loss]
        self.dim = dim = int(np.prod(image_shape)) if image_shape else data.shape[1]
        self.draws_per_image = image_shape[0] if stacked_online else 1  # base images stacked into one training image
        if data.shape[1] * self.draws_per_image != dim:
            raise ValueError(
                f"data rows have {data.shape[1]} values; image shape {image_shape} needs {dim // self.draws_per_image}"
            )
        init_rngs = [torch.Generator().manual_seed(seed) for seed in seeds]
        G, D, E = networks(s, members, image_shape, point_dim=dim)
        # G's weights, then D's, then E's, then the fixed codes, from each member's one generator: the order
        # fixes the numbers
        init = dict(std=s.init_std, generators=init_rngs, init=s.init, gain=s.init_gain)
        for net in (G, D, E) if E is not None else (G, D):
            init_members(net, **init)
        uniform_z = s.z_distribution == "uniform"
        code_dim = s.z_dim + s.noise_dim  # G's inputs: z, then the unreconstructed noise ε
        self.fixed_z = torch.stack(
            [
                latent(
                    torch.rand(s.snapshot_samples, code_dim, generator=g)
                    if uniform_z
                    else torch.randn(s.snapshot_samples, code_dim, generator=g),
                    s.z_distribution,
                )
                for g in init_rngs
            ]
        ).to(device)
        self.G, self.D = G.to(device), D.to(device)
        self.E = E.to(device) if E is not None else None  # ALI's encoder, VEEGAN's reconstructor: trained with G
        self.policy = parse_policy(s.diffaugment) if s.diffaugment else ()
        self.d_params = list(D.parameters())
        self.g_params = list(G.parameters()) + (list(self.E.parameters()) if self.E is not None else [])
        # capturable on CUDA, eager steps too: eager and captured steps do the same optimiser arithmetic
        capturable = self.device.type == "cuda"
        self.opt_g = _optimizer(self.g_params, s, generator=True, capturable=capturable)
        self.opt_d = _optimizer(self.d_params, s, generator=False, capturable=capturable)
        self.streams = MemberStreams(seeds, device)
        self.real_data = torch.as_tensor(data[: s.train_size or None], device=device)
        if s.fresh_data:  # real batches from the mixture itself: its listed means, equally weighted, and their stds
            if mixture is None or image_shape is not None:
                raise ValueError("fresh_data draws from a 2D Gaussian mixture: pass its (centers, std)")
            centers, stds = mixture
            self.centers = torch.as_tensor(np.asarray(centers), dtype=torch.float32, device=device)
            self.center_std = torch.as_tensor(np.asarray(stds), dtype=torch.float32, device=device)
        self.noise_std = torch.zeros((), device=device)
        self.specs = {
            "data": DrawSpec(
                (s.batch_size * s.pack * self.draws_per_image,),
                high=len(self.centers) if s.fresh_data else len(self.real_data),  # a mode, or a training point
            ),
            "noise": DrawSpec((s.batch_size * s.pack, code_dim), uniform=uniform_z),
            "alpha": DrawSpec((s.batch_size, 1), uniform=True),
            "instance": DrawSpec((s.batch_size, dim * s.pack)),
            # ALI's encoder noise ε of E(x, ε); VEEGAN's z̃ ~ N(F(x), 1) around the reconstructor's output
            "encoder": DrawSpec((s.batch_size, s.z_dim if self.loss.joint == "veegan" else s.e_noise_dim)),
            "augment": DrawSpec((s.batch_size * s.pack, draws_per_sample(self.policy)), uniform=True),
            "fresh": DrawSpec((s.batch_size * s.pack, dim)),  # a fresh point's offset from its mode, in stds
        }

    def draw(self, purpose: str) -> torch.Tensor:
        """The members' next draw for `purpose` from their streams."""
        spec = self.specs[purpose]
        return self.streams.draw(purpose, spec.shape, high=spec.high, uniform=spec.uniform)

    def set_step(self, step: int) -> None:
        """What changes with iteration `step` (read by the next `step`): instance noise's std, annealed
        linearly to 0, and with lr_drop the learning rates, each its own rate times lr_drop_factor
        once `step` is past the fraction lr_drop of the steps."""
        s = self.settings
        if s.instance_noise > 0:
            self.noise_std.fill_(s.instance_noise * max(0.0, 1.0 - (step - 1) / s.steps))
        if s.lr_drop:
            factor = s.lr_drop_factor if step > s.lr_drop * s.steps else 1.0
            for optimizer, lr in ((self.opt_d, s.lr), (self.opt_g, s.g_lr if s.g_lr is not None else s.lr)):
                for group in optimizer.param_groups:
                    if isinstance(group["lr"], torch.Tensor):
                        group["lr"].fill_(lr * factor)
                    else:
                        group["lr"] = lr * factor

    def step(self, draw: Draw) -> tuple[torch.Tensor, torch.Tensor]:
        """One iteration; `draw(purpose)` gives the members' next random draw for that purpose.

        With `update: alternating`, d_steps D updates then g_steps G updates, each from fresh
        batches; with `update: simultaneous`, one D and one G update whose gradients come from the
        same real batch and the same generated samples at the same parameters (ALI's algorithm,
        which PacGAN's 2D code trains with; docs/protocol.md §1). What D judges are `_real_inputs`
        and `_fake_inputs`: samples, or for ALI and VEEGAN (sample, code) pairs; the encoder E
        steps with G. Returns the last D and G losses, one per member.
        """
        s = self.settings
        D = self._judge(draw)
        if s.update == "simultaneous":
            # ALI's algorithm, as PacGAN's 2D code trains: one real batch and one set of fakes give
            # both losses; both gradients are taken at the current parameters, then both nets step.
            real, fake = self._real_inputs(draw), self._fake_inputs(draw)
            d_loss = self._critic_loss(draw, D, real.detach(), fake.inputs.detach())
            critic = self._unrolled_critic(draw, real, fake.inputs) if s.unrolled_steps else D
            g_loss = self._generator_loss(critic, fake, lambda: real)
            _set_gradients(self.d_params, d_loss)
            _set_gradients(self.g_params, g_loss)
            self.opt_d.step()
            self.opt_g.step()
            self._clip()
            return d_loss.detach(), g_loss.detach()
        z = self._latent_batch(draw) if s.z_reuse else None  # None: every update draws its own codes
        for _ in range(s.d_steps):
            real, fake = self._real_inputs(draw), self._fake_inputs(draw, z)
            d_loss = self._critic_loss(draw, D, real.detach(), fake.inputs.detach())
            _set_gradients(self.d_params, d_loss)
            self.opt_d.step()
            self._clip()
        for _ in range(s.g_steps):
            real = lambda: self._real_inputs(draw)  # noqa: E731
            critic, fake = D, None
            if s.unrolled_steps:
                unrolling = real(), self._fake_inputs(draw, z)
                critic = self._unrolled_critic(draw, unrolling[0], unrolling[1].inputs)
                if s.unrolled_objective == "negated-critic":  # G's loss on the unrolling batch itself
                    real, fake = (lambda: unrolling[0]), unrolling[1]
            fake = self._fake_inputs(draw, z) if fake is None else fake
            g_loss = self._generator_loss(critic, fake, real)
            _set_gradients(self.g_params, g_loss)
            self.opt_g.step()
        return d_loss.detach(), g_loss.detach()  # values only: no autograd graph kept alive between steps

    def _real_batch(self, draw: Draw) -> torch.Tensor:
        """A real batch: members × packs × (dim · pack)."""
        s = self.settings
        if s.fresh_data:  # mode labels, then each point's Gaussian offset around its mode
            modes = draw("data")
            points = self.centers[modes] + self.center_std[modes].unsqueeze(-1) * draw("fresh")
            return points.reshape(self.members, s.batch_size, self.dim * s.pack)
        return self.real_data[draw("data")].reshape(self.members, s.batch_size, self.dim * s.pack)

    def _real_inputs(self, draw: Draw) -> torch.Tensor:
        """What D sees of a real batch: its packs with instance noise, followed for ALI by the code
        E(x, ε) and for VEEGAN by z̃ ~ N(F(x), 1) (E sees the batch without instance noise)."""
        x = self._real_batch(draw)
        seen = self._noisy(draw, x)
        if not self.loss.joint:
            return seen
        if self.loss.joint == "veegan":
            code = self.E(x) + draw("encoder")
        else:
            code = self.E(torch.cat([x, draw("encoder")], dim=-1) if self.settings.e_noise_dim else x)
        return torch.cat([seen, code], dim=-1)

    def _latent_batch(self, draw: Draw) -> torch.Tensor:
        """G's inputs for a batch of packs: members × (batch · pack) × (z_dim + noise_dim)."""
        return latent(draw("noise"), self.settings.z_distribution)

    def _fake_inputs(self, draw: Draw, z: torch.Tensor | None = None) -> _Fakes:
        """G's samples for `batch` packs (from `z`, else fresh codes) and what D sees of them: with
        instance noise, and for ALI and VEEGAN followed by their codes z (without ε). G runs once per
        pack slot on its own `batch` codes, so BatchNorm statistics are over `batch` samples whatever
        the packing (PacGAN's code)."""
        z = self._latent_batch(draw) if z is None else z
        slots = z.split(self.settings.batch_size, dim=1)
        samples = torch.cat([self.G(chunk) for chunk in slots], dim=-1)
        codes = slots[0] if len(slots) == 1 else torch.cat(slots, dim=-1)  # packed as the samples are
        seen = self._noisy(draw, samples)
        if self.loss.joint:
            seen = torch.cat([seen, codes[..., : self.settings.z_dim]], dim=-1)
        return _Fakes(inputs=seen, samples=samples, codes=codes)

    def _noisy(self, draw: Draw, x: torch.Tensor) -> torch.Tensor:
        """`x` with instance noise of the current std (`set_step`), if any."""
        return x if self.settings.instance_noise == 0 else x + self.noise_std * draw("instance")

    def _judge(self, draw: Draw, weights: dict[str, torch.Tensor] | None = None) -> Callable:
        """D (at `weights`, else its own), seeing its inputs through DiffAugment when the policy is set."""
        D = self.D
        forward = D if weights is None else (lambda x: functional_call(D, weights, (x,)))
        return forward if not self.policy else (lambda x: forward(self._augment(draw, x)))

    def _augment(self, draw: Draw, x: torch.Tensor) -> torch.Tensor:
        """DiffAugment of every packed image in D's inputs (M, B, pack·C·H·W [+ code]), each with its
        own draws; a joint D's code is left as it is."""
        members, batch, _ = x.shape
        channels, height, width = self.image_shape
        pixels = self.settings.pack * channels * height * width
        images = x[..., :pixels].reshape(-1, channels, height, width)
        uniforms = draw("augment").reshape(images.shape[0], -1)
        augmented = diff_augment(images, self.policy, uniforms).reshape(members, batch, pixels)
        return torch.cat([augmented, x[..., pixels:]], dim=-1) if self.loss.joint else augmented

    def _critic_loss(self, draw: Draw, critic: Callable, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """D's loss with its penalties, one per member."""
        s = self.settings
        logits = lambda x: critic(x)[0]  # noqa: E731
        total = self.loss.d(real_logits=logits(real), fake_logits=logits(fake))
        if s.gp_weight > 0:
            total = total + s.gp_weight * gradient_penalty(critic=logits, real=real, fake=fake, alpha=draw("alpha"))
        if s.r1_gamma > 0:
            total = total + s.r1_gamma / 2 * r1_penalty(critic=logits, real=real)
        return total

    def _unrolled_critic(self, draw: Draw, real: torch.Tensor, fake: torch.Tensor) -> Callable:
        """D after `unrolled_steps` differentiable Adam updates on one real and one generated batch
        (as in Metz et al.'s code); G's gradient flows through the updates and that batch."""
        weights = dict(self.D.named_parameters())
        moments = {name: _adam_moments(self.opt_d, p) for name, p in weights.items()}
        for _ in range(self.settings.unrolled_steps):
            d_loss = self._critic_loss(draw, self._judge(draw, weights), real, fake)
            grads = torch.autograd.grad(d_loss.sum(), list(weights.values()), create_graph=True)
            weights, moments = _adam_lookahead(weights=weights, grads=grads, moments=moments, optimizer=self.opt_d)
        return self._judge(draw, weights)

    def _generator_loss(self, critic: Callable, fake: _Fakes, real: Callable[[], torch.Tensor]) -> torch.Tensor:
        """G's (and E's) loss against `critic`, one per member: the loss's own, feature matching's
        distance between D's mean features on `fake` and a real batch, or with `unrolled_objective:
        negated-critic` minus D's loss (no penalties) on `real()` and `fake`; VEEGAN adds its reconstruction
        ½‖z − F(G(z, ε))‖², GDPP averages in its DPP loss, mode seeking adds λ / (lz + 1e-5)."""
        s = self.settings
        fake_logits, fake_features = critic(fake.inputs)
        negated_critic = s.unrolled_objective == "negated-critic"
        if s.feature_matching or s.gdpp or self.loss.g_sees_real or negated_critic:
            real_logits, real_features = critic(real())
        if s.feature_matching:
            loss = ((fake_features.mean(1) - real_features.detach().mean(1)) ** 2).sum(-1)
        elif negated_critic:  # the demo's -L_D(unrolled D); G reaches the real term through D's unrolled weights
            loss = -self.loss.d(real_logits=real_logits, fake_logits=fake_logits)
        elif self.loss.g_sees_real:
            loss = self.loss.g(real_logits=real_logits, fake_logits=fake_logits)
        else:
            loss = self.loss.g(fake_logits=fake_logits)
        if self.loss.joint == "veegan":  # F learns from this term alone (Srivastava et al. 2017, Algorithm 1)
            z = fake.codes[..., : s.z_dim]
            loss = loss + 0.5 * ((z - self.E(fake.samples)) ** 2).sum(-1).mean(-1)
        if s.gdpp:  # GDPP's G minimises ½(its loss + L_DPP) (gdppgan_Synthetic.py)
            loss = 0.5 * (loss + gdpp_loss(real_features=real_features.detach(), fake_features=fake_features))
        if s.mode_seeking > 0:
            loss = loss + s.mode_seeking * mode_seeking_penalty(fakes=fake.samples, codes=fake.codes)
        return loss

    def _clip(self) -> None:
        """WGAN's weight clipping of D, if set."""
        if self.settings.weight_clip > 0:
            with torch.no_grad():
                for p in self.d_params:
                    p.clamp_(-self.settings.weight_clip, self.settings.weight_clip)

    def sample(self, chunk: int | None = None) -> torch.Tensor:
        """G's samples on each member's fixed codes (members × snapshot_samples × dim), on the CPU,
        `chunk` codes of every member at a time (default SAMPLE_CHUNK): G is in eval mode, so each
        sample depends on its own code alone, and the pieces equal one pass over all codes (tested),
        without one pass's activations (about 12 GiB for 10 members × 26,000 codes of the 28×28
        nets, over 2³¹ elements going into cuDNN's batch norm)."""
        chunk = chunk or SAMPLE_CHUNK
        self.G.eval()
        with torch.no_grad():
            pieces = [self.G(self.fixed_z[:, i : i + chunk]).cpu() for i in range(0, self.fixed_z.shape[1], chunk)]
        self.G.train()
        return torch.cat(pieces, dim=1)

    def state_dict(self) -> dict[str, Any]:
        return {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            **({"E": self.E.state_dict()} if self.E is not None else {}),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "streams": self.streams.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        if self.E is not None:
            self.E.load_state_dict(state["E"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.streams.load_state_dict(state["streams"])


@dataclasses.dataclass
class _History:
    """What `train` records of each member as it goes (and a checkpoint keeps): its snapshots
    (a SnapshotStore), its curve rows (step, d_loss, g_loss), the step it diverged at, and at each
    snapshot what D says (probes.Probe): its probe rows and its surface (step, values)."""

    snapshots: SnapshotStore
    curves: list[list[tuple[int, float, float]]]
    diverged: list[int | None]
    probes: list[list[tuple[int, float, float, float, float]]] = dataclasses.field(default_factory=list)
    surfaces: list[list[tuple[int, torch.Tensor]]] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self.probes = self.probes or [[] for _ in self.diverged]
        self.surfaces = self.surfaces or [[] for _ in self.diverged]

    def probe(self, step: int, stats: np.ndarray, surface: np.ndarray | None, which: list[int]) -> None:
        """Record what D says at snapshot `step` of the members `which` (probes.Probe's output)."""
        for m in which:
            self.probes[m].append((step, *map(float, stats[m])))
            if surface is not None:
                self.surfaces[m].append((step, torch.from_numpy(np.ascontiguousarray(surface[m]))))

    def log(self, step: int, d_loss: torch.Tensor, g_loss: torch.Tensor) -> list[int]:
        """Record the members' losses at `step`, for members not diverged before it; returns the
        members that diverge at it (a loss not finite)."""
        d_values, g_values = d_loss.cpu().tolist(), g_loss.cpu().tolist()
        newly_diverged = []
        for m, diverged in enumerate(self.diverged):
            if diverged is None:
                self.curves[m].append((step, d_values[m], g_values[m]))
                if not (math.isfinite(d_values[m]) and math.isfinite(g_values[m])):
                    self.diverged[m] = step
                    newly_diverged.append(m)
        return newly_diverged

    def snapshot(self, step: int, samples: torch.Tensor, which: list[int]) -> None:
        self.snapshots.add(step, samples.numpy(), which)

    def state(self) -> dict[str, Any]:
        return {
            "snapshots": self.snapshots.state(),
            "curves": self.curves,
            "diverged": self.diverged,
            "probes": self.probes,
            "surfaces": self.surfaces,
        }

    def results(
        self, seeds: list[int], samples_paths: dict[int, str | os.PathLike] | None, grid: np.ndarray | None = None
    ) -> list[MemberResult]:
        """Each member's result; with `samples_paths` (seed -> path), its samples table is written
        there, one member at a time, and not kept (MemberResult.samples is None). `grid`: the
        points of D's surface (probes.surface_grid), None for images."""
        results = []
        for m, seed in enumerate(seeds):
            samples = self.snapshots.table(m)
            if samples_paths is not None:
                write_parquet(samples, samples_paths[seed])
                samples = None
            curves = pd.DataFrame(self.curves[m], columns=["step", "d_loss", "g_loss"])
            status = "ok" if self.diverged[m] is None else "diverged"
            surface = surface_table([(step, values.numpy()) for step, values in self.surfaces[m]], grid)
            results.append(
                MemberResult(seed, samples, curves, status, self.diverged[m], probes_table(self.probes[m]), surface)
            )
        return results


# Over 80 lines on purpose, most of them its docstring: the whole loop and its books read top to bottom
# in one place (set-up, steps, logging, snapshots, checkpoints), as the toy WGAN-GP scripts do.
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
    samples_paths: dict[int, str | os.PathLike] | None = None,
    mixture: tuple[np.ndarray, np.ndarray] | None = None,
    heldout: np.ndarray | None = None,
) -> EnsembleResult:
    """Train one GAN per seed on `data` (n × dim), all seeds as one ensemble: `GANEnsemble` sets it
    up, stepping.Stepper runs its steps (`step_mode`: see there; "cuda-graph" on CUDA only), and
    this function keeps the books: loss curves and divergence every `log_every` steps, snapshots of
    the generator every `snapshot_every`, checkpoints.

    With `image_shape` (C, H, W), each row of `data` is a flattened image in [-1, 1] and the nets
    are convolutional; samples are then stored as float16 (samples.samples_table). With
    `stacked_online`, each row of `data` is one base image (H·W values) and every training image
    stacks C of them drawn afresh (Stacked MNIST on the fly).

    With `checkpoint_dir`, the state is saved there every `checkpoint_every` steps, in a file
    named by the run's identity (settings, seeds, data, device; checkpoints.run_identity), and a
    rerun resumes from it; the snapshots wait in a folder beside it (snapshots.SnapshotStore), and
    both are removed once training finishes. With `samples_paths` (seed -> path) each member's
    samples table is written there, one member at a time, instead of returned.

    At every snapshot D is probed (probes.Probe): its surface over 2D data, and its mean output on
    training reals, held-out reals (fresh draws of `mixture` for 2D data, the rows of `heldout`,
    as `data`'s, for images) and G's samples; MemberResult.probes and .surface hold them.
    """
    started = time.perf_counter()
    check_step_mode(step_mode, device)
    s, members = settings, len(seeds)
    ensemble = GANEnsemble(
        data=data,
        settings=s,
        seeds=seeds,
        device=device,
        image_shape=image_shape,
        stacked_online=stacked_online,
        mixture=mixture,
    )
    probe = Probe(ensemble, mixture=mixture, heldout=heldout, stacked_online=stacked_online)
    identity = run_identity(settings=s, seeds=seeds, data=data, device=device)
    checkpoint = Path(checkpoint_dir) / checkpoint_name(identity) if checkpoint_dir is not None else None

    # with checkpoints, the snapshots wait on disk beside them (SnapshotStore), in a folder of this identity
    store = SnapshotStore(members, image_shape, checkpoint.with_suffix(".snapshots") if checkpoint else None)
    history, start = _History(snapshots=store, curves=[[] for _ in seeds], diverged=[None] * members), 0
    saved = load_checkpoint(checkpoint, identity=identity) if checkpoint else None
    if saved is not None:
        ensemble.load_state_dict(saved)
        store.load_state(saved["snapshots"])
        history = _History(store, saved["curves"], saved["diverged"], saved["probes"], saved["surfaces"])
        start = saved["step"]

    stepper = Stepper(ensemble, step_mode)
    for step in tqdm(
        range(start + 1, s.steps + 1),
        file=progress,
        disable=progress is None,
        mininterval=5,
        initial=start,
        total=s.steps,
        desc=f"train seeds {seeds}",
    ):
        d_loss, g_loss = stepper(step)
        if step % s.log_every == 0 or step == s.steps:
            newly_diverged = history.log(step, d_loss, g_loss)
            if newly_diverged:
                # the generator at divergence: counted, not hidden
                history.snapshot(step, ensemble.sample(), newly_diverged)
            if all(d is not None for d in history.diverged):
                break
        if step % s.snapshot_every == 0 or step == s.steps:
            alive, samples = [m for m in range(members) if history.diverged[m] is None], ensemble.sample()
            history.snapshot(step, samples, alive)
            history.probe(step, *probe(samples), alive)
        if checkpoint and step % checkpoint_every == 0 and step < s.steps:
            save_checkpoint(
                checkpoint, {"identity": identity, "step": step, **ensemble.state_dict(), **history.state()}
            )
        if stop_after is not None and step >= stop_after:
            raise Interrupted(f"stopped after step {step}")

    results = history.results(seeds, samples_paths, probe.grid)
    if checkpoint:
        Path(checkpoint).unlink(missing_ok=True)
        store.remove()
    return EnsembleResult(
        members=results,
        wall_time_s=time.perf_counter() - started,
        device=device,
        resumed_from_step=start if saved is not None else None,
    )
