"""The suites and baselines that ship with the package, and copying one into a project
(`optbench init NAME`).

In a wheel they lie inside the package (`shipped_suites/`, `shipped_baselines/`, mapped from the
repository's top-level `suites/` and `baselines/` by pyproject.toml); in a source checkout or an
editable install they are read from those top-level folders themselves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent

# pytest settles its rootdir on an ini file; without one it takes the common folder of the
# arguments (`suites/`), and the baselines would be looked for in `suites/baselines/`.
CONFIG_FILES = ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg", ".pytest.ini")


class InitError(Exception):
    """A shipped suite that cannot be copied; the message says why and what to do."""


@dataclass(frozen=True)
class ShippedSuite:
    name: str
    suite: Path
    baseline: Path | None

    def description(self) -> str:
        for line in self.suite.read_text(encoding="utf-8").splitlines():
            if line.startswith("description:"):
                return line.partition(":")[2].strip()
        return ""


def _folder(packaged: str, checkout: str) -> Path | None:
    for candidate in (_PACKAGE / packaged, _PACKAGE.parent / checkout):
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    return None


def shipped_suites() -> dict[str, ShippedSuite]:
    suites = _folder("shipped_suites", "suites")
    baselines = _folder("shipped_baselines", "baselines")
    found: dict[str, ShippedSuite] = {}
    for path in sorted(suites.glob("*.yaml")) if suites else ():
        baseline = baselines / f"{path.stem}.json" if baselines else None
        found[path.stem] = ShippedSuite(path.stem, path,
                                        baseline if baseline and baseline.is_file() else None)
    return found


def shipped_suite(name: str) -> ShippedSuite:
    suites = shipped_suites()
    if name not in suites:
        known = ", ".join(suites) or "none (this installation carries no suites)"
        raise InitError(f"found no shipped suite '{name}'; expected one of {known}")
    return suites[name]


@dataclass(frozen=True)
class Copied:
    written: list[Path]
    notes: list[str]


def init(name: str, project: Path) -> Copied:
    """Copy a shipped suite to `project/suites/` and its baselines to `project/baselines/`.

    Nothing is overwritten: when any target exists, nothing at all is written.
    """
    shipped = shipped_suite(name)
    targets: list[tuple[Path | None, Path]] = [(shipped.suite,
                                                project / "suites" / shipped.suite.name)]
    if shipped.baseline:
        targets.append((shipped.baseline, project / "baselines" / shipped.baseline.name))
    existing = [target for _, target in targets if target.exists()]
    if existing:
        names = " and ".join(map(str, existing))
        raise InitError(f"{names} {'exist' if len(existing) > 1 else 'exists'}; expected free "
                        f"paths, since nothing is overwritten and nothing was copied; move "
                        f"{'them' if len(existing) > 1 else 'it'} away or copy into another "
                        f"project folder with --into DIR")
    notes = []
    if not any((project / config).is_file() for config in CONFIG_FILES):
        targets.append((None, project / "pytest.ini"))
        notes.append(f"{project / 'pytest.ini'}: written so that pytest takes {project} as its "
                     f"root folder and finds baselines/ there")
    written: list[Path] = []
    try:
        for source, target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            data = source.read_bytes() if source else b"[pytest]\n"
            # "x": a file that appeared since the check above is never replaced.
            with open(target, "xb") as handle:
                handle.write(data)
            written.append(target)
    except OSError as exc:
        for path in written:  # all or nothing: a half-copied suite would gate without baselines
            os.unlink(path)
        raise InitError(f"{exc.filename or project}: cannot be written "
                        f"({exc.strerror or exc}); nothing was copied") from None
    return Copied(written, notes)
