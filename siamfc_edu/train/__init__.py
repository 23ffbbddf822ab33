"""Training SiamFC (the paper's §2.2 and §4.1), on one process or several (torchrun).

    recipe.py   the paper's recipe: learning rate, SGD, one step, validation, batch-norm statistics
    loop.py     train(cfg, opts): epochs, processes, data loaders
    runlog.py   the run folder: log.csv, loss.png, the last two checkpoints (resume), weights.pth
    command.py  the command line: `python -m siamfc_edu.train` (and `siamfc-edu train`)

Where pairs come from (`--data`) is in siamfc_edu.data.sources.
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
