"""Baseline files: one JSON file per suite, entries kept per device type.

Writes only add or replace entries, never delete them; they go through a temporary file and
`os.replace` under a lock, so a reader sees the old file or the new one, never half of either, and
an interrupted write leaves the old file byte for byte.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from pytest_optbench.gate.baseline_schema import RESTORE_HINT, BaselineFormatError, check, parse
from pytest_optbench.gate.checks import BaselineView
from pytest_optbench.gate.envelope import Envelope
from pytest_optbench.gate.metrics import stored_form
from pytest_optbench.gate.record import BaselineContext, BaselineState

FORMAT = 1


class BaselineFileError(Exception):
    """A baseline file that cannot be used; the message says where and what to do."""


@dataclass
class WriteSummary:
    path: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def baseline_path(directory: Path, suite: str) -> Path:
    return Path(directory) / f"{suite}.json"


def empty(suite: str) -> dict[str, Any]:
    return {"optbench_baseline": FORMAT, "suite": suite, "entries": {}}


def read(path: Path, suite: str | None = None) -> dict[str, Any]:
    """The file's content, or an empty baseline when it does not exist."""
    path = Path(path)
    if not path.exists():
        return empty(suite or path.stem)
    if not path.is_file():
        # A FIFO or a device would block the read, or never end it.
        raise BaselineFileError(f"{path}: found something that is not a regular file; "
                                f"expected a baseline file written by pytest-optbench")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineFileError(f"{path}: cannot be read ({exc}); expected a readable baseline "
                                f"file written by pytest-optbench (UTF-8 JSON)") from None
    hint = RESTORE_HINT.replace("FILE", str(path))
    try:
        data = parse(text)
    except json.JSONDecodeError as exc:
        raise BaselineFileError(
            f"{path}:{exc.lineno}:{exc.colno}: found invalid JSON ({exc.msg}); expected a "
            f"baseline file written by pytest-optbench; {hint}") from None
    except BaselineFormatError as exc:
        raise BaselineFileError(f"{path}:{exc.line or 1}: {exc}; {hint}") from None
    except (ValueError, RecursionError) as exc:
        # An integer of thousands of digits (ValueError), or nesting deeper than any baseline.
        what = "nesting too deep to be a baseline" if isinstance(exc, RecursionError) else \
            str(exc).split(";")[0]
        raise BaselineFileError(f"{path}: found {what}; expected a baseline file written by "
                                f"pytest-optbench; {hint}") from None
    if not isinstance(data, dict) or data.get("optbench_baseline") != FORMAT \
            or not isinstance(data.get("entries"), dict):
        found = data.get("optbench_baseline") if isinstance(data, dict) else type(data).__name__
        raise BaselineFileError(
            f"{path}: found a file that is not a format-{FORMAT} baseline "
            f"(optbench_baseline: {found!r}); expected a baseline file written by pytest-optbench")
    try:
        check(data, text)
    except BaselineFormatError as exc:
        raise BaselineFileError(f"{path}:{exc.line or 1}: {exc}; {hint}") from None
    return data


def view(data: Mapping[str, Any], context: BaselineContext, case_id: str, config_hash: str,
         record_command: str, other_devices_not_comparable: bool = False,
         config: Mapping[str, Any] | None = None,
         earlier_hash: str | None = None) -> BaselineView:
    """What a case's checks compare with, or why there is nothing to compare with.

    `context` is the device type, and for real-data cases also the data's source and content
    fingerprint: results on other devices or other data are never compared. `earlier_hash`:
    the hash the same configuration had when observations (a probed start isolation, which
    kernels agree bitwise) were part of it; an entry recorded then still applies.
    """
    entries = data.get("entries", {})
    entry = entries.get(context.format(), {}).get(case_id)
    if entry is None:
        elsewhere = sorted(BaselineContext.parse(c).describe() for c, cases in entries.items()
                           if case_id in cases)
        if elsewhere and other_devices_not_comparable:
            return BaselineView(BaselineState.NOT_COMPARABLE, detail=(
                f"the baselines were recorded on {', '.join(elsewhere)}; this run is on "
                f"{context.describe()}: step times are not comparable across devices; "
                f"record one for this device with: {record_command}"))
        note = (f"; baselines are kept per device type and data, and this case has one for "
                f"{', '.join(elsewhere)} only") if elsewhere else ""
        return BaselineView(BaselineState.MISSING, detail=f"no baseline for {context.describe()}"
                                              f"{note}; record it with: {record_command}")
    if entry.get("config_hash") not in (config_hash, earlier_hash):
        changes = config_changes(entry.get("config"), config)
        what = f"changed: {changes}" if changes else \
            f"hash {entry.get('config_hash')} -> {config_hash}"
        return BaselineView(
            BaselineState.STALE, entry.get("metrics"), entry.get("provenance"),
            f"stale baseline: the case's configuration changed since it was recorded ({what}); "
            f"record it again with: {record_command}")
    return BaselineView(BaselineState.OK, entry.get("metrics"), entry.get("provenance"),
                        curve=entry.get("curve"), seeds=entry.get("seeds"),
                        envelope=Envelope.from_json(entry.get("envelope")),
                        fingerprint=entry.get("fingerprint"), observed=entry.get("observed"))


def config_changes(old: Any, new: Any, limit: int = 5) -> str:
    """The configuration fields that differ, as "optimizer.hyperparameters.lr: 0.01 -> 0.011";
    empty when either side is unknown (an entry recorded before configurations were kept)."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return ""
    before, after = _flatten(old), _flatten(json.loads(json.dumps(new, default=str)))
    changed = [f"{key}: {before.get(key, '(absent)')} -> {after.get(key, '(absent)')}"
               for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]
    more = f"; and {len(changed) - limit} more" if len(changed) > limit else ""
    return "; ".join(changed[:limit]) + more


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): value}


def make_entry(config_hash: str, seeds: list[int], metrics: Mapping[str, list[Any]],
               provenance: Mapping[str, Any],
               curve: Mapping[str, list[Any]] | None = None,
               config: Mapping[str, Any] | None = None,
               envelope: Mapping[str, Any] | None = None,
               fingerprint: str | None = None,
               observed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`curve`: the mean learning curve, kept for plots; it is never compared. `config`: the
    case's configuration, so that a stale entry can say which fields changed. `envelope`: how
    far each metric moves under rounding; `fingerprint`: the hash of the run's exact numbers;
    `observed`: what the run found about the optimizer or the machine."""
    entry = {"config_hash": config_hash, "seeds": list(seeds),
             "metrics": {name: [stored_form(v) for v in values] for name, values in metrics.items()},
             "provenance": dict(provenance)}
    if config:
        entry["config"] = json.loads(json.dumps(config, default=str))
    if curve:
        entry["curve"] = {name: [stored_form(v) for v in values] for name, values in curve.items()}
    if envelope:
        entry["envelope"] = dict(envelope)
    if fingerprint:
        entry["fingerprint"] = fingerprint
    if observed:
        entry["observed"] = json.loads(json.dumps(observed, default=str))
    return entry


def write_entries(path: Path, suite: str, updates: Mapping[str, Mapping[str, dict[str, Any]]],
                  replace: bool = True) -> WriteSummary:
    """Add or replace `updates[context][case_id]` in the file; keep every other entry.
    `replace`: False adds only what is missing and keeps every stored entry as it is."""
    path = _target(Path(path))
    summary = WriteSummary(path)
    with _lock(path):
        data = read(path, suite)
        for context, cases in sorted(updates.items()):
            stored = data["entries"].setdefault(context, {})
            for case_id, entry in sorted(cases.items()):
                old = stored.get(case_id)
                label = f"{context}: {case_id}"
                if old is None:
                    summary.added.append(label)
                elif _same_result(old, entry) or not replace:
                    summary.unchanged.append(label)
                    continue  # keep the old provenance: nothing about the result changed
                else:
                    summary.updated.append(label)
                stored[case_id] = entry
        if summary.added or summary.updated:
            atomic_write(path, dumps(data))
    return summary


def remove_entries(path: Path, suite: str, unused: Mapping[str, Sequence[str]]) -> list[str]:
    """Remove `unused[context]` case ids from the file; the "context: case" labels removed."""
    path = _target(Path(path))
    removed: list[str] = []
    with _lock(path):
        data = read(path, suite)
        for context, cases in sorted(unused.items()):
            stored = data["entries"].get(context, {})
            for case_id in sorted(cases):
                if stored.pop(case_id, None) is not None:
                    removed.append(f"{context}: {case_id}")
            if context in data["entries"] and not stored:
                del data["entries"][context]
        if removed:
            atomic_write(path, dumps(data))
    return removed


def _same_result(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Nothing a check reads changed: a re-recording that measures an envelope, or finds
    other observations, is written; one that only has a newer date is not."""
    return all(old.get(k) == new.get(k) for k in ("config_hash", "seeds", "metrics", "envelope",
                                                  "fingerprint", "observed"))


def _target(path: Path) -> Path:
    """The file a baseline path names: through a symbolic link, its target, so that every
    link to one shared file takes the same lock and updates the file itself."""
    return path.resolve() if path.is_symlink() else path


def atomic_write(path: Path, text: str) -> None:
    """Replace `path` whole or not at all. A symbolic link is written through: its target is
    replaced, so that a baseline file shared by links stays shared."""
    path = _target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


class LockTimeout(Exception):
    """Another update of the same baseline file held it for longer than the wait allows."""


LOCK_WAIT_S = 120.0


@contextlib.contextmanager
def _lock(path: Path, wait_s: float | None = None) -> Iterator[None]:
    """A lock on the folder that holds the baseline file, so that every process that writes it
    serialises, whatever its temp directory; it leaves no file behind. A wait says so."""
    wait_s = LOCK_WAIT_S if wait_s is None else wait_s
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: a lock file beside the data, removed after use
        with _file_lock(path, wait_s):
            yield
        return
    handle = os.open(path.parent, os.O_RDONLY)
    try:
        _acquire(lambda: fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB), path, wait_s)
        try:
            _remove_stale_temporaries(path)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def _acquire(try_once: Any, path: Path, wait_s: float) -> None:
    import sys
    import time

    deadline, announced = time.monotonic() + wait_s, False
    while True:
        try:
            try_once()
            return
        except (BlockingIOError, PermissionError):
            if time.monotonic() >= deadline:
                raise LockTimeout(f"another update of {path} held its lock for more than "
                                  f"{wait_s:.0f} s; {path} is unchanged; run the update again "
                                  f"once the other one has finished") from None
            if not announced:
                print(f"optbench: waiting for another update of {path}", file=sys.stderr,
                      flush=True)
                announced = True
            time.sleep(0.05)


@contextlib.contextmanager
def _file_lock(path: Path, wait_s: float) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock_path = path.parent / f".{path.name}.lock"
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=wait_s)
    except Timeout:
        raise LockTimeout(f"another update of {path} held its lock for more than {wait_s:.0f} "
                          f"s; {path} is unchanged") from None
    try:
        _remove_stale_temporaries(path)
        yield
    finally:
        lock.release()
        with contextlib.suppress(OSError):
            lock_path.unlink()


def _remove_stale_temporaries(path: Path) -> None:
    """Temporary copies left by a writer that was killed: every writer of this file holds the
    lock while its temporary exists, so under the lock any that is left is stale."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


def dumps(data: Any) -> str:
    """Sorted keys, two-space indent, lists of plain values on one line: small, reviewable diffs."""
    return _dump(data, 0) + "\n"


def compact_dumps(data: Any) -> str:
    """Sorted keys, no spaces: results files are read by programs, and hold every curve."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"


def _dump(value: Any, depth: int) -> str:
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {_dump(value[k], depth + 1)}" for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + _dump(v, depth + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)
