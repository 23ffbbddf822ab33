"""What one tracking run writes: the boxes file (a row per frame) and an annotated video.

`siamfc-edu track` writes through `TrackOutputs`; so can a notebook. Both files are opened before
the first frame (a bad path fails at once), and each box is flushed as it is tracked, so a run
stopped partway keeps the boxes so far.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import numpy as np

from .viz import BROWSER_CODECS, VideoWriter, draw_box, video_codecs

BOXES_HEADER = (
    "# siamfc-edu track {video}: one row per frame, x,y,w,h in 0-based pixels (top-left, size)\n"
    "# a frame that could not be decoded: nan,nan,nan,nan. Load: np.loadtxt(path, delimiter=',')\n"
)


def boxes_path(video: str, out: Path | None, boxes: str | None) -> Path:
    """Where the boxes go: as given, else beside the annotated video, else ./VIDEO_boxes.txt."""
    if boxes:
        return Path(boxes)
    return out.with_suffix(".txt") if out else Path(f"{Path(video).stem}_boxes.txt")


def open_boxes_file(path: Path, video: str) -> TextIO:
    """The boxes file, opened with its header before the first frame: a bad path fails at once."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file = path.open("w")
    except OSError as err:
        raise OSError(f"cannot write the boxes to {path}: {err.strerror}: {err.filename}") from None
    file.write(BOXES_HEADER.format(video=video))
    return file


class TrackOutputs:
    """The boxes file of a run and, when `video_path` is given, its video with the box drawn.

    >>> with TrackOutputs("boxes.txt", "tracked.webm", "carphone", fps=25, size=(176, 144)) as out:
    ...     out.write(frame, box)
    """

    def __init__(
        self,
        boxes_path: str | Path,
        video_path: str | Path | None,
        source: str,
        fps: float,
        size: tuple[int, int],
    ):
        self.boxes_path = Path(boxes_path)
        self.video_path = Path(video_path) if video_path is not None else None
        if self.video_path is not None:
            video_codecs(self.video_path)  # an extension we cannot write is refused first
        self.rows = open_boxes_file(self.boxes_path, source)
        self.video, self.last_picture = None, None
        if self.video_path is not None:
            try:
                self.video = VideoWriter(self.video_path, fps, size)
            except (OSError, ValueError):
                self.rows.close()
                self.boxes_path.unlink()  # nothing is left behind by a run that cannot start
                raise

    def playback_note(self) -> str:
        """Why the video will not play in a browser, or '' when it will (or there is none)."""
        if self.video is None or self.video.codec in BROWSER_CODECS:
            return ""
        return (
            f"this OpenCV cannot encode H.264, so {self.video_path} is MPEG-4 ({self.video.codec}),"
            f" which browsers and JupyterLab do not play; use --out "
            f"{self.video_path.with_suffix('.webm')} for one they play"
        )

    def write(self, image: np.ndarray | None, box: np.ndarray) -> None:
        """One frame: its box as a row (flushed at once), the frame with the box to the video.

        A frame that could not be decoded (`image` None) repeats the last picture in the video.
        """
        self.rows.write(",".join(f"{v:.2f}" for v in box) + "\n")
        self.rows.flush()
        if image is not None:
            self.last_picture = draw_box(image, box)
        if self.video is not None and self.last_picture is not None:
            self.video.write(self.last_picture)

    def close(self) -> None:
        """Finish both files (what was written stays readable)."""
        self.rows.close()
        if self.video is not None:
            self.video.close()

    def discard(self) -> None:
        """Close and delete both files: a run that could not start leaves nothing behind."""
        self.close()
        self.boxes_path.unlink(missing_ok=True)
        if self.video_path is not None:
            self.video_path.unlink(missing_ok=True)

    def __enter__(self) -> TrackOutputs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
