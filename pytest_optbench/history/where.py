"""The git commit and branch a run belongs to: CI's own variables first (a CI checkout is often
a detached merge commit), then git itself, with a time limit; None where there is neither."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pytest_optbench.history.store import Where

GIT_TIMEOUT_S = 5.0


def _git(folder: Path, *arguments: str) -> str | None:
    try:
        done = subprocess.run(["git", *arguments], cwd=folder, capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and text else None


def where_now(folder: Path) -> Where:
    commit = os.environ.get("GITHUB_SHA") or os.environ.get("CI_COMMIT_SHA") \
        or _git(folder, "rev-parse", "HEAD")
    branch = os.environ.get("GITHUB_HEAD_REF") or os.environ.get("GITHUB_REF_NAME") \
        or os.environ.get("CI_COMMIT_REF_NAME") or _git(folder, "rev-parse", "--abbrev-ref", "HEAD")
    return Where(commit, None if branch == "HEAD" else branch)
