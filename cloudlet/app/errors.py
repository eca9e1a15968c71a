"""The error every bad app definition raises: a message that names the file and line."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

_PACKAGE_DIRS = (
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parent.parent / "deploy"),
)


@dataclass(frozen=True)
class Location:
    """Where in the user's code a construct was declared."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class AppError(Exception):
    """A mistake in the app definition; `location` is where it was made when known."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


def caller_location() -> Location | None:
    """The first frame outside cloudlet.app/cloudlet.deploy: the user's declaring line."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIRS):
            return Location(filename, frame.f_lineno)
        frame = frame.f_back  # type: ignore[assignment]
    return None
