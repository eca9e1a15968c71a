"""API Gateway benchmark: REST and HTTP APIs in front of a warm Python Lambda function,
cloudlet against MiniStack and ``chalice local``. The benchmark is bench/apigateway.py
(its docstring says what it measures); this file is its entry point under the name the
issue gives it: ``python bench/http.py [--targets ...] [--quick] [--no-wrk]``.

A file named http.py in bench/ is found before the standard library's ``http`` package by
every script run from bench/ (their folder comes first on sys.path). So this file, when
imported rather than run, puts the standard library's package in its own place, and when
run, imports that package before it puts bench/ back on the path.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

_BENCH = Path(__file__).resolve().parent


def _without_bench(paths: list[str]) -> list[str]:
    return [p for p in paths if Path(p or ".").resolve() != _BENCH]


if __name__ == "__main__":
    sys.path[:] = _without_bench(sys.path)
    importlib.import_module("http.client")  # the standard library's, cached from now on
    sys.path.insert(0, str(_BENCH))
    from apigateway import main

    sys.exit(main())
else:
    # Imported as `http` by a script in bench/: load the standard library's package (the
    # import system hands the importer whatever sys.modules holds once this file ends).
    _saved = sys.path[:]
    sys.path[:] = _without_bench(sys.path)
    del sys.modules[__name__]
    try:
        sys.modules[__name__] = importlib.import_module(__name__)
    finally:
        sys.path[:] = _saved
