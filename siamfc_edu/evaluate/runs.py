"""Runs: which runs a protocol makes on a sequence, and the one runner that tracks them.

A **run** is a sequence tracked from one start frame to its end, from a box given in that frame.
A protocol is a **run planner** (a function: sequence -> list of runs) and a way of scoring:
OPE and the course's multi-start scheme here, OTB's TRE and SRE in `otb`. `evaluate_runs` plans
the runs of every sequence, tracks them (`track_runs`: one by one, or many at once through a
tracker's batch engine) and scores each against `scored_truth`.

Two rules hold for every protocol, written once here:

* **Failures**: a sequence that cannot be run (no true box to start from, too short for TRE, an
  unreadable frame, a frame of another size) is reported and skipped: it is added to `failures`
  (without that list, a warning names it) and every run of it is left out, while the other
  sequences go on. `without_failed` then leaves it out for every tracker, so all are scored on
  the same sequences. Only data errors (`OSError`, `ValueError`) count as failures; any other
  error is a bug and stops the evaluation.
* **First boxes**: a run starts at a frame with a true box, and that box is given to the tracker.
  How the given box is scored is `scored_truth`'s rule.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol as Interface

import numpy as np

from ..boxes import check_box
from ..data.layouts.common import image_size
from ..data.sequence import Sequence
from ..images import read_image
from ..interface import Tracker
from .metrics import SequenceResult, has_ground_truth, run_of

Outcome = tuple[np.ndarray, np.ndarray]  # a run's boxes (N, 4) and seconds per frame (N,)

# ----------------------------------------------------------------------------- runs and sequences


@dataclass(frozen=True, eq=False)
class Run:
    """One run: `sequence` tracked from frame `start` to its end, from `box` given in `start`."""

    sequence: Sequence
    start: int
    box: np.ndarray  # 0-based [x, y, w, h] given to the tracker in frame `start`
    label: str = ""  # tells the runs of one sequence apart: '40', 'start 12', 'left', ...

    @property
    def name(self) -> str:
        """The sequence's name, '@label' added where the sequence has several runs."""
        return f"{self.sequence.name}@{self.label}" if self.label else self.sequence.name

    @property
    def frames(self) -> list:
        """The frames the run tracks: from its start to the sequence's end."""
        return self.sequence.frames[self.start :]

    @property
    def key(self) -> tuple:
        """Runs with the same key track the same frames from the same box: tracked once."""
        return id(self.sequence), self.start, tuple(np.asarray(self.box, np.float64))


def true_boxes(seq: Sequence) -> np.ndarray:
    """(N, 4) true boxes with NaN rows where the target is absent (a copy)."""
    gt = seq.boxes.copy()
    if seq.absent is not None:
        gt[np.asarray(seq.absent, dtype=bool)] = np.nan
    return gt


def first_true_box(gt: np.ndarray) -> int:
    """The first frame with a true box: where a run from the sequence's start begins."""
    known = np.flatnonzero(has_ground_truth(gt))
    if len(known) == 0:
        raise ValueError("no frame has a true box to start from")
    return int(known[0])


def frame_size(seq: Sequence) -> tuple[int, int]:
    """(width, height) of the sequence's frames, from the first one."""
    first = seq.frames[0]
    if isinstance(first, np.ndarray):
        return first.shape[1], first.shape[0]
    return image_size(Path(first))


def as_frame(frame: object) -> np.ndarray:
    """A frame given as an RGB array or as an image file."""
    return frame if isinstance(frame, np.ndarray) else read_image(frame)


# ----------------------------------------------------------------------------- protocols


@dataclass(frozen=True)
class Protocol:
    """How a tracker is run over sequences: the runs of each (`plan`) and how they are scored."""

    key: str  # its results folder: 'ope', 'tre', 'sre', 'starts-4'
    title: str  # 'OPE', 'TRE', 'SRE', '4 starts per sequence'
    plan: Callable[[Sequence], list[Run]]
    otb_scoring: bool = True  # OTB's: the given box scored, the runs of a sequence pooled


def scored_truth(run: Run, protocol: Protocol) -> np.ndarray:
    """The true boxes a run is scored against: the sequence's, from the run's start frame on.

    The rule for the given box (the run's first frame): it is not scored, but for one
    exception. Under OTB's own protocols (OPE, TRE, SRE) OTB's success and precision curves
    score it, as OTB's toolkit does (in SRE it is the perturbed box, scored against the truth).
    So the multi-start scheme leaves it out here, and GOT-10k's AO and SR leave out every run's
    first frame (`metrics.summarize_tracker`).
    """
    truth = true_boxes(run.sequence)[run.start :]
    if not protocol.otb_scoring:
        truth[0] = np.nan
    return truth


def ope_runs(seq: Sequence) -> list[Run]:
    """OTB's one-pass evaluation: one run from the first frame with a true box (OTB's frame 0)."""
    gt = true_boxes(seq)
    start = first_true_box(gt)
    return [Run(seq, start, gt[start])]


def start_frames(gt: np.ndarray, starts: int) -> list[int]:
    """`starts` frames spread evenly over the annotated span, each the first with a true box.

    A start needs a true box to begin from and a later one to be scored on.
    """
    known = np.flatnonzero(has_ground_truth(gt))
    if len(known) < 2:
        raise ValueError("a sequence needs at least two frames with a true box")
    usable = known[:-1]
    span = known[-1] - known[0]  # spread over the frames where the target is annotated
    at = np.searchsorted(usable, known[0] + np.arange(starts) * span / starts)
    return sorted({int(usable[i]) for i in np.minimum(at, len(usable) - 1)})


def multistart_runs(seq: Sequence, starts: int) -> list[Run]:
    """The course's multi-start scheme: runs from `start_frames`, named '<sequence>@<start>'."""
    gt = true_boxes(seq)
    return [Run(seq, s, gt[s], str(s)) for s in start_frames(gt, starts)]


OPE = Protocol("ope", "OPE", ope_runs)


def multistart(starts: int) -> Protocol:
    """Each sequence from `starts` evenly spread frames, each run scored on its own.

    One run from the first frame is a noisy score: a drift early on ruins everything after it.
    Runs from several starts average that out. The start frame's box is the truth, given, so it
    is not scored (`scored_truth`).
    """
    if starts < 1:
        raise ValueError(f"--starts {starts}: give at least 1 run per sequence")
    plan = partial(multistart_runs, starts=starts)
    return Protocol(f"starts-{starts}", f"{starts} starts per sequence", plan, otb_scoring=False)


# ----------------------------------------------------------------------------- failures


@dataclass
class SequenceFailure:
    """A sequence one tracker could not run through (an unreadable frame, no true box)."""

    tracker: str
    sequence: str
    reason: str  # the error, naming the file where there is one

    def __str__(self) -> str:
        return f"{self.sequence} ({self.tracker}): {self.reason}"


def report_failure(failure: SequenceFailure, failures: list[SequenceFailure] | None) -> None:
    """Record a failed sequence in `failures`, or warn about it when no list is kept."""
    if failures is None:
        warnings.warn(f"{failure}; left out of the results", stacklevel=3)
    else:
        failures.append(failure)


def without_failed(results: Iterable, failures: Iterable[SequenceFailure]) -> list:
    """The results without any run of a sequence that failed for some tracker.

    So every tracker is scored on the same sequences.
    """
    failed = {f.sequence for f in failures}
    return [r for r in results if r.sequence not in failed and run_of(r) not in failed]


# ----------------------------------------------------------------------------- tracking


class Target(Interface):
    """What a batch engine keeps of one tracked run."""

    frame_shape: tuple[int, ...]  # the shape of the run's first frame (RGB)

    def box(self) -> np.ndarray: ...


class BatchEngine(Interface):
    """Tracks many runs at once (`fast_tracker.SiamFCBatch` is one): `tracker.batch_engine()`."""

    targets: list[Target]  # one per run added and not removed, in the order added

    def add(self, image: np.ndarray, box: np.ndarray) -> object: ...

    def step(self, frames: list[np.ndarray]) -> object: ...

    def remove(self, index: int) -> None: ...


def track_together(
    engine: BatchEngine,
    jobs: list[tuple[list, np.ndarray]],
    batch: int,
    done: Callable[[int, Outcome], None] | None = None,
) -> list[Outcome]:
    """Track (frames, first box) jobs through one engine, `batch` at a time: each (boxes, seconds).

    The result equals `tracker.track(frames, box)` job by job: boxes (N, 4), 0-based xywh, the
    first one the given box; seconds (N,), each step's time shared among the jobs in it. A job
    that ends frees its place for the next one, so jobs of any length and frame size mix.
    `done(i, outcome)` hears each job as it ends.
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    for i, (frames, _) in enumerate(jobs):
        if len(frames) == 0:
            raise ValueError(f"run {i} has no frames")
    boxes = [np.zeros((len(frames), 4)) for frames, _ in jobs]
    times = [np.zeros(len(frames)) for frames, _ in jobs]
    waiting = list(reversed(range(len(jobs))))
    live: list[tuple[int, int]] = []  # (job, its next frame), in the engine's order

    def end(slot: int) -> None:
        """The job in this place has its last box: out of the engine, to `done`."""
        i, _ = live.pop(slot)
        engine.remove(slot)
        if done is not None:
            done(i, (boxes[i], times[i]))

    while waiting or live:
        while waiting and len(live) < batch:  # a job that ends frees its place for the next
            i = waiting.pop()
            frames, box = jobs[i]
            start = time.perf_counter()
            engine.add(as_frame(frames[0]), box)
            times[i][0] = time.perf_counter() - start
            boxes[i][0] = check_box(box, engine.targets[-1].frame_shape)
            live.append((i, 1))
            if len(frames) == 1:
                end(len(live) - 1)
        if not live:
            continue
        start = time.perf_counter()
        engine.step([as_frame(jobs[i][0][t]) for i, t in live])
        share = (time.perf_counter() - start) / len(live)
        for slot in reversed(range(len(live))):
            i, t = live[slot]
            boxes[i][t], times[i][t] = engine.targets[slot].box(), share
            live[slot] = (i, t + 1)
            if t + 1 == len(jobs[i][0]):
                end(slot)
    return list(zip(boxes, times, strict=True))


def track_runs(
    tracker: Tracker,
    jobs: list[tuple[list, np.ndarray]],
    batch: int = 1,
    done: Callable[[int, Outcome | Exception], None] | None = None,
) -> list[Outcome | Exception]:
    """Each (frames, first box) job's (boxes, seconds), or the data error that stopped it.

    The one place runs are tracked. With `batch` > 1 and a tracker that has `batch_engine()`,
    `batch` jobs at a time go through its engine (`track_together`); when a bad frame stops
    that, the jobs not yet finished are tracked again one by one, so the error is theirs alone.
    Otherwise one by one, `tracker.track`. `done(i, outcome)` hears each job as it ends.
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    outcomes: dict[int, Outcome | Exception] = {}

    def finish(i: int, outcome: Outcome | Exception) -> None:
        outcomes[i] = outcome
        if done is not None:
            done(i, outcome)

    engine = getattr(tracker, "batch_engine", None)
    if batch > 1 and engine is not None and jobs:
        try:
            track_together(engine(), jobs, batch, finish)
        except (OSError, ValueError):
            pass  # the unfinished jobs go one by one below, each to its own error
    for i, (frames, box) in enumerate(jobs):
        if i not in outcomes:
            try:
                finish(i, tracker.track(frames, box))
            except (OSError, ValueError) as error:
                finish(i, error)
    return [outcomes[i] for i in range(len(jobs))]


# ----------------------------------------------------------------------------- evaluation


class RunStore(Interface):
    """Where finished runs are kept (`report.ResultFolder`), so a killed evaluation resumes."""

    def load(self, tracker: str, run: Run) -> Outcome | None: ...

    def save(self, tracker: str, run: Run, outcome: Outcome) -> None: ...


def built(tracker: Tracker | Callable[[], Tracker]) -> Tracker:
    """The tracker, or the one a maker (a class or function without `track`) makes."""
    return tracker() if isinstance(tracker, type) or not hasattr(tracker, "track") else tracker


def plan_runs(
    sequences: Iterable[Sequence],
    protocol: Protocol,
    name: str,
    failures: list[SequenceFailure] | None = None,
) -> list[Run]:
    """Every run the protocol makes on the sequences; a sequence it cannot plan is a failure."""
    runs = []
    for seq in sequences:
        try:
            runs += protocol.plan(seq)
        except (OSError, ValueError) as error:
            report_failure(SequenceFailure(name, seq.name, str(error)), failures)
    return runs


def run_planned(
    tracker: Tracker | Callable[[], Tracker],
    runs: list[Run],
    protocol: Protocol,
    name: str,
    failures: list[SequenceFailure] | None = None,
    batch: int = 1,
    store: RunStore | None = None,
    on_run: Callable[[Run], None] | None = None,
) -> list[SequenceResult]:
    """Track the runs (those `store` keeps are read back) and score them: one result per run.

    Identical runs (TRE's repeated starts) are tracked once. Each finished run goes to `store`
    as it ends and to `on_run` (kept ones too). A sequence with a failed run is left out whole.
    The tracker may be a maker: it is made only if a run is left to track.
    """
    same: dict[tuple, list[Run]] = {}  # the runs of each job: identical runs, tracked once
    for run in runs:
        same.setdefault(run.key, []).append(run)
    outcomes: dict[tuple, Outcome | Exception] = {}
    for key, group in same.items():
        kept = [store.load(name, run) for run in group] if store is not None else [None]
        if all(k is not None for k in kept):
            outcomes[key] = kept[0]
    todo = [group[0] for key, group in same.items() if key not in outcomes]

    def done(i: int, outcome: Outcome | Exception) -> None:
        """Keep a finished job for every run it stands for."""
        for run in same[todo[i].key]:
            if store is not None and not isinstance(outcome, Exception):
                store.save(name, run, outcome)
            if on_run is not None:
                on_run(run)

    for run in runs:
        if on_run is not None and run.key in outcomes:
            on_run(run)
    if todo:
        jobs = [(run.frames, run.box) for run in todo]
        tracked = track_runs(built(tracker), jobs, batch, done)
        outcomes.update((run.key, outcome) for run, outcome in zip(todo, tracked, strict=True))
    failed = set()
    for run in runs:
        outcome = outcomes[run.key]
        if isinstance(outcome, Exception) and run.sequence.name not in failed:
            failed.add(run.sequence.name)
            report_failure(SequenceFailure(name, run.sequence.name, str(outcome)), failures)
    results = []
    for run in (r for r in runs if r.sequence.name not in failed):
        boxes, times = outcomes[run.key]
        truth, attributes = scored_truth(run, protocol), list(run.sequence.attributes)
        results.append(SequenceResult(name, run.name, boxes, truth, times, attributes))
    return results


def tracker_name(tracker: object) -> str:
    """The name a tracker's results go under: its `name`, else its class's."""
    return getattr(tracker, "name", None) or type(tracker).__name__


def evaluate_runs(
    tracker: Tracker | Callable[[], Tracker],
    sequences: Iterable[Sequence],
    protocol: Protocol,
    name: str | None = None,
    failures: list[SequenceFailure] | None = None,
    batch: int = 1,
    store: RunStore | None = None,
    on_run: Callable[[Run], None] | None = None,
) -> list[SequenceResult]:
    """Run one protocol: plan every sequence's runs, track them, score each (one result a run).

    A sequence that cannot be planned or tracked is reported and skipped (the module's rule).
    """
    name = name or tracker_name(tracker)
    runs = plan_runs(sequences, protocol, name, failures)
    return run_planned(tracker, runs, protocol, name, failures, batch, store, on_run)


def evaluate_tracker(
    tracker: Tracker,
    sequences: Iterable[Sequence],
    name: str | None = None,
    failures: list[SequenceFailure] | None = None,
    batch: int = 1,
) -> list[SequenceResult]:
    """One-pass evaluation (OPE): each sequence once from its first true box, never reset."""
    return evaluate_runs(tracker, sequences, OPE, name, failures, batch)


def evaluate_multistart(
    tracker: Tracker,
    sequences: Iterable[Sequence],
    starts: int = 4,
    name: str | None = None,
    failures: list[SequenceFailure] | None = None,
    batch: int = 1,
) -> list[SequenceResult]:
    """Each sequence from `starts` evenly spread frames (`multistart`): one result per run."""
    return evaluate_runs(tracker, sequences, multistart(starts), name, failures, batch)
