"""Run a course notebook's jupytext .py as a plain script, its figures saved as PNG files.

    python benchmarks/notebook_as_script.py notebooks/08_gpu_tracker.py [--figures DIR]

For a machine without Jupyter (a GPU lent for a few minutes, say): matplotlib draws off screen,
each `plt.show()` saves the figure instead, and IPython's `display` prints a placeholder when
IPython is not installed. The printed output is the notebook's; its cells run in order.
"""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def without_ipython() -> None:
    """A stand-in `IPython.display` whose display() prints what it was given, in one line."""
    display = types.ModuleType("IPython.display")
    display.Code = lambda source, **_: f"<code, {len(str(source).splitlines())} lines>"
    display.display = lambda *objects, **_: print(*objects)
    sys.modules["IPython.display"] = display  # not "IPython": matplotlib would take it for one


def main() -> None:
    """Run the notebook script given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path, help="a notebook's jupytext .py file")
    parser.add_argument("--figures", type=Path, default=Path("."), help="where the PNGs go")
    args = parser.parse_args()
    try:
        import IPython.display  # noqa: F401
    except ImportError:
        without_ipython()
    args.figures.mkdir(parents=True, exist_ok=True)
    shown = []

    def save(*_, **__) -> None:
        shown.append(args.figures / f"{args.notebook.stem}_figure{len(shown) + 1}.png")
        plt.savefig(shown[-1], dpi=80, bbox_inches="tight")
        plt.close("all")

    plt.show = save
    code = compile(args.notebook.read_text(), str(args.notebook), "exec")
    exec(code, {"__name__": "__main__", "__file__": str(args.notebook)})
    print(f"\n{args.notebook}: ran; figures: {', '.join(str(p) for p in shown) or 'none'}")


if __name__ == "__main__":
    main()
