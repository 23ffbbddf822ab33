"""`python -m siamfc_edu.train ...` and `torchrun ... -m siamfc_edu.train ...`: the cli's train."""

import sys

from ..cli import train_main

if __name__ == "__main__":
    sys.exit(train_main())
