"""Where the running case is, for a timeout to say: each runner's loop sets the step."""

from __future__ import annotations


class Progress:
    """The step the running case has reached; a plain attribute, cheap to set every step."""

    step: int | None = None


PROGRESS = Progress()
