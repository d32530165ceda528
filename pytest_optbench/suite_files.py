"""Which files are suites and which node ids are their cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SUITE_MARK = re.compile(r"^optbench\s*:", re.MULTILINE)
SUITE_SUFFIXES = (".yaml", ".yml")


def named_on_command_line(file_path: Path, config: pytest.Config) -> bool:
    invocation = Path(config.invocation_params.dir)
    for arg in config.args:
        candidate = Path(arg.split("::")[0])
        if not candidate.is_absolute():
            candidate = invocation / candidate
        if candidate.resolve() == file_path.resolve():
            return True
    return False


def looks_like_suite(file_path: Path) -> bool:
    try:
        if not file_path.is_file():   # a FIFO under a scanned folder: opening it blocks
            return False
        with open(file_path, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    # A suite saved as UTF-16 (as Windows editors may) is one: the loader says how to fix it.
    encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    return bool(SUITE_MARK.search(head.decode(encoding, errors="replace")))


def no_suite_hint(config: pytest.Config) -> str:
    where = ", ".join(config.args) or str(config.invocation_params.dir)
    return (f"NO SUITE FOUND: --optbench found no suite file (a .yaml file whose top level says "
            f"'optbench: 1') under {where}. Start from a shipped one with: optbench init "
            f"analytic (optbench init --list shows them all)")


def is_case(nodeid: str) -> bool:
    return any(f"{suffix}::" in nodeid for suffix in SUITE_SUFFIXES)
