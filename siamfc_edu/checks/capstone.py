"""Checks of the capstone notebook 10 (your tracker: your own pieces inside the library's SiamFC).

The capstone does not copy the tracker: it hands the learner's functions to the library's
`SiamFCTracker` through its documented hook, `Pieces` (crop, correlate, upsample, penalise,
normalise, window, displacement, damp), and scores that tracker on the hand-drawn real set next
to the reference.

- `check_your_loss(label_map, logistic_loss)` serves step 3 (the label/loss piece, which the
  tracker does not use): the learner's labels and loss on the shipped network's score maps of a
  few real training pairs (label-free footage pairs cut from carphone, shifted as in training),
  compared with `siamfc_edu.losses.logistic_loss` of `logistic_labels`; the loss must be a torch
  tensor that back-propagates to the scores (not a `.item()`, not `.detach()`-ed);
- `compare_trackers(pieces)` serves step 4: SiamFC with the shipped weights, on the CPU, with and
  without the learner's `Pieces`, multi-start over `read_real_set()` (quick mode: 2 starts and
  the first 40 frames after each; otherwise 4 starts to the end of each clip, as the README's
  table); a `CapstoneResult` with both AUCs and both trackers' boxes. Before any tracking (and
  before the clips are read), each piece is called once as `step` calls it on carphone's frame 1,
  with the library's inputs: unfinished pieces (NotImplementedError, every one named), an
  exception (one line, the learner's line), an answer of the wrong type (a list or a tensor where
  the tracker needs a numpy array) or shape, or pieces so slow that the runs would take more
  than 10 minutes are reported, and nothing is tracked;
- `check_your_tracker(pieces or result)`: the verdict. "passed" when every box of yours stays
  within IoU `AGREE` of the reference's box and the AUCs are equal; otherwise where your tracker
  first leaves the reference (IoU < `AGREE`; a drift: IoU < `DRIFT`), and which of the learner's
  pieces, swapped alone into the library's tracker, already makes that run leave it;
- `plot_both_trackers(result)`: both trackers' boxes on a strip of frames of that run, and the
  IoU of your box with the reference's, frame by frame.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from .. import viz
from ..config import quick_mode
from ..data.footage import SHIPPED_VIDEOS, read_video
from ..data.footage_pairs import FootagePairs, has_texture
from ..data.pairs import label_offset
from ..data.real import read_annotations, read_real_set, real_set_files
from ..data.sequence import Sequence
from ..evaluate import (
    SequenceResult,
    TrackerSummary,
    format_table,
    has_ground_truth,
    iou,
    start_frames,
    summarize,
)
from ..head import cross_correlation
from ..images import mean_color
from ..losses import logistic_labels, logistic_loss
from ..runtime import crops_to_tensor
from ..tracker import Pieces, SiamFCTracker
from . import (
    TIMEOUT_S,
    Case,
    Mistake,
    Stopped,
    Verdict,
    call_with_timeout,
    check,
    escaped,
    graded,
    one_line,
    same_kind,
    type_name,
    where,
)
from .losses import LABEL_MISTAKES, LOSS_MISTAKES, WEIGHT_MISTAKES, compare_loss

DEVICE = "cpu"  # the same numbers on every machine
QUICK_STARTS, QUICK_FRAMES = 2, 40  # quick mode: 2 starts, the first 40 frames after each
FULL_STARTS = 4  # otherwise: 4 starts, each run to the end of its clip (the README's table)
AGREE = 0.9  # a box within this IoU of the reference's box is the same box
DRIFT = 0.5  # below this IoU with the reference's box, your tracker has drifted away
AUC_TOLERANCE = 5e-4  # AUCs this close print the same
SLOW_TOTAL_S = 600.0  # pieces that would track this long are reported, and nothing is tracked
PROBE_CLIP, PROBE_OBJECT = "carphone_pristine", "carphone_face"  # each piece is tried here once
TITLE = "your tracker"
PIECE_NAMES = tuple(f.name for f in dataclasses.fields(Pieces))
NEEDS = {  # why the tracker needs the type of each piece's answer
    "crop": "the network takes the crops as numpy images of uint8",
    "correlate": "the head scales and shifts a torch tensor",
    "upsample": "the tracker reshapes the maps and multiplies them by a numpy array of penalties",
    "penalise": "the tracker takes the peak of every map with numpy",
    "normalise": "the tracker mixes the map with a numpy window",
    "window": "the tracker takes the argmax of a numpy array",
    "displacement": "the tracker adds the displacement to its centre, a numpy array",
    "damp": "the tracker's scale is a number",
}
WHAT = {  # what each piece is, in the words of the earlier exercises
    "crop": "the crop with mean padding",
    "correlate": "the batched correlation",
    "upsample": "the bicubic upsampling",
    "penalise": "the scale penalty",
    "normalise": "the normalisation to sum 1",
    "window": "the cosine window",
    "displacement": "the peak's displacement",
    "damp": "the damped scale",
}


@lru_cache(maxsize=1)
def shipped_tracker() -> SiamFCTracker:
    """The reference tracker: the shipped weights on the CPU (its net and cfg serve both)."""
    return SiamFCTracker.from_weights(device=DEVICE)


def tracker_with(pieces: Pieces | None) -> SiamFCTracker:
    """SiamFC with the shipped weights and these pieces (None: the library's own)."""
    shipped = shipped_tracker()
    return SiamFCTracker(shipped.net, shipped.cfg, DEVICE, pieces=pieces)


@lru_cache(maxsize=1)
def real_set() -> tuple[Sequence, ...]:
    """The hand-drawn real evaluation set (read once: the clips are decoded in a few seconds)."""
    return tuple(read_real_set())


def settings(starts: int | None, frames: int | str | None) -> tuple[int, int | None]:
    """The starts and the frames per run (None: to the end): the quick mode's, or the README's."""
    if starts is None:
        starts = QUICK_STARTS if quick_mode() else FULL_STARTS
    if frames == "auto":
        frames = QUICK_FRAMES if quick_mode() else None
    return starts, frames


# ----------------------------------------------------------------------------- the label/loss


RADIUS_CELLS = 2.0  # r_pos 16 px / stride 8, for the shipped (tiny) preset as for the paper's
N_PAIRS = 8


@lru_cache(maxsize=1)
def training_pairs() -> tuple[torch.Tensor, list[tuple[float, float]]]:
    """Score maps of the shipped network on 8 real training pairs, and each pair's label offset.

    The pairs are `FootagePairs` cut from carphone's training part (the first 3/4 of the clip),
    augmented as in training: the search crop is shifted by up to 4 px, and its labels with it
    (the offset is the pair's plan's shift, in cells: `label_offset`).
    """
    shipped = shipped_tracker()
    cfg = shipped.cfg
    pairs = FootagePairs(cfg, videos=["carphone_pristine"], length=N_PAIRS, seed=0)
    zs, xs, offsets = [], [], []
    for index in range(N_PAIRS):
        z, x, _ = pairs[index]
        plan = next(
            p
            for p in (pairs.plan(index, a) for a in range(50))
            if has_texture(pairs.clips[p.clip].frames[p.z], p.box)
        )  # as pairs[index]
        offset = label_offset(plan.shift, cfg)
        zs.append(z)
        xs.append(x)
        offsets.append(offset)
    with torch.inference_mode():
        scores = shipped.net(torch.stack(zs), torch.stack(xs))
    return scores.clone().float(), offsets


def stacked_labels(label_map: Callable, offsets: list, size: int = 17) -> torch.Tensor:
    """One (size x size) map per pair from `label_map`, as a (B, 1, size, size) batch."""
    maps = [torch.as_tensor(label_map(size, RADIUS_CELLS, tuple(o))) for o in offsets]
    return torch.stack([m.float() for m in maps])[:, None]


def reference_loss(scores: torch.Tensor, offsets: list) -> torch.Tensor:
    """The library's balanced logistic loss of the score maps against their shifted labels."""
    return logistic_loss(scores, stacked_labels(logistic_labels, offsets, scores.shape[-1]))


def _with_weights(weights: Callable) -> Callable:
    """The loss computed with other balance weights: a mistake of `balance_weights`."""

    def loss(scores, offsets):
        labels = stacked_labels(logistic_labels, offsets, scores.shape[-1])
        return (weights(labels) * F.softplus(-labels * scores)).sum(dim=(-2, -1)).mean()

    return loss


def _with_labels(label_map: Callable) -> Callable:
    """The library's loss of labels made by another label map: a mistake of `label_map`."""
    return lambda scores, offsets: logistic_loss(
        scores, stacked_labels(label_map, offsets, scores.shape[-1])
    )


def _with_loss(loss: Callable) -> Callable:
    """Another loss of the library's labels: a mistake of `logistic_loss`."""
    return lambda scores, offsets: loss(
        scores, stacked_labels(logistic_labels, offsets, scores.shape[-1])
    )


def _named(mistakes: list[Mistake], where_: str, names: list[str], wrap: Callable) -> list:
    """The chosen mistakes of a chapter-03 list, renamed to say which function makes them."""
    chosen = [m for m in mistakes if any(m.name.startswith(n) for n in names)]
    return [Mistake(f"in {where_}: {m.name}", m.hint, wrap(m.fn)) for m in chosen]


# Chosen so that no two give the same loss on these inputs (0/1 labels, say, are one mistake
# whether label_map or the loss makes them; a uniform weight is the plain mean).
YOUR_LOSS_MISTAKES = [
    *_named(LABEL_MISTAKES, "label_map",
            ["an off-by-one centre", "a strict <", "the radius in pixels", "the offset with x"],
            _with_labels),
    *_named(WEIGHT_MISTAKES, "balance_weights",
            ["each class summing to 1", "the classes counted over the whole batch"],
            _with_weights),
    *_named(LOSS_MISTAKES, "logistic_loss",
            ["the wrong sign", "an unbalanced plain mean", "the naive formula",
             "labels 0/1 plugged", "the maps summed over the batch"],
            _with_loss),
]  # fmt: skip


def trainable(scores: torch.Tensor) -> torch.Tensor:
    """Score maps as training sees them: a tensor the loss's gradient flows back to."""
    return scores.detach().clone().requires_grad_(True)


def loss_cases() -> list[Case]:
    """The real pairs' score maps: as they are, unshifted, one pair, and 1000 times as confident.

    The maps require gradients, as in training: the loss must back-propagate to them.
    """
    scores, offsets = training_pairs()
    top = float(scores.abs().max())
    return [
        Case(f"{N_PAIRS} real training pairs (carphone, shifted up to 4 px): the shipped "
             "network's score maps (8, 1, 17, 17)", (trainable(scores), offsets)),
        Case("the same maps with unshifted labels (offset 0)",
             (trainable(scores), [(0.0, 0.0)] * N_PAIRS)),
        Case("one pair (1, 1, 17, 17), shifted", (trainable(scores[1:2]), offsets[1:2])),
        Case(f"the same maps times 1000 (|v| up to {1000 * top:.0f}: a confident network)",
             (trainable(scores * 1000), offsets)),
    ]  # fmt: skip


def compare_your_loss(got: object, expected: torch.Tensor) -> str:
    """'' when the loss is a tensor that back-propagates to the scores and has the right value."""
    if not isinstance(got, torch.Tensor):
        item = " (.item() gives one)" if type_name(got) == "a number" else ""
        return (f"returned {type_name(got)}{item}; training back-propagates through the loss, "
                "so it must stay a torch tensor: drop the .item()")  # fmt: skip
    if expected.grad_fn is not None and got.grad_fn is None:
        return (
            "your loss does not back-propagate to the scores: a .detach(), torch.no_grad() or a "
            "detour through numpy cuts it off them; training needs its gradient"
        )
    return compare_loss(got, expected)


@graded
def check_your_loss(label_map: Callable, logistic_loss: Callable) -> Verdict:
    """Step 3: your `logistic_loss(scores, your label_map's labels)` against the library's."""

    def yours(scores, offsets):
        return logistic_loss(scores, stacked_labels(label_map, offsets, scores.shape[-1]))

    return check(
        "your loss",
        yours,
        reference_loss,
        loss_cases(),
        YOUR_LOSS_MISTAKES,
        compare=compare_your_loss,
        hint="labels +1 within 2 cells of (size - 1) / 2 + offset; softplus(-y v) weighted so "
        "that each class carries half, summed per map, averaged over the batch",
    )


# ----------------------------------------------------------------------------- the pieces, once


@dataclass(frozen=True)
class Probe:
    """One call of one piece on a real frame, and what the tracker needs back."""

    piece: str
    args: tuple
    expected: object  # the library's answer (its shape is what the tracker needs)
    calls_per_frame: int = 1


@lru_cache(maxsize=1)
def probe_frames() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Carphone's frames 0 and 1 and the face's hand-drawn box in frame 0 (small, read fast)."""
    frames = read_video(PROBE_CLIP, max_frames=2)
    path = real_set_files()[f"{PROBE_CLIP}:{PROBE_OBJECT}"]
    return frames[0], frames[1], read_annotations(path, SHIPPED_VIDEOS[PROBE_CLIP][2])[0]


def probes() -> list[Probe]:
    """A call of every piece as `step` makes it on carphone's frame 1, with the library's inputs.

    Each piece gets the library's intermediate values, so one unfinished piece hides no other.
    The face's search square leaves the 176 x 144 frame: the crop pads.
    """
    frame0, frame1, box = probe_frames()
    tracker = tracker_with(None)
    tracker.init(frame0, box)
    center, scale = tracker.center.copy(), tracker.scale
    step = tracker.step(frame1)
    cfg, best = tracker.cfg, step.best_scale
    with torch.inference_mode():
        phi_x = tracker.embed(crops_to_tensor(step.search_crops, tracker.device))
        phi_z = tracker.kernel
        expected_maps = cross_correlation(phi_z, phi_x)
    side = step.search_sides[best]
    return [
        Probe("crop", (frame1, center, step.search_sides[1], cfg.instance_size,
                       mean_color(frame1)), step.search_crops[1], cfg.scale_num),
        Probe("correlate", (phi_z, phi_x), expected_maps),
        Probe("upsample", (step.raw_scores, cfg.upscale_size), step.upsampled),
        Probe("penalise", (step.upsampled, step.penalty), step.penalised),
        Probe("normalise", (step.penalised[best],), step.normalised),
        Probe("window", (step.normalised, step.window, cfg.window_influence), step.windowed),
        Probe("displacement", (*step.peak, side, cfg),
              (step.displacement_cells, step.displacement_crop, step.displacement_frame)),
        Probe("damp", (scale, float(step.scale_factors[best]), cfg), step.scale),
    ]  # fmt: skip


def copied(value: object) -> object:
    """A copy of an argument (arrays and tensors; the rest as it is): the pieces may change it."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, torch.Tensor):
        with torch.inference_mode():
            return value.clone()
    return value


def raised_in(error: BaseException) -> str:
    """The name of the function an exception came from (the learner's, past the adapters)."""
    frames = traceback.extract_tb(error.__traceback__)
    return frames[-1].name if frames else ""


def shape_of(value: object) -> object:
    """The shape of an answer: None for a number, (n,) for n numbers, one per item of a tuple."""
    if isinstance(value, tuple | list):
        inner = tuple(shape_of(v) for v in value)
        return (len(value),) if all(s is None for s in inner) else inner
    if hasattr(value, "shape"):
        return tuple(value.shape) or None  # a 0-d array or tensor is a number
    try:
        float(value)
    except (TypeError, ValueError):
        return type(value).__name__
    return None


def described(value: object) -> str:
    """An answer's shape in words, for a message."""
    if value is None:
        return "None (is the `return` missing?)"
    shape = shape_of(value)
    if shape is None:
        return "a number"
    if isinstance(shape, str):
        return f"a {shape}"
    if shape and isinstance(shape[0], tuple):
        return f"arrays of shapes {shape}"
    return f"an array of shape {shape}"


def piece_problem(piece: str, got: object, expected: object) -> str:
    """What the tracker cannot use in a piece's answer ('' when nothing): None, a type, a shape."""
    if got is None:
        return "answers None (is the `return` missing?)"
    kind = "" if isinstance(expected, tuple) else same_kind(got, expected)
    if kind:
        return f"{kind.replace('returned', 'answers', 1)}: {NEEDS[piece]}"
    if shape_of(got) != shape_of(expected):
        return f"answers {described(got)}; the tracker needs {described(expected)}"
    return ""


def check_pieces(pieces: Pieces) -> tuple[Verdict | None, float]:
    """Each piece called once on a real frame: (what is wrong or None, seconds per frame).

    Not implemented (every unfinished piece is named), an exception (one line, with the learner's
    line), or an answer of the wrong type or shape: then nothing should be tracked.
    """
    if not isinstance(pieces, Pieces):
        return Verdict("error", f"{TITLE}: expected the pieces as Pieces(crop=..., ...), got "
                       f"{type(pieces).__name__}"), 0.0  # fmt: skip
    unfinished, seconds = [], {}
    for probe in probes():
        fn = getattr(pieces, probe.piece)
        case = Case(probe.piece, tuple(copied(a) for a in probe.args))
        start = time.perf_counter()
        try:
            with torch.inference_mode():
                got = call_with_timeout(fn, case)
        except NotImplementedError as error:
            name = raised_in(error)
            unfinished.append(f"{probe.piece} ({name})" if name else probe.piece)
            continue
        except Stopped:
            return Verdict("timeout", f"{TITLE}: your {probe.piece} piece was stopped after "
                           f"{TIMEOUT_S:g} s on one frame: does it loop forever, or in Python "
                           "over every pixel?"), 0.0  # fmt: skip
        except (SystemExit, KeyboardInterrupt) as error:
            return Verdict("error", f"{TITLE}: your {probe.piece} piece ({WHAT[probe.piece]}) "
                           f"{escaped(error)}"), 0.0  # fmt: skip
        except Exception as error:
            return Verdict("error", f"{TITLE}: your {probe.piece} piece ({WHAT[probe.piece]}) "
                           f"raised {one_line(error)}{where(error)}"), 0.0  # fmt: skip
        seconds[probe.piece] = (time.perf_counter() - start) * probe.calls_per_frame
        problem = piece_problem(probe.piece, got, probe.expected)
        if problem:
            return Verdict("wrong", f"{TITLE}: your {probe.piece} piece ({WHAT[probe.piece]}) "
                           f"{problem}. Nothing was tracked."), 0.0  # fmt: skip
    if unfinished:
        return Verdict("not implemented", f"{TITLE}: not implemented yet: "
                       f"{', '.join(unfinished)}. Nothing was tracked."), 0.0  # fmt: skip
    return None, sum(seconds.values())


def too_slow(per_frame: float, frames: int) -> Verdict | None:
    """A verdict when tracking `frames` frames at `per_frame` seconds would take too long."""
    if per_frame * frames <= SLOW_TOTAL_S:
        return None
    return Verdict("timeout", f"{TITLE}: your pieces take {per_frame:.2f} s per frame: the "
                   f"{frames} frames would take {per_frame * frames / 60:.0f} min. Is a Python "
                   "loop going over every pixel? Nothing was tracked.")  # fmt: skip


# ----------------------------------------------------------------------------- tracking


@dataclass
class Run:
    """One run of both trackers: a sequence from one start frame, for some frames."""

    sequence: Sequence
    start: int  # the frame number of the run's first frame (its box is given)
    stop: int  # one past its last frame
    reference: np.ndarray  # (N, 4) the reference tracker's boxes
    yours: np.ndarray  # (N, 4) your tracker's boxes (a copy of `reference` before tracking)

    @property
    def name(self) -> str:
        return self.sequence.name

    @property
    def truth(self) -> np.ndarray:
        """The hand-drawn boxes of the run's frames (NaN where none was drawn)."""
        return self.sequence.boxes[self.start : self.stop]

    @property
    def agreement(self) -> np.ndarray:
        """IoU of your box with the reference's, frame by frame (1 where they are equal)."""
        return iou(self.yours, self.reference)

    def results(self, which: str) -> SequenceResult:
        """One tracker's result on this run, scored as `evaluate_multistart` scores a run."""
        gt = self.truth.copy()
        gt[0] = np.nan  # the given box is not scored
        boxes = self.reference if which == "reference" else self.yours
        return SequenceResult(which, f"{self.name}@{self.start}", boxes, gt, np.zeros(len(gt)))


def plan_runs(sequences: list[Sequence], starts: int, frames: int | None) -> list[tuple]:
    """(sequence, start, stop) of every run: `start_frames` of each, `frames` long at most."""
    runs = []
    for seq in sequences:
        for start in start_frames(seq.boxes, starts):
            stop = len(seq) if frames is None else min(len(seq), start + frames)
            runs.append((seq, start, stop))
    return runs


def track(pieces: Pieces | None, seq: Sequence, start: int, stop: int) -> np.ndarray:
    """The boxes of SiamFC with these pieces, from the true box at `start` up to `stop`."""
    boxes, _ = tracker_with(pieces).track(seq.frames[start:stop], seq.boxes[start])
    return boxes


def reference_boxes(sequences: tuple, starts: int, frames: int | None) -> list[np.ndarray]:
    """The reference tracker's boxes on every run (cached for the real set)."""
    if sequences is real_set():
        return list(_reference_on_real_set(starts, frames))
    return [track(None, *run) for run in plan_runs(list(sequences), starts, frames)]


@lru_cache(maxsize=4)
def _reference_on_real_set(starts: int, frames: int | None) -> tuple[np.ndarray, ...]:
    return tuple(track(None, *run) for run in plan_runs(list(real_set()), starts, frames))


@dataclass
class CapstoneResult:
    """Both trackers on the same runs: their AUCs, their boxes; or why nothing was tracked."""

    starts: int
    frames: int | None  # frames per run at most (None: to the end of the clip)
    runs: list[Run]
    pieces: Pieces | None = None  # yours
    problem: Verdict | None = None  # not implemented, an error, a wrong shape: nothing tracked
    reference_auc: float | None = None
    your_auc: float | None = None
    summaries: list[TrackerSummary] = dataclasses.field(default_factory=list)

    @property
    def tracked(self) -> bool:
        return self.problem is None

    def table(self) -> str:
        """Both trackers' scores as a table (AUC, precision@20, AO, SR), or why there is none."""
        if not self.tracked:
            return f"nothing tracked yet ({self.problem.status}): check_your_tracker says why"
        return format_table(self.summaries).replace(" nan ", " -   ")

    def first_departure(self, threshold: float = AGREE) -> tuple[int, int] | None:
        """(run, frame in the run) where your box first has IoU < threshold with the reference's."""
        for r, run in enumerate(self.runs):
            below = np.flatnonzero(run.agreement < threshold)
            if len(below):
                return r, int(below[0])
        return None

    def describe(self) -> str:
        """The runs in words: how many, from how many starts, how many frames."""
        frames = sum(run.stop - run.start for run in self.runs)
        length = f"at most {self.frames} frames each" if self.frames else "to each clip's end"
        return (f"{len(self.runs)} runs ({self.starts} starts per sequence, {length}; "
                f"{frames} frames)")  # fmt: skip


def compare_trackers(
    pieces: Pieces,
    sequences: list[Sequence] | None = None,
    starts: int | None = None,
    frames: int | str | None = "auto",
) -> CapstoneResult:
    """SiamFC with the shipped weights, with and without your pieces, on the same runs.

    `sequences`: the hand-drawn real set by default. `starts` (None: 2 in quick mode, else 4)
    spread over each sequence as `evaluate_multistart` spreads them; each run lasts at most
    `frames` frames, or to the end of its clip (None). "auto": 40 in quick mode, else None.
    """
    starts, frames = settings(starts, frames)
    result = CapstoneResult(starts, frames, [], pieces=pieces)
    result.problem, per_frame = check_pieces(pieces)
    if result.problem is not None:
        return result  # before the clips are even read: an unfinished notebook runs fast
    sequences = real_set() if sequences is None else tuple(sequences)
    planned = plan_runs(list(sequences), starts, frames)
    result.problem = too_slow(per_frame, sum(stop - start for _, start, stop in planned))
    if result.problem is not None:
        return result
    reference = reference_boxes(sequences, starts, frames)
    for (seq, start, stop), ref in zip(planned, reference, strict=True):
        try:
            yours = track(pieces, seq, start, stop)
        except NotImplementedError as error:
            result.problem = Verdict("not implemented", f"{TITLE}: not implemented yet: "
                                     f"{raised_in(error) or 'a piece'}.")  # fmt: skip
        except Exception as error:
            message = f"{type(error).__name__}: {error}".strip().splitlines()[0][:300]
            result.problem = Verdict("error", f"{TITLE}: tracking {seq.name} from frame {start}, "
                                     f"your code raised {message}{where(error)}")  # fmt: skip
        if result.problem is not None:
            result.runs = []
            return result
        result.runs.append(Run(seq, start, stop, ref, yours))
    scored = [r.results(w) for w in ("reference", "yours") for r in result.runs]
    result.summaries = summarize(scored)
    result.reference_auc, result.your_auc = (s.auc for s in result.summaries)
    return result


# ----------------------------------------------------------------------------- the verdict


def culprits(pieces: Pieces, run: Run, until: int) -> list[str]:
    """The pieces that, swapped in alone, make the run's boxes leave the reference's by `until`."""
    found = []
    for name in PIECE_NAMES:
        mine = getattr(pieces, name)
        if mine is getattr(Pieces(), name):
            continue
        boxes = track(Pieces(**{name: mine}), run.sequence, run.start, run.start + until + 1)
        if np.any(iou(boxes, run.reference[: until + 1]) < AGREE):
            found.append(name)
    return found


@graded
def check_your_tracker(pieces: Pieces | CapstoneResult) -> Verdict:
    """Your pieces in SiamFC against the reference: passed, or where your tracker first leaves it.

    Give your `Pieces` (the check runs `compare_trackers`) or the result of `compare_trackers`.
    """
    result = pieces if isinstance(pieces, CapstoneResult) else compare_trackers(pieces)
    if result.problem is not None:
        return result.problem
    mine, ref = result.your_auc, result.reference_auc
    departure = result.first_departure()
    if departure is None and abs(mine - ref) < AUC_TOLERANCE:
        return Verdict("passed", f"{TITLE}: passed: your tracker's AUC {mine:.3f} equals the "
                       f"reference's ({ref:.3f}) on {result.describe()}: every box of yours "
                       f"within IoU {AGREE} of the reference's.")  # fmt: skip
    head = f"{TITLE}: your AUC {mine:.3f} vs the reference's {ref:.3f}"
    if departure is None:
        return Verdict("wrong", f"{head}, though every box of yours stays within IoU {AGREE} "
                       "of the reference's: a difference too small to see in one box, "
                       "repeated over many frames.")  # fmt: skip
    r, i = result.first_departure(DRIFT) or departure
    run = result.runs[r]
    overlap = float(run.agreement[i])
    if overlap < DRIFT:
        where_ = (f"it first drifts at {run.name} frame {run.start + i} (IoU with the "
                  f"reference's box {overlap:.2f} < {DRIFT}; the run started at frame "
                  f"{run.start})")  # fmt: skip
    else:
        where_ = (f"it first leaves the reference at {run.name} frame {run.start + i} (IoU "
                  f"with the reference's box {overlap:.2f} < {AGREE}; the run started at frame "
                  f"{run.start}), without drifting away (IoU >= {DRIFT} everywhere)")  # fmt: skip
    found = culprits(result.pieces, run, i)
    if found:
        names = ", ".join(f"{n} ({WHAT[n]})" for n in found)
        blame = (f" Swapped alone into the library's tracker, your {names} already makes that "
                 "run leave the reference: look there first (if its check passed, at a case "
                 "that check did not try).")  # fmt: skip
    else:
        blame = " No piece of yours alone changes that run: it takes several together."
    return Verdict("wrong", f"{head}: {where_}.{blame}", ",".join(found) or None)


# ----------------------------------------------------------------------------- the figure

REFERENCE_COLOR = (40, 120, 255)  # blue: the reference tracker
YOURS_COLOR = viz.BOX_COLOR  # red: yours


def chosen_run(result: CapstoneResult) -> tuple[Run, int | None]:
    """The run to draw: where yours first leaves the reference (and its frame), else the longest."""
    departure = result.first_departure(DRIFT) or result.first_departure()
    if departure is not None:
        return result.runs[departure[0]], departure[1]
    return max(result.runs, key=lambda run: run.stop - run.start), None


def strip_frames(run: Run, at: int | None, tiles: int) -> list[int]:
    """Frames of a run to show (indices in the run): its first, `at`, then hand-drawn ones."""
    n = run.stop - run.start
    picks = {0} if at is None else {0, at}
    drawn = [i for i in np.flatnonzero(has_ground_truth(run.truth)) if i not in picks]
    spread = np.linspace(0, len(drawn) - 1, max(0, tiles - len(picks))).round().astype(int)
    picks |= {int(drawn[k]) for k in spread} if drawn else set()
    for i in np.linspace(0, n - 1, tiles).round().astype(int):  # too few hand-drawn frames
        if len(picks) < min(tiles, n):
            picks.add(int(i))
    return sorted(picks)


def plot_both_trackers(result: CapstoneResult, tiles: int = 6, height: int = 150) -> Figure | None:
    """Both trackers on a strip of frames of one run, and their IoU with each other per frame.

    The run is the one where your tracker first leaves the reference (its frame is in the strip);
    when it never does, the longest run. Blue: the reference; red: yours; green: hand-drawn.
    """
    import matplotlib.pyplot as plt

    if not result.tracked:
        print(f"nothing to draw yet ({result.problem.status}): nothing was tracked")
        return None
    run, at = chosen_run(result)
    picks = strip_frames(run, at, tiles)
    images, labels = [], []
    for i in picks:
        image = run.sequence.frames[run.start + i]
        line = max(1, round(2 * image.shape[0] / height))  # 2 px in the strip, whatever the frame
        if np.all(np.isfinite(run.truth[i])):
            image = viz.draw_box(image, run.truth[i], viz.TRUTH_COLOR, line)
        image = viz.draw_box(image, run.reference[i], REFERENCE_COLOR, 2 * line)
        image = viz.draw_box(image, run.yours[i], YOURS_COLOR, line)
        images.append(image)
        labels.append(f"frame {run.start + i}")
    strip = viz.frame_strip(images, height=height, labels=labels)
    width = 14.0
    strip_height = width * strip.shape[0] / strip.shape[1]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(width, strip_height + 2.6), height_ratios=[strip_height, 1.8],
        layout="constrained",
    )  # fmt: skip
    top.imshow(strip)
    top.set_axis_off()
    top.set_title(f"{run.name} from frame {run.start}: the reference (blue), yours (red), "
                  "hand-drawn (green)", fontsize=10)  # fmt: skip
    frames = np.arange(run.start, run.stop)
    bottom.plot(frames, run.agreement, color="tab:red", label="your box vs the reference's")
    scored = has_ground_truth(run.truth)
    for which, color, size in (("reference", "tab:blue", 7), ("yours", "tab:orange", 4)):
        boxes = run.reference if which == "reference" else run.yours
        overlaps = iou(boxes, run.truth)
        bottom.plot(frames[scored], overlaps[scored], "o", color=color, markersize=size,
                    label=f"{which} vs hand-drawn")  # fmt: skip
    bottom.axhline(DRIFT, color="gray", linestyle=":", linewidth=1)
    if at is not None:
        bottom.axvline(run.start + at, color="tab:red", linestyle="--", linewidth=1)
    bottom.set(xlabel="frame", ylabel="IoU", ylim=(-0.02, 1.05), xlim=(run.start, run.stop - 1))
    bottom.legend(loc="lower left", fontsize=8, ncols=3)
    bottom.grid(True, alpha=0.3)
    return fig
