"""Load an app file: import it as a module and find the one App it declares."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

from cloudlet.app import constructs
from cloudlet.app.constructs import App
from cloudlet.app.errors import AppError, Location


def resolve_app_file(path: str | Path | None) -> Path:
    """An app file, or a folder holding `app.py`; default: ./app.py."""
    candidate = Path(path) if path is not None else Path("app.py")
    if candidate.is_dir():
        candidate = candidate / "app.py"
    if not candidate.is_file():
        raise AppError(f"no app file at {candidate}")
    return candidate.resolve()


def load(path: str | Path | None = None) -> App:
    """Import the app file and return its App (exactly one must be created)."""
    file = resolve_app_file(path)
    module_name = f"_cloudlet_app_{abs(hash(str(file)))}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    started = len(constructs._created)
    folder = str(file.parent)
    sys.path.insert(0, folder)  # the app may import helpers that sit next to it
    try:
        spec.loader.exec_module(module)
    except AppError:
        raise
    except SyntaxError as error:
        where = Location(error.filename or str(file), error.lineno or 0)
        raise AppError(f"syntax error: {error.msg}", where) from None
    except Exception as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(file)]
        where = Location(str(file), frames[-1].lineno or 0) if frames else Location(str(file), 0)
        raise AppError(f"{type(error).__name__}: {error}", where) from None
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)
        created = constructs._created[started:]
        del constructs._created[started:]
    if len(created) != 1:
        found = "no App" if not created else f"{len(created)} Apps"
        raise AppError(
            f"{found} created: an app file declares exactly one App(...)", Location(str(file), 1)
        )
    return created[0]
