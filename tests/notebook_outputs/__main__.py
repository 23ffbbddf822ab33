"""Record the expected outputs of marked cells: python -m tests.notebook_outputs NOTEBOOK..."""

import sys
from pathlib import Path

from . import record

for name in sys.argv[1:]:
    print("recorded", record(Path(name)))
