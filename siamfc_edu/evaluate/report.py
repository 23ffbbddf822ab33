"""Tables, plots and result files; and `run_evaluation`, what `siamfc-edu evaluate` calls.

An evaluation's folder (`--out`):

* `results.txt`: the report as printed; `results.csv`: one row per protocol and tracker;
* `success_plot.png`, `precision_plot.png`: one panel per OTB protocol (with OPE, TRE and SRE the
  success plot is the paper's Fig. 3); `eao.png`: VOT's EAO curves;
* one folder per protocol with every run's result, marked by its `protocol.json`.
  OPE / TRE / SRE / multi-start: <folder>/<tracker>/<run>.txt, one box x,y,w,h per line (0-based),
  and <run>.time, seconds per frame. VOT: <folder>/<tracker>/baseline/<sequence>/<sequence>_001.txt
  in the VOT toolkit's format (also got10k's): per frame '1' (initialised), '2' (failed), '0'
  (skipped) or the box x,y,w,h; seconds per frame in <sequence>_time.txt. A folder the toolkits
  wrote (no protocol.json) reads as VOT.

Each run's files are written as the run ends, each whole (a temporary file renamed), with every
digit of the numbers: run again with the same `--out`, a killed evaluation keeps the runs whose
files are complete and tracks only the others, to the same scores.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from tqdm import tqdm

from ..data.sequence import Sequence
from ..files import writing
from ..interface import Tracker
from .metrics import (
    PRECISION_THRESHOLDS,
    SUCCESS_THRESHOLDS,
    SequenceResult,
    TrackerSummary,
    attribute_table,
    run_of,
    summarize,
)
from .otb import PROTOCOLS
from .runs import (
    Outcome,
    Protocol,
    Run,
    SequenceFailure,
    frame_size,
    multistart,
    plan_runs,
    run_planned,
    scored_truth,
    without_failed,
)
from .vot import (
    FAILED,
    INITIALISED,
    SKIPPED,
    TRACKED,
    SupervisedRun,
    VOTSequence,
    VOTSummary,
    evaluate_supervised,
    read_vot_set,
    region_overlap,
    summarize_supervised,
)

MANIFEST = "protocol.json"  # in each protocol's folder: which protocol its runs are
SETTINGS = "evaluation.json"  # in --out: the settings its runs were made with

# The paper's Table 2 (VOT-15): accuracy, failures, expected average overlap, speed (fps)
PAPER_VOT15 = {
    "MDNet (VOT-15 winner)": (0.5620, 46, 0.3575, "1"),
    "SiamFC-3s (paper)": (0.5335, 84, 0.2889, "86"),
    "SiamFC 5 scales (paper)": (0.5240, 87, 0.2743, "58"),
}

# ----------------------------------------------------------------------------- tables


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table with columns padded to line up as plain text too."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def format_table(summaries: list[TrackerSummary], digits: int = 3) -> str:
    """The summaries as a text table: AUC, precision@20, AO, SR0.50, SR0.75, fps per tracker."""
    header = ["tracker", "AUC", "prec@20", "AO", "SR0.50", "SR0.75", "fps", "seqs"]
    rows = [
        [
            s.tracker,
            *(f"{v:.{digits}f}" for v in (s.auc, s.precision20, s.ao, s.sr50, s.sr75)),
            f"{s.fps:.1f}",
            str(s.sequences),
        ]
        for s in summaries
    ]
    return markdown_table(header, rows)


def format_attribute_table(table: dict[str, dict[str, float]], digits: int = 3) -> str:
    """The per-attribute AUC table as text: one row per attribute, one column per tracker."""
    trackers = list(dict.fromkeys(t for scores in table.values() for t in scores))
    rows = [
        [attribute, *(f"{scores[t]:.{digits}f}" if t in scores else "-" for t in trackers)]
        for attribute, scores in table.items()
    ]
    return markdown_table(["attribute", *trackers], rows)


def format_failures(failures: list[SequenceFailure], scored: int) -> list[str]:
    """The lines that name the failed sequences (none when nothing failed)."""
    failed = sorted({f.sequence for f in failures})
    if not failed:
        return []
    return [
        "",
        f"{len(failed)} sequence(s) failed and are left out of every average above "
        f"(scores are over the other {scored}):",
        *(f"  {f}" for f in failures),
    ]


def format_report(
    summaries: list[TrackerSummary],
    results: list[SequenceResult],
    failures: list[SequenceFailure],
    protocol: str = "OPE",
    pooled: bool = False,
) -> str:
    """One protocol's evaluation as text: the scores, the attribute table and the failures."""
    sequences = {run_of(r) for r in results}
    runs = f"{summaries[0].frames} frames tracked per tracker"
    lines = [f"{len(sequences)} sequences, {protocol}, {runs}", ""]
    lines += [format_table(summaries), ""]
    table = attribute_table(results, pooled)
    if table:
        lines += ["success AUC per attribute:", "", format_attribute_table(table)]
    else:
        lines.append("no attribute labels in this data set: no per-attribute table")
    return "\n".join(lines + format_failures(failures, len(sequences)))


def format_protocol_table(summaries: dict[str, list[TrackerSummary]], digits: int = 3) -> str:
    """Success AUC (and precision@20) per tracker and protocol, as one markdown table."""
    protocols = list(summaries)
    trackers = list(dict.fromkeys(s.tracker for group in summaries.values() for s in group))
    found = {(p, s.tracker): s for p, group in summaries.items() for s in group}
    header = ["tracker", *(f"{p} AUC" for p in protocols), *(f"{p} prec@20" for p in protocols)]
    rows = []
    for t in trackers:
        cells = [found.get((p, t)) for p in protocols]
        rows.append([
            t,
            *(f"{s.auc:.{digits}f}" if s else "-" for s in cells),
            *(f"{s.precision20:.{digits}f}" if s else "-" for s in cells),
        ])  # fmt: skip
    return markdown_table(header, rows)


def format_vot_table(summaries: list[VOTSummary], paper: bool = True) -> str:
    """Table 2's layout (tracker, accuracy, # failures, overlap, speed), the paper's rows first;
    the EAO estimated from the sequence lengths in a column of its own, labelled with its N."""
    header = ["tracker", "accuracy", "# failures", "overlap (EAO)", "speed (fps)",
              "EAO estimate", "data"]  # fmt: skip
    rows = []
    if paper:
        rows += [[name, f"{a:.4f}", str(f), f"{e:.4f}", fps, "-", "VOT-15, 60 sequences"]
                 for name, (a, f, e, fps) in PAPER_VOT15.items()]  # fmt: skip
    for s in summaries:
        low, high = s.estimate_interval
        used = f"N in [{s.interval[0]}, {s.interval[1]}]" if not np.isnan(s.eao) else "undefined"
        rows.append([
            s.tracker, f"{s.accuracy:.4f}", str(s.failures), f"{s.eao:.4f}", f"{s.fps:.1f}",
            f"{s.eao_estimate:.4f} (N in [{low}, {high}])",
            f"{s.sequences} sequences, EAO {used} (as the toolkit)",
        ])  # fmt: skip
    return markdown_table(header, rows)


def format_sequence_table(runs: list[SupervisedRun]) -> str:
    """Accuracy and failures per sequence (rows) and tracker (columns)."""
    trackers = list(dict.fromkeys(r.tracker for r in runs))
    found = {(r.sequence, r.tracker): r for r in runs}
    sequences = list(dict.fromkeys(r.sequence for r in runs))
    rows = [[s, *(f"{found[s, t].accuracy:.3f} / {found[s, t].failures}"
                  if (s, t) in found else "-" for t in trackers)] for s in sequences]  # fmt: skip
    return markdown_table(["sequence (accuracy / failures)", *trackers], rows)


# ----------------------------------------------------------------------------- plots


def _new_axes(ax: Axes | None) -> Axes:
    """The given axes, or those of a new figure (kept out of pyplot: shown once in notebooks)."""
    if ax is not None:
        return ax
    return Figure(figsize=(6, 4.5), layout="constrained").add_subplot()


# what each of OTB's plots draws: thresholds, curve, score, axis labels, x range, legend place
PLOTS = {
    "Success": (SUCCESS_THRESHOLDS, "success_curve", "auc", "Overlap threshold",
                "Success rate", 1, "lower left"),
    "Precision": (PRECISION_THRESHOLDS, "precision_curve", "precision20",
                  "Location error threshold (px)", "Precision", 50, "lower right"),
}  # fmt: skip


def plot_curves(summaries: list[TrackerSummary], kind: str, ax: Axes | None, title: str) -> Figure:
    """OTB's success or precision plot: a curve per tracker, best first, its score in the legend."""
    thresholds, curve, score, xlabel, ylabel, x_max, place = PLOTS[kind]
    ax = _new_axes(ax)
    for s in sorted(summaries, key=lambda s: getattr(s, score), reverse=True):
        ax.plot(thresholds, getattr(s, curve), label=f"{s.tracker} [{getattr(s, score):.3f}]")
    if kind == "Precision":
        ax.axvline(20, color="gray", linestyle=":", linewidth=1)  # precision@20
    ax.set(xlabel=xlabel, ylabel=ylabel, xlim=(0, x_max), ylim=(0, 1.02))
    ax.set_title(title)
    ax.grid(True, alpha=0.4)
    ax.legend(loc=place)
    return ax.figure


def plot_success(
    summaries: list[TrackerSummary], ax: Axes | None = None, title: str = "Success plots (OPE)"
) -> Figure:
    """OTB's success plot: one curve per tracker, best first, the legend giving each AUC."""
    return plot_curves(summaries, "Success", ax, title)


def plot_precision(
    summaries: list[TrackerSummary], ax: Axes | None = None, title: str = "Precision plots (OPE)"
) -> Figure:
    """OTB's precision plot: one curve per tracker, best first, the legend giving precision@20."""
    return plot_curves(summaries, "Precision", ax, title)


def plot_protocols(summaries: dict[str, list[TrackerSummary]], kind: str = "Success") -> Figure:
    """A success (or precision) plot per protocol, a curve per tracker: the paper's Fig. 3."""
    plot = plot_success if kind == "Success" else plot_precision
    fig = Figure(figsize=(6 * len(summaries), 4.5), layout="constrained")
    axes = fig.subplots(1, len(summaries), squeeze=False)[0]
    for ax, (protocol, group) in zip(axes, summaries.items(), strict=True):
        plot(group, ax, f"{kind} plots ({protocol})")
    return fig


def plot_eao(summaries: list[VOTSummary], ax: Axes | None = None) -> Figure:
    """The EAO curves Φ(N), the averaging interval shaded, EAO in the legend."""
    ax = _new_axes(ax)
    for s in sorted(summaries, key=lambda s: s.eao_estimate, reverse=True):
        label = f"{s.tracker} [EAO {s.eao:.3f}, estimate {s.eao_estimate:.3f}]"
        ax.plot(np.arange(len(s.curve)), s.curve, label=label)
    if summaries:
        low, high = summaries[0].interval
        if low <= high:
            ax.axvspan(low - 0.5, high + 0.5, color="gray", alpha=0.2, label="EAO interval")
        low, high = summaries[0].estimate_interval
        ax.axvspan(low - 0.5, high + 0.5, color="tab:orange", alpha=0.15,
                   label="estimated interval")  # fmt: skip
    ax.set(xlabel="sequence length N (frames)", ylabel="expected average overlap Φ(N)",
           ylim=(0, 1.02), title="Expected average overlap (VOT supervised)")  # fmt: skip
    ax.grid(True, alpha=0.4)
    ax.legend(loc="upper right")
    return ax.figure


def save_figure(fig: Figure, path: Path, dpi: int = 150) -> Path:
    """Write a figure, a failure naming the file."""
    with writing(path):
        fig.savefig(path, dpi=dpi)
    return path


def save_plots(
    summaries: dict[str, list[TrackerSummary]], out_dir: str | Path, dpi: int = 150
) -> list[Path]:
    """Write success_plot.png and precision_plot.png (a panel per protocol); return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        save_figure(plot_protocols(summaries, kind), out_dir / f"{kind.lower()}_plot.png", dpi)
        for kind in ("Success", "Precision")
    ]


# ----------------------------------------------------------------------------- result files


def number(value: float) -> str:
    """A number with every digit it needs to read back the same (Python's shortest repr)."""
    return repr(float(value))


def write_whole(path: Path, text: str) -> Path:
    """Write a file at once: a temporary file renamed over it, so it is never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with writing(path):
        try:
            temporary.write_text(text)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    return path


def check_protocol(folder: str | Path, protocol: str, required: bool = True) -> None:
    """An error naming the file when `folder` holds another protocol's results (or none)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        if required:
            raise FileNotFoundError(f"no {MANIFEST} in {folder}: not a {protocol} results folder")
        return
    try:
        found = json.loads(path.read_text()).get("protocol")
    except (json.JSONDecodeError, AttributeError):
        raise ValueError(f"{path} is not a manifest (JSON with a 'protocol' key)") from None
    if found != protocol:
        raise ValueError(f"{path}: this folder holds {found} results, not {protocol}")


def start_folder(folder: Path, protocol: str) -> Path:
    """Create the folder and its manifest (or check that an existing one is the same protocol)."""
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / MANIFEST).is_file():
        check_protocol(folder, protocol)
    else:
        write_whole(folder / MANIFEST, json.dumps({"protocol": protocol}) + "\n")
    return folder


def write_run(path: Path, boxes: np.ndarray, times: np.ndarray) -> None:
    """A run's seconds (<run>.time), then its boxes (<run>.txt): the boxes file marks it done."""
    write_whole(path.with_suffix(".time"), "".join(number(t) + "\n" for t in times))
    write_whole(path, "".join(",".join(map(number, box)) + "\n" for box in boxes))


def read_run(path: Path, frames: int) -> Outcome:
    """A run's boxes and seconds as `write_run` wrote them, checked: `frames` of each."""
    boxes = np.loadtxt(path, delimiter=",", ndmin=2)
    times = np.loadtxt(path.with_suffix(".time"), ndmin=1)
    if boxes.shape != (frames, 4) or times.shape != (frames,):
        raise ValueError(f"{path}: {len(boxes)} boxes and {len(times)} times for {frames} frames")
    return boxes, times


class ResultFolder:
    """One protocol's run results on disk, where `runs.run_planned` keeps and finds them."""

    def __init__(self, folder: str | Path, protocol: str, keep: bool = True):
        self.folder, self.keep = start_folder(Path(folder), protocol), keep

    def path(self, tracker: str, name: str) -> Path:
        """The boxes file of a tracker's run."""
        return self.folder / tracker / f"{name}.txt"

    def load(self, tracker: str, run: Run) -> Outcome | None:
        """A finished run's boxes and seconds; None when its files are missing or incomplete."""
        if not self.keep:
            return None
        try:
            return read_run(self.path(tracker, run.name), len(run.frames))
        except (OSError, ValueError):
            return None

    def save(self, tracker: str, run: Run, outcome: Outcome) -> None:
        """Write a finished run's files."""
        write_run(self.path(tracker, run.name), *outcome)


def protocol_named(key: str) -> Protocol:
    """The OTB-style protocol of a results folder: 'ope', 'tre', 'sre' or 'starts-N'."""
    if key.startswith("starts-") and key[7:].isdigit():
        return multistart(int(key[7:]))
    if key not in PROTOCOLS:
        raise ValueError(f"unknown OTB protocol {key!r}; choose from {', '.join(PROTOCOLS)}")
    return PROTOCOLS[key]


def save_runs(results: list[SequenceResult], folder: str | Path, protocol: str) -> Path:
    """Write OPE / TRE / SRE / multi-start run results: one box file per tracker and run."""
    protocol_named(protocol)  # an unknown protocol is refused before anything is written
    folder = start_folder(Path(folder), protocol)
    for r in results:
        write_run(folder / r.tracker / f"{r.sequence}.txt", r.boxes, r.times)
    return folder


def load_runs(folder: str | Path, protocol: str, sequences: list[Sequence]) -> list[SequenceResult]:
    """Read back every tracker's runs of `protocol` on the sequences, scored as it scores them."""
    chosen = protocol_named(protocol)
    folder = Path(folder)
    check_protocol(folder, protocol)
    runs = plan_runs(sequences, chosen, "?", [])
    results = []
    for tracker_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for run in runs:
            boxes, times = read_run(tracker_dir / f"{run.name}.txt", len(run.frames))
            results.append(SequenceResult(tracker_dir.name, run.name, boxes,
                                          scored_truth(run, chosen), times,
                                          list(run.sequence.attributes)))  # fmt: skip
    return results


def supervised_path(folder: Path, tracker: str, sequence: str) -> Path:
    """The VOT toolkit's result file of a tracker's run on a sequence."""
    return folder / tracker / "baseline" / sequence / f"{sequence}_001.txt"


def write_supervised(folder: Path, run: SupervisedRun) -> None:
    """A supervised run in the VOT toolkit's format: its seconds, then its states and boxes."""
    path = supervised_path(folder, run.tracker, run.sequence)
    times = ["NaN" if np.isnan(t) else number(t) for t in run.times]
    write_whole(path.with_name(f"{run.sequence}_time.txt"), "\n".join(times) + "\n")
    lines = [
        ",".join(map(number, box)) if state == TRACKED else str(state)
        for state, box in zip(run.states, run.boxes, strict=True)
    ]
    write_whole(path, "\n".join(lines) + "\n")


def read_supervised(folder: Path, tracker: str, vs: VOTSequence) -> SupervisedRun:
    """One tracker's VOT result on one sequence (ours, or the toolkits'), scored on its polygons."""
    path = supervised_path(folder, tracker, vs.name)
    if not path.is_file():
        raise FileNotFoundError(f"no VOT result file {path}")
    rows = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(rows) != len(vs.polygons):
        raise ValueError(f"{path}: {len(rows)} lines for {len(vs.polygons)} frames")
    states = np.full(len(rows), TRACKED)
    boxes = np.full((len(rows), 4), np.nan)
    overlaps = np.full(len(rows), np.nan)
    size = frame_size(vs.sequence)
    for i, row in enumerate(rows):
        values = [float(v) for v in row.split(",")]
        if len(values) == 1 and values[0] in (SKIPPED, INITIALISED, FAILED):
            states[i] = int(values[0])
            overlaps[i] = 0.0 if states[i] == FAILED else np.nan
        elif len(values) == 4:
            boxes[i] = values
            overlaps[i] = region_overlap(vs.polygons[i], values, size)
        else:
            raise ValueError(f"{path}, line {i + 1}: expected 0, 1, 2 or x,y,w,h, got {row!r}")
    time_file = path.with_name(f"{vs.name}_time.txt")
    times = np.full(len(rows), np.nan)
    if time_file.is_file():
        times = np.array([float(line.split(",")[0]) for line in time_file.read_text().split()])
        if len(times) != len(rows):
            raise ValueError(f"{time_file}: {len(times)} times for {len(rows)} frames")
    return SupervisedRun(tracker, vs.name, states, boxes, overlaps, times)


class SupervisedFolder:
    """VOT's run results on disk, where `vot.evaluate_supervised` keeps and finds them."""

    def __init__(self, folder: str | Path, keep: bool = True):
        self.folder, self.keep = start_folder(Path(folder), "vot"), keep

    def load(self, tracker: str, vs: VOTSequence) -> SupervisedRun | None:
        """A finished run; None when its files are missing or incomplete."""
        if not self.keep:
            return None
        try:
            return read_supervised(self.folder, tracker, vs)
        except (OSError, ValueError):
            return None

    def save(self, run: SupervisedRun) -> None:
        """Write a finished run's files."""
        write_supervised(self.folder, run)


def save_supervised(runs: list[SupervisedRun], folder: str | Path) -> Path:
    """Write VOT supervised runs in the VOT toolkit's result format."""
    folder = start_folder(Path(folder), "vot")
    for run in runs:
        write_supervised(folder, run)
    return folder


def load_supervised(
    folder: str | Path, tracker: str, sequences: list[VOTSequence]
) -> list[SupervisedRun]:
    """Read one tracker's VOT results (ours, or the toolkits') and score them on the polygons."""
    check_protocol(folder, "vot", required=False)
    return [read_supervised(Path(folder), tracker, vs) for vs in sequences]


def save_results(
    summaries: dict[str, list[TrackerSummary]], report: str, out_dir: str | Path
) -> list[Path]:
    """Write results.txt (the report as printed) and results.csv (a row per protocol, tracker;
    only when an OTB-style protocol ran)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text, table = out_dir / "results.txt", out_dir / "results.csv"
    write_whole(text, report + "\n")
    if not summaries:
        return [text]
    with writing(table), open(table, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["protocol", "tracker", "auc", "precision20", "ao", "sr50", "sr75", "fps",
                         "sequences"])  # fmt: skip
        for protocol, group in summaries.items():
            for s in group:
                scores = (s.auc, s.precision20, s.ao, s.sr50, s.sr75, s.fps)
                writer.writerow([protocol, s.tracker, *(f"{v:.4f}" for v in scores), s.sequences])
    return [text, table]


# ----------------------------------------------------------------------------- the command


VOT = "vot"
ALL = (*PROTOCOLS, VOT)


def parse_protocols(text: str, starts: int = 1) -> list[Protocol | str]:
    """'ope,tre,sre,vot' -> the protocols, checked; with `starts` > 1, OPE from that many starts."""
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    unknown = [p for p in names if p not in ALL]
    if unknown or not names:
        raise ValueError(f"--protocol: unknown {unknown or text!r}; choose from {', '.join(ALL)}")
    ope = multistart(starts) if starts != 1 else PROTOCOLS["ope"]
    if starts != 1 and "ope" not in names:
        raise ValueError(f"--starts {starts} runs OPE from {starts} starts: add ope to --protocol")
    return [VOT if p == VOT else ope if p == "ope" else PROTOCOLS[p] for p in dict.fromkeys(names)]


def read_sequences(data: str | Path) -> list[Sequence]:
    """A hand-boxed real set by name (one of `REAL_SETS`), or the OTB sequences in a folder."""
    from ..data import read_otb

    real_sets = _real_sets()
    if str(data) in real_sets:
        return real_sets[str(data)]()
    root = Path(data)
    return read_otb(root / "OTB" if (root / "OTB").is_dir() else root)


def _real_sets() -> dict[str, Callable[[], list[Sequence]]]:
    """The hand-boxed real sets by the name `--data` takes: on the shipped clips, and harder."""
    from ..data import read_real_set
    from ..data.real import HARD_VALIDATION_DIR, VALIDATION_DIR, read_hard_real_set

    return {
        "real": lambda: read_real_set("all"),
        "real-held-out": lambda: read_real_set("held_out"),
        "real-validation": lambda: read_real_set(folder=VALIDATION_DIR),
        "hard": lambda: read_hard_real_set("all"),
        "hard-held-out": lambda: read_hard_real_set("held_out"),
        "hard-validation": lambda: read_hard_real_set(folder=HARD_VALIDATION_DIR),
    }


REAL_SETS = ("real", "real-held-out", "real-validation", "hard", "hard-held-out", "hard-validation")


def vot_root(data: str | Path) -> Path:
    """The VOT layout in a data set: <data>/VOT (as make-data --layout vot writes) or <data>."""
    data = Path(data)
    for root in (data / "VOT", data):
        if (root / "list.txt").is_file():
            return root
    raise FileNotFoundError(
        f"no VOT layout at {data} (expected {data}/VOT/list.txt or {data}/list.txt): "
        "write one with `siamfc-edu make-data --layout vot`"
    )


def same_settings(out: Path, settings: dict | None) -> bool:
    """Record the settings in <out>/evaluation.json; False when it held other ones."""
    path = out / SETTINGS
    if settings is None:
        return True
    try:
        before = json.loads(path.read_text()).get("settings") if path.is_file() else settings
    except (json.JSONDecodeError, AttributeError):
        before = None
    write_whole(path, json.dumps({"settings": settings}, indent=1) + "\n")
    return before == settings


@contextmanager
def announced(protocol: str, tracker: str, sequences: int, total: int, show: bool) -> Iterator:
    """Say on stderr when a tracker starts a protocol and how long it took; a bar over its runs."""
    start = time.perf_counter()
    if show:
        print(f"{protocol}: {tracker} on {sequences} sequences ...", file=sys.stderr, flush=True)
    with tqdm(total=total, desc=tracker, unit="run", disable=not show, file=sys.stderr) as bar:

        def advance(run: Run | VOTSequence) -> None:
            bar.set_postfix_str(run.name, refresh=False)
            bar.update()

        yield advance
    if show:
        took = time.perf_counter() - start
        print(f"{protocol}: {tracker} done in {took:.1f} s", file=sys.stderr, flush=True)


def count_kept(
    trackers: list[str],
    planned: dict[str, list[Run]],
    folders: dict[str, ResultFolder],
    vot_sequences: list[VOTSequence],
    vot_folder: SupervisedFolder | None,
) -> tuple[int, int]:
    """How many of the runs to make are finished in the folders already, and of how many."""
    found = [folders[key].load(t, run) is not None for key, runs in planned.items()
             for t in trackers for run in {r.name: r for r in runs}.values()]  # fmt: skip
    if vot_folder is not None:
        found += [vot_folder.load(t, vs) is not None for t in trackers for vs in vot_sequences]
    return sum(found), len(found)


def otb_section(
    makers: dict[str, Callable[[], Tracker]],
    protocol: Protocol,
    planned: list[Run],
    failed: list[SequenceFailure],
    batch: int,
    folder: ResultFolder,
    progress: bool,
) -> tuple[list[TrackerSummary], str]:
    """Every tracker under one OTB-style protocol: the summaries and the report's section."""
    results = []
    for name, make in makers.items():
        skipped = {f.sequence for f in failed}  # a sequence failed by one is left out for all
        runs = [r for r in planned if r.sequence.name not in skipped]
        left = len({r.sequence.name for r in runs})
        with announced(protocol.title, name, left, len(runs), progress) as on_run:
            results += run_planned(make, runs, protocol, name, failed, batch, folder, on_run)
    results = without_failed(results, failed)
    if not results:
        raise ValueError(f"no sequence could be evaluated; the first failure: {failed[0]}")
    summaries = summarize(results, protocol.otb_scoring)
    pooled = protocol.otb_scoring
    return summaries, format_report(summaries, results, failed, protocol.title, pooled)


def vot_section(
    makers: dict[str, Callable[[], Tracker]],
    sequences: list[VOTSequence],
    folder: SupervisedFolder,
    progress: bool,
) -> tuple[list[VOTSummary], str]:
    """Every tracker under VOT's supervised protocol: the summaries and the report's section."""
    runs, failed = [], []
    for name, make in makers.items():
        left = [vs for vs in sequences if vs.name not in {f.sequence for f in failed}]
        with announced("VOT", name, len(left), len(left), progress) as on_run:
            runs += evaluate_supervised(make, left, name, failed, folder, on_run)
    runs = without_failed(runs, failed)
    if not runs:
        raise ValueError(f"no VOT sequence could be evaluated; the first failure: {failed[0]}")
    summaries, scored = summarize_supervised(runs), len({r.sequence for r in runs})
    text = "\n\n".join([
        f"VOT supervised protocol on {scored} sequences, as the paper's Table 2 (the paper's "
        "rows: VOT-15, not comparable)", format_vot_table(summaries), format_sequence_table(runs),
    ])  # fmt: skip
    return summaries, text + "\n".join(format_failures(failed, scored))


def run_evaluation(
    makers: dict[str, Callable[[], Tracker]],
    data: str | Path,
    out: str | Path,
    protocols: str = "ope",
    starts: int = 1,
    batch: int = 1,
    settings: dict | None = None,
    say: Callable[[str], None] = print,
    progress: bool = True,
) -> str:
    """Every tracker under every protocol; say and write the report, the tables and the plots.

    `makers` make the trackers (only when a run is left to track); `protocols` as the command's
    --protocol ('ope,tre,sre,vot'); `starts` > 1 runs OPE from that many starts per sequence;
    `batch` runs at a time through a tracker's batch engine. Finished runs in `out` (made with
    the same `settings`) are kept; the others are tracked. Failures follow `runs`' rule.
    """
    if batch < 1:
        raise ValueError(f"--batch {batch}: give at least 1 run at a time")
    chosen = parse_protocols(protocols, starts)
    otb = [p for p in chosen if p != VOT]
    sequences = read_sequences(data) if otb else []
    vot_sequences = read_vot_set(vot_root(data)) if VOT in chosen else []
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)  # an unwritable --out fails before any tracking
    keep = same_settings(out, settings)
    if not keep:
        say(f"{out}/ holds runs made with other settings: every run is tracked again")
    counts = [f"{len(sequences)} sequences ({', '.join(p.title for p in otb)})"] if otb else []
    counts += [f"{len(vot_sequences)} VOT sequences (VOT)"] if vot_sequences else []
    say(f"evaluating {', '.join(makers)} on {', '.join(counts)}; tables and plots go to {out}/")

    folders = {p.key: ResultFolder(out / p.key, p.key, keep) for p in otb}
    vot_folder = SupervisedFolder(out / VOT, keep) if VOT in chosen else None
    failures = {p.key: [] for p in otb}
    planned = {p.key: plan_runs(sequences, p, next(iter(makers)), failures[p.key]) for p in otb}
    kept, total = count_kept(list(makers), planned, folders, vot_sequences, vot_folder)
    if kept:
        say(f"kept {kept} finished runs of {total} from {out}/")

    sections, tables, seconds, vot_summaries = [], {}, {}, []
    for p in otb:
        start = time.perf_counter()
        tables[p.title], text = otb_section(
            makers, p, planned[p.key], failures[p.key], batch, folders[p.key], progress
        )
        sections.append(text)
        seconds[p.title] = time.perf_counter() - start
    if otb and len(chosen) > 1:
        sections.append(f"OTB protocols on {len(sequences)} sequences\n\n"
                        + format_protocol_table(tables))  # fmt: skip
    if vot_folder is not None:
        start = time.perf_counter()
        vot_summaries, text = vot_section(makers, vot_sequences, vot_folder, progress)
        sections.append(text)
        seconds["VOT"] = time.perf_counter() - start
    sections.append("wall time: " + ", ".join(f"{p} {s:.1f} s" for p, s in seconds.items()))
    report = "\n\n".join(sections)
    say("\n" + report)
    paths = save_results(tables, report, out)
    paths += save_plots(tables, out) if tables else []
    if vot_summaries:
        paths.append(save_figure(plot_eao(vot_summaries), out / "eao.png"))
    say(f"\nwritten to {out}/: " + ", ".join(p.name for p in paths))
    return report
