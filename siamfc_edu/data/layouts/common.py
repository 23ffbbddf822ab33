"""What the layouts share: reading and writing ground-truth files, attributes, numbered frames.

Readers: a per-frame defect (a box of zero size or outside its frame, a truncated JPEG frame) is
counted by a DefectLog, marked absent and reported in one warning per call -- it never becomes a
wrong label or a training image.
Readers: structural problems (a missing folder, an unreadable file) raise an error naming the path.
Writers: frames become JPEGs of quality JPEG_QUALITY, boxes lines of numbers, one file per idea.
Both: `attributes.txt` beside a sequence (one code per line) is our addition to every layout.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import cv2
import numpy as np

from ...boxes import box_problem
from ...images import jpeg_problem

JPEG_QUALITY = 90

# ----------------------------------------------------------------------------- reading


class DefectLog:
    """Counts per-frame defects while reading, then reports them in a single warning."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.examples: list[str] = []
        self.count = 0

    def add(self, message: str) -> None:
        """Record one frame marked absent, and why."""
        self.count += 1
        if len(self.examples) < 3:
            self.examples.append(message)

    def report(self) -> None:
        """Warn once with the number of frames marked absent and a few examples."""
        if self.count:
            examples = "; ".join(self.examples)
            warnings.warn(
                f"{self.what}: skipped {self.count} defective frame(s) or box(es), marked absent "
                f"(e.g. {examples})",
                stacklevel=3,
            )


def require_dir(path: Path, what: str) -> Path:
    """The folder, or a FileNotFoundError that says what was expected there."""
    if not path.exists():
        raise FileNotFoundError(f"{what}: no such folder {path}")
    if not path.is_dir():
        raise ValueError(f"{what}: {path} is not a folder")
    return path


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image from its header alone (no decoding)."""
    from PIL import Image  # Pillow comes with matplotlib; it reads the size without decoding

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read the image {path}: {error}") from None


def mark_defective(
    boxes: np.ndarray, absent: np.ndarray, size: tuple[int, int], name: str, defects: DefectLog
) -> None:
    """Count every visible box of zero size or outside the frame, and mark it absent (NaN).

    `name` says where the boxes come from (the sequence, or its ground-truth file).
    """
    for i in np.flatnonzero(~absent):
        problem = box_problem(boxes[i], size)
        if problem:
            defects.add(f"{name}, frame {i + 1}: {problem}")
            absent[i] = True
    boxes[absent] = np.nan


def mark_truncated(frames: list[Path], absent: np.ndarray, defects: DefectLog) -> None:
    """Count every frame whose JPEG was cut short, and mark it absent: it is never trained on."""
    for i, path in enumerate(frames):
        problem = jpeg_problem(path)
        if problem:
            defects.add(problem)
            absent[i] = True


def read_text(path: Path, what: str) -> str:
    """A text file's content, or a ValueError naming the file if it holds binary data."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
        binary_at = data.find(b"\0")  # a NUL byte: binary data that happens to be valid UTF-8
    except UnicodeDecodeError as error:
        binary_at = error.start
    if binary_at >= 0:
        raise ValueError(f"{path}: not a text file of {what} (binary data at byte {binary_at})")
    return text


def read_box_file(path: Path, values_per_line: tuple[int, ...] = (4,)) -> list[np.ndarray]:
    """The numbers of each line of a ground-truth file, split on commas, tabs or spaces."""
    if not path.is_file():
        raise FileNotFoundError(f"no ground-truth file at {path}")
    rows = []
    for number, line in enumerate(read_text(path, "boxes").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            row = np.array([float(v) for v in re.split(r"[,\s]+", line)], np.float64)
        except ValueError:
            raise ValueError(f"{path}, line {number}: not numbers: {line[:60]!r}") from None
        if len(row) not in values_per_line:
            raise ValueError(
                f"{path}, line {number}: expected {' or '.join(map(str, values_per_line))} "
                f"values, got {len(row)}"
            )
        rows.append(row)
    if not rows:
        raise ValueError(f"the ground-truth file {path} is empty")
    return rows


def read_attributes(folder: Path) -> list[str]:
    """The attribute codes of a sequence from its attributes.txt (one per line), if any."""
    path = folder / "attributes.txt"
    if not path.is_file():
        return []
    text = read_text(path, "attribute codes")
    return [line.strip() for line in text.splitlines() if line.strip()]


def read_label_file(path: Path, n: int) -> np.ndarray | None:
    """A per-frame integer label file (absence.label, cover.label, *.tag), or None if missing."""
    if not path.is_file():
        return None
    values = []
    for number, line in enumerate(read_text(path, "per-frame labels").splitlines(), start=1):
        for word in line.split():
            try:
                values.append(int(float(word)))
            except (ValueError, OverflowError):  # text, NaN or infinity
                raise ValueError(
                    f"{path}, line {number}: not a number: {word[:40]!r} (one integer label "
                    f"per frame expected)"
                ) from None
    if len(values) != n:
        raise ValueError(f"{path}: {len(values)} labels for {n} frames")
    return np.array(values)


# ----------------------------------------------------------------------------- writing


def encode_jpeg(frame: np.ndarray) -> bytes:
    """An RGB frame as JPEG bytes (quality 90)."""
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not ok:
        raise ValueError("OpenCV could not encode a frame as JPEG")
    return data.tobytes()


def write_attributes(folder: Path, attributes: list[str]) -> None:
    """attributes.txt: one attribute code per line (our addition to every layout)."""
    (folder / "attributes.txt").write_text("".join(f"{a}\n" for a in attributes))


def write_numbered_frames(
    folder: Path, frames: list[np.ndarray] | list[bytes], digits: int
) -> None:
    """Write frames as 1-based numbered JPEGs (0001.jpg, ...); bytes are already-encoded JPEGs."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames, start=1):
        data = frame if isinstance(frame, bytes) else encode_jpeg(frame)
        (folder / f"{index:0{digits}d}.jpg").write_bytes(data)


def write_rows(path: Path, rows: np.ndarray, fmt: str = "g", delimiter: str = ",") -> None:
    """Write one line of numbers per row: a ground-truth file."""
    lines = [delimiter.join(f"{v:{fmt}}" for v in row) for row in np.asarray(rows)]
    path.write_text("\n".join(lines) + "\n")
