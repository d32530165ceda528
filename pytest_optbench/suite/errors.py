"""Suite errors that point into the YAML: where, what was found, what was expected, a hint."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Iterable, Sequence


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a suite file, located as precisely as the loader allows."""

    file: str
    line: int | None
    field: str
    found: str
    expected: str
    hint: str | None = None

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.field}: found {self.found}; expected {self.expected}"
        if self.hint:
            text += f"; {self.hint}"
        return text


class SuiteError(Exception):
    """Every error found in one suite file, reported together."""

    def __init__(self, findings: Sequence[Finding]):
        self.findings = sorted(findings, key=lambda p: (p.file, p.line or 0, p.field))
        super().__init__(self.format())

    def format(self) -> str:
        count = len(self.findings)
        head = f"{count} error{'s' if count != 1 else ''} in suite file:"
        return "\n".join([head, *("  " + p.format() for p in self.findings)])


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, matching case-insensitively."""
    candidates = list(candidates)
    by_lower = {c.lower(): c for c in candidates}
    matches = difflib.get_close_matches(word.lower(), list(by_lower), n=2, cutoff=0.6)
    if not matches:
        return None
    return "did you mean " + " or ".join(f"'{by_lower[m]}'" for m in matches) + "?"


def colon_hint(name: str, what: str = "Class") -> str | None:
    """'mylib.Lion' for 'mylib:Lion': a dotted path where the plugin reads a colon before the
    class or function. None where the name has a colon already or no dot."""
    if ":" in name or "." not in name.strip("."):
        return None
    module, _, attribute = name.rpartition(".")
    return (f"did you mean '{module}:{attribute}'? a name of your own is written "
            f"'package.module:{what}', with a colon before the {what.lower()}")


def describe(value: object) -> str:
    """How a found value is shown in an error: its repr and its YAML-level type."""
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string",
             list: "list", dict[str, Any]: "mapping", type(None): "null"}
    kind = kinds.get(type(value), type(value).__name__)
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({kind})"


def one_of(names: Iterable[str]) -> str:
    names = sorted(names)
    return "one of " + ", ".join(names) if names else "nothing here"
