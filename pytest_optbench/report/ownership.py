"""Which files in a report folder the plugin wrote, so that it replaces only its own.

A report folder keeps a manifest (`.optbench-report`) of the files the last report wrote. A
folder the plugin may write a report into is new, empty, or holds a manifest and nothing that
the manifest does not list: a user's own `report.md` or `index.html` is never overwritten, and
the plots of an earlier report that this one no longer draws are removed, not left stale.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

MANIFEST = ".optbench-report"
# A manifest longer than this is not one the plugin wrote.
MANIFEST_LIMIT = 1 << 20


class ForeignFiles(ValueError):
    """The folder holds files the plugin did not write."""

    def __init__(self, folder: Path, names: list[str]):
        self.folder, self.names = folder, names
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        super().__init__(
            f"{folder} holds files that optbench did not write ({shown}); expected a new or "
            f"empty folder, or one that holds an earlier optbench report: choose another "
            f"folder, e.g. {folder / 'optbench'}")


def owned(folder: Path) -> list[str]:
    """The names the folder's manifest lists ([] without a readable one)."""
    path = folder / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > MANIFEST_LIMIT:
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names = data.get("files") if isinstance(data, dict) else None
    if not isinstance(names, list):
        return []
    # Only plain names in this folder: a crafted manifest cannot point elsewhere.
    return [n for n in names if isinstance(n, str) and n and os.sep not in n and "/" not in n
            and n not in (".", "..", MANIFEST)]


def check_folder(folder: Path, also: frozenset[str] = frozenset()) -> None:
    """Raise ForeignFiles where the folder holds anything its manifest does not list; `also`:
    names the session writes there itself (its --optbench-json file)."""
    if not folder.is_dir():
        return
    mine = (set(owned(folder)) or _earlier_report(folder)) | also
    foreign = sorted(entry.name for entry in folder.iterdir()
                     if entry.name != MANIFEST and entry.name not in mine)
    if foreign:
        raise ForeignFiles(folder, foreign)


def _earlier_report(folder: Path) -> set[str]:
    """A report written before reports had a manifest: results.json is an optbench results
    file and everything else is a name such a report writes. Empty if it is not one."""
    from pytest_optbench.gate.results_file import results_kind

    results = folder / "results.json"
    try:
        if not results.is_file() or results_kind(results) is not None:
            return set()
    except OSError:
        return set()
    names = {entry.name for entry in folder.iterdir()}
    written = {"results.json", "report.md", "index.html"}
    return names if all(n in written or n.endswith(".png") for n in names) else set()


def record(folder: Path, written: list[str]) -> None:
    """Remove what the last report wrote and this one did not, then list this one's files."""
    from pytest_optbench.gate.baselines import atomic_write

    for name in set(owned(folder)) - set(written):
        stale = folder / name
        if stale.is_file() and not stale.is_symlink():
            stale.unlink(missing_ok=True)
    atomic_write(folder / MANIFEST, json.dumps({"optbench_report": 1, "files": sorted(written)},
                                               indent=1) + "\n")
