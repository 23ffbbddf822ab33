"""Training SiamFC (Section 3 of the paper), on one process or several (torchrun).

    recipe.py   the paper's recipe: learning rate, SGD, one step, validation, batch-norm statistics
    loop.py     train(cfg, opts): epochs, processes, data loaders
    runlog.py   the run folder: log.csv, loss.png, the last two checkpoints (resume), weights.pth

The command line is in siamfc_edu.cli (`siamfc-edu train`, `python -m siamfc_edu.train`);
where pairs come from (`--data`) is in siamfc_edu.data.sources.
"""

from .loop import RunOptions, train
from .recipe import (
    learning_rate,
    make_optimizer,
    peak_distance,
    reestimate_batch_norm,
    train_step,
    validate,
)
from .runlog import LOG_FIELDS, TrainingError, read_log

__all__ = [
    "LOG_FIELDS",
    "RunOptions",
    "TrainingError",
    "learning_rate",
    "make_optimizer",
    "peak_distance",
    "read_log",
    "reestimate_batch_norm",
    "train",
    "train_step",
    "validate",
]
