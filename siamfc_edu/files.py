"""Writing files so that a failure names the file and its cause (a full disk above all).

Python's own "[Errno 28] No space left on device" and torch.save's "[enforce fail at
inline_container.cc] unexpected pos" name no file; `writing(path)` turns either into one
OSError that says which file could not be written and why. Callers that replace a file write a
temporary one first (see `model.save_weights`), so the previous file stays whole.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
from collections.abc import Iterator
from pathlib import Path

LOW_SPACE = 1 << 20  # bytes: below this much free space, a failed write is put down to a full disk


def free_bytes(path: Path) -> int | None:
    """Free space on the disk that holds path (or its nearest existing folder), if known."""
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def disk_full_error(path: Path) -> OSError:
    """The error for a write that failed because the disk holding path is full."""
    free = free_bytes(path)
    left = f" ({free:,} bytes free)" if free is not None else ""
    return OSError(errno.ENOSPC, f"cannot write {path}: no space left on device{left}")


@contextlib.contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Re-raise a failed write inside this block as an OSError naming `path` and the cause."""
    path = Path(path)
    try:
        yield
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise disk_full_error(path) from None
        if error.filename is None:
            raise OSError(error.errno, f"cannot write {path}: {error.strerror or error}") from None
        raise
    except RuntimeError as error:  # torch.save writes through C++, which says only "unexpected pos"
        free = free_bytes(path)
        if free is not None and free < LOW_SPACE:
            raise disk_full_error(path) from None
        raise RuntimeError(f"cannot write {path}: {str(error).splitlines()[0]}") from None


def write_text(path: str | Path, text: str) -> Path:
    """path.write_text(text), with a failure that names the file."""
    path = Path(path)
    with writing(path):
        path.write_text(text)
    return path
