"""Evaluation: how well a tracker follows its target, by the benchmarks' own rules.

`metrics`: the scores on plain arrays of boxes (IoU, centre error, OTB's success and precision
curves, GOT-10k's AO and SR) and their summaries per tracker; the part to read first.
`runs`: one run type and one runner: the protocols' run planners (OPE, multi-start), the rule
for failures and first boxes, tracking one by one or many runs at once through a batch engine.
`otb`: OTB's TRE and SRE planners (Wu et al. 2013), as in the paper's Fig. 3.
`vot`: VOT's supervised protocol and the expected average overlap (the paper's Table 2).
`report`: tables, plots, result files, and `run_evaluation`, what `siamfc-edu evaluate` runs.

The names most used are importable from the package itself.
"""

from .metrics import (
    PRECISION_THRESHOLDS,
    SUCCESS_THRESHOLDS,
    SequenceResult,
    TrackerSummary,
    area_under_curve,
    attribute_table,
    average_overlap,
    center_error,
    has_ground_truth,
    iou,
    precision_at,
    precision_curve,
    success_curve,
    success_rate,
    summarize,
)
from .report import format_table, plot_precision, plot_success
from .runs import evaluate_multistart, evaluate_runs, evaluate_tracker, start_frames

__all__ = [
    "PRECISION_THRESHOLDS",
    "SUCCESS_THRESHOLDS",
    "SequenceResult",
    "TrackerSummary",
    "area_under_curve",
    "attribute_table",
    "average_overlap",
    "center_error",
    "evaluate_multistart",
    "evaluate_runs",
    "evaluate_tracker",
    "format_table",
    "has_ground_truth",
    "iou",
    "plot_precision",
    "plot_success",
    "precision_at",
    "precision_curve",
    "start_frames",
    "success_curve",
    "success_rate",
    "summarize",
]
