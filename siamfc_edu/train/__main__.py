"""`python -m siamfc_edu.train ...` and `torchrun ... -m siamfc_edu.train ...`."""

import sys

from .command import train_main

if __name__ == "__main__":
    sys.exit(train_main())
