"""Where the session will write, checked before anything trains.

A results file that turns out to be a folder, or a baseline folder that cannot be written, would
otherwise be found only at the end, after the whole budget was spent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_optbench.options import OptbenchOptions


def check_outputs(options: OptbenchOptions) -> None:
    """A usage error (exit status 4) naming the option, the path and what is wrong."""
    if options.json_path is not None:
        _file("--optbench-json", options.json_path)
    if options.report_dir is not None:
        _folder("--optbench-report", options.report_dir, must_write=True)
    if options.writes_baselines:
        _folder("--optbench-baseline-dir", options.baseline_dir, must_write=True)
    elif options.baseline_dir.exists() and not options.baseline_dir.is_dir():
        _folder("--optbench-baseline-dir", options.baseline_dir, must_write=False)


def _file(option: str, path: Path) -> None:
    if path.is_dir():
        raise pytest.UsageError(f"{option}: found {path}, which is a folder; expected the path "
                                f"of a file to write, e.g. {path / 'results.json'}")
    if path.exists() and not os.access(path, os.W_OK):
        raise pytest.UsageError(f"{option}: found {path}, which cannot be written; expected a "
                                f"writable file")
    _creatable(option, path.parent, what=f"{path}")


def _folder(option: str, path: Path, must_write: bool) -> None:
    if path.exists() and not path.is_dir():
        raise pytest.UsageError(f"{option}: found {path}, which is a file; expected a folder "
                                f"(it is created when missing)")
    if must_write:
        _creatable(option, path, what=f"{path}")


def _creatable(option: str, folder: Path, what: str) -> None:
    """`folder` exists and is writable, or the nearest folder above it that exists is."""
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise pytest.UsageError(f"{option}: {what} cannot be created: {existing} is a file; "
                                f"expected a path under a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise pytest.UsageError(f"{option}: {what} cannot be written: {existing} is not "
                                f"writable by this user; expected a writable folder (check "
                                f"its permissions, or choose another path)")
