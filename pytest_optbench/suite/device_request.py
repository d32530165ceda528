"""What a suite, an ini file or the command line may ask for as a device. The suite owns the
vocabulary; devices.py turns a request into a torch device at run time."""

from __future__ import annotations

import re

DEVICE_PATTERN = r"^(auto|cpu|cuda(:[0-9]+)?)$"
DEVICE_RE = re.compile(DEVICE_PATTERN)
