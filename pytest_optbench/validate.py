"""`optbench validate FILE...`: every check a collection makes of a suite file, without
training: the YAML, every field, the optimizers (imported and constructed on a trial tensor),
the problems, the claims, under every tier the suite names. For pre-commit and editors' tasks.
Exit statuses: 0 every file is valid, 1 a file has errors (all of them are listed), 2 a file
cannot be read."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Sequence

from pytest_optbench.suite.errors import SuiteError

VALID, INVALID, UNREADABLE = 0, 1, 2


def validate_file(path: Path, dataset_folders: frozenset[str] = frozenset()) -> tuple[int, str]:
    """(status, what to print) for one file, built under no tier and under each of its tiers:
    a tier may set fields the plain suite does not."""
    from pytest_optbench.devices import device_type_of
    from pytest_optbench.kinds import all_kinds
    from pytest_optbench.suite.build import NO_TIER, BuildContext, load_suite

    if not path.is_file():
        return UNREADABLE, f"{path}: no such file"
    context = BuildContext(kinds=all_kinds(), tier=NO_TIER, device_type_for=device_type_of,
                           dataset_folders=dataset_folders)
    try:
        suite = load_suite(path, display=str(path), context=context)
    except SuiteError as exc:
        return INVALID, str(exc)
    except OSError as exc:
        return UNREADABLE, f"{path}: cannot be read ({exc.strerror or exc})"
    errors: list[str] = []
    for tier in suite.tiers:
        try:
            load_suite(path, display=str(path), context=dataclasses.replace(context, tier=tier))
        except SuiteError as exc:
            errors += [f"{line} (tier {tier})" for line in str(exc).splitlines()[1:]
                       if line not in errors]
    if errors:
        return INVALID, f"{len(errors)} errors in suite file under its tiers:\n" + "\n".join(errors)
    tiers = f" (tiers: {', '.join(suite.tiers)})" if suite.tiers else ""
    return VALID, f"{path}: valid, {len(suite.cases)} cases{tiers}"


def validate_command(paths: Sequence[Path], dataset_folders: Sequence[str] = ()) -> int:
    worst = VALID
    for path in paths:
        status, text = validate_file(Path(path), frozenset(dataset_folders))
        print(text, file=sys.stderr if status == UNREADABLE else sys.stdout)
        worst = max(worst, status)
    return worst
