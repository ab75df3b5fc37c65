"""How an ensemble's steps run: per-member random streams, draws taken ahead, steps captured as CUDA graphs.

A step is a function of the ensemble's state and of the draws it takes (`Steppable`), so the
draws can be taken live, or ahead into fixed buffers, or read by a captured CUDA graph that
replays the step, with the same numbers each way (STEP_MODES, `Stepper`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Protocol

import numpy as np
import torch

STEP_MODES = ("eager", "draw-ahead", "cuda-graph")
GRAPH_WARMUP_STEPS = 3  # eager steps before capture: optimiser state and library handles exist by then


def check_step_mode(mode: str, device: str) -> None:
    """Refuse, before anything is built, a step mode that is unknown or cannot run on `device`."""
    if mode not in STEP_MODES:
        raise ValueError(f"step mode {mode!r} is not one of {', '.join(STEP_MODES)}")
    if mode == "cuda-graph" and torch.device(device).type != "cuda":
        raise ValueError(f"step_mode cuda-graph needs a CUDA device, not {device!r}")


@dataclasses.dataclass(frozen=True)
class DrawSpec:
    """What one draw of a purpose is: its shape per member, and integers below `high`, U[0, 1)
    (`uniform`) or N(0, 1)."""

    shape: tuple[int, ...]
    high: int | None = None
    uniform: bool = False


class MemberStreams:
    """Per-member random streams, one generator per member and purpose, drawn in chunks.

    A member's draws depend only on its seed and the purpose, never on the other members;
    drawing `chunk` calls' worth at once keeps the per-member cost off the hot path.
    """

    PURPOSES = ("data", "noise", "alpha", "instance", "encoder", "augment", "fresh")  # new ones at the end: seeds stay

    def __init__(self, seeds: list[int], device: str, chunk: int = 64) -> None:
        self.device, self.chunk = device, chunk
        self.generators = {
            purpose: [
                torch.Generator(device=device).manual_seed(
                    int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
                )
                for seed in seeds
            ]
            for index, purpose in enumerate(self.PURPOSES, start=1)
        }
        self.buffers: dict[str, torch.Tensor] = {}
        self.positions: dict[str, int] = {}
        self.chunk_starts: dict[str, list[torch.Tensor]] = {}  # each purpose's generator states before its chunk
        self.kinds: dict[str, list] = {}  # each purpose's draw: [shape, high, uniform]

    def draw(
        self,
        purpose: str,
        shape: tuple[int, ...],
        *,
        high: int | None = None,
        uniform: bool = False,
    ) -> torch.Tensor:
        """The next (members, *shape) draw: integers in [0, high) if `high`, U[0, 1) if `uniform`, else N(0, 1)."""
        position = self.positions.get(purpose, self.chunk)
        if position == self.chunk:
            self.chunk_starts[purpose] = [g.get_state() for g in self.generators[purpose]]
            self.kinds[purpose] = [list(shape), high, uniform]
            self.buffers[purpose], position = self._chunk(purpose, shape, high=high, uniform=uniform), 0
        self.positions[purpose] = position + 1
        return self.buffers[purpose][:, position]

    def _chunk(self, purpose: str, shape: tuple[int, ...], *, high: int | None, uniform: bool) -> torch.Tensor:
        """The next `chunk` draws of every member for `purpose`, (members, chunk, *shape)."""
        size = (self.chunk, *shape)
        if high is not None:
            draws = [torch.randint(high, size, generator=g, device=self.device) for g in self.generators[purpose]]
        elif uniform:
            draws = [torch.rand(size, generator=g, device=self.device) for g in self.generators[purpose]]
        else:
            draws = [torch.randn(size, generator=g, device=self.device) for g in self.generators[purpose]]
        return torch.stack(draws)

    def state_dict(self) -> dict[str, Any]:
        """The streams' state without the chunks drawn ahead (the instance noise of 10 members of
        28×28 images is about 385 MB a chunk): each chunk is drawn again on loading, from its members'
        generator states at its start, so a checkpoint holds a few bytes a stream instead."""
        return {
            "generators": {p: [g.get_state() for g in gens] for p, gens in self.generators.items()},
            "chunk_starts": dict(self.chunk_starts),
            "kinds": dict(self.kinds),
            "positions": dict(self.positions),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for purpose, starts in state["chunk_starts"].items():  # each chunk as it was drawn
            for generator, start in zip(self.generators[purpose], starts):
                generator.set_state(start)
            shape, high, uniform = state["kinds"][purpose]
            self.buffers[purpose] = self._chunk(purpose, tuple(shape), high=high, uniform=uniform)
        for purpose, states in state["generators"].items():
            for generator, saved in zip(self.generators[purpose], states):
                generator.set_state(saved)
        self.chunk_starts = {p: list(starts) for p, starts in state["chunk_starts"].items()}
        self.kinds = dict(state["kinds"])
        self.positions = dict(state["positions"])


class Steppable(Protocol):
    """What `Stepper` runs: an ensemble of `members` on `device` (train.GANEnsemble) whose `step`
    reads nothing per iteration but the draws it takes and what `set_step` set."""

    members: int
    device: torch.device
    specs: dict[str, DrawSpec]  # each purpose's draw

    def draw(self, purpose: str) -> torch.Tensor:
        """The members' next draw for `purpose` from their streams."""

    def set_step(self, step: int) -> None:
        """Prepare iteration `step`'s values the step reads (without reading anything back)."""

    def step(self, draw: Callable[[str], torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """One iteration, `draw(purpose)` giving its draws; the members' last D and G losses."""


class LiveDraws:
    """Draws taken from the streams when the step asks for them, counted per purpose: the counts
    are what a step takes, the same every iteration for given settings."""

    def __init__(self, ensemble: Steppable) -> None:
        self.ensemble, self.counts = ensemble, dict.fromkeys(ensemble.specs, 0)

    def __call__(self, purpose: str) -> torch.Tensor:
        self.counts[purpose] += 1
        return self.ensemble.draw(purpose)


class AheadDraws:
    """All the draws of one step, taken from the streams before it (`refill`, in the order the
    step takes them, so the numbers are those of `LiveDraws`) into fixed buffers, which the step
    then reads: what a captured graph needs, since it replays reads of fixed memory."""

    def __init__(self, ensemble: Steppable, counts: dict[str, int]) -> None:
        self.ensemble = ensemble
        self.buffers = {
            purpose: torch.empty(
                (ensemble.members, count, *ensemble.specs[purpose].shape),
                device=ensemble.device,
                dtype=torch.int64 if ensemble.specs[purpose].high is not None else torch.float32,
            )
            for purpose, count in counts.items()
            if count
        }
        self.positions = dict.fromkeys(self.buffers, 0)

    def refill(self) -> None:
        """The next step's draws, into the same buffers."""
        for purpose, buffer in self.buffers.items():
            buffer.copy_(torch.stack([self.ensemble.draw(purpose) for _ in range(buffer.shape[1])], dim=1))
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

    def __init__(self, ensemble: Steppable, mode: str) -> None:
        self.ensemble, self.mode, self.eager_steps = ensemble, mode, 0
        self.counts: dict[str, int] | None = None
        self.ahead: AheadDraws | None = None
        self.graph: torch.cuda.CUDAGraph | None = None
        self.side = None
        if mode == "cuda-graph":  # streams and graphs belong to the current device: make it the ensemble's
            if ensemble.device.index is not None:  # plain "cuda" is the current device already
                torch.cuda.set_device(ensemble.device)
            self.side = torch.cuda.Stream()  # the warm-up steps and the capture run on it

    def __call__(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        self.ensemble.set_step(step)
        if self.mode == "eager":
            return self.ensemble.step(self.ensemble.draw)
        if self.counts is None or (self.mode == "cuda-graph" and self.eager_steps < GRAPH_WARMUP_STEPS):
            return self._counted()
        if self.ahead is None:
            self.ahead = AheadDraws(self.ensemble, self.counts)
        self.ahead.refill()
        if self.mode == "draw-ahead":
            return self.ensemble.step(self.ahead)
        if self.graph is None:
            torch.cuda.synchronize()  # the warm-up's side-stream work is done before anything is recorded
            graph = torch.cuda.CUDAGraph()
            # records the step without running it, on the warm-up's stream of the ensemble's device
            # (torch's shared capture stream belongs to whichever device first captured); the
            # capture allocates from the graph's own pool and the side stream runs nothing after
            # it, so the draw chunks it allocated while warming up, later read and freed on the
            # main stream, are never handed out again under a pending read
            with torch.cuda.graph(graph, stream=self.side):
                self.losses = self.ensemble.step(self.ahead)
            self.graph = graph  # only once captured: a failed capture leaves nothing to replay
        self.graph.replay()
        return self.losses

    def _counted(self) -> tuple[torch.Tensor, torch.Tensor]:
        """An eager step whose draws are counted (on a side stream before a capture, as CUDA asks)."""
        draws = LiveDraws(self.ensemble)
        if self.side is None:
            losses = self.ensemble.step(draws)
        else:
            self.side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(self.side):
                losses = self.ensemble.step(draws)
            torch.cuda.current_stream().wait_stream(self.side)
        if self.counts is not None and draws.counts != self.counts:
            raise RuntimeError(
                f"a training step took draws {draws.counts}, an earlier one {self.counts}: "
                "it must take the same every step"
            )
        self.counts, self.eager_steps = draws.counts, self.eager_steps + 1
        return losses
