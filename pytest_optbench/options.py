"""Command-line and ini options, resolved once into a frozen configuration."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

DEVICE_RE = re.compile(r"^(auto|cpu|cuda(:[0-9]+)?)$")
OPTIONS_KEY = pytest.StashKey["OptbenchOptions"]()


@dataclass(frozen=True)
class OptbenchOptions:
    enabled: bool                  # --optbench: collect suite files found in directories
    cli_device: str | None         # --optbench-device: overrides the suite's device
    ini_device: str | None         # optbench_device: used where the suite does not say
    update_baselines: bool
    baseline_dir: Path
    seeds: int | None              # use only the first N seeds of each case
    json_path: Path | None
    verbose: int
    rootdir: Path

    def device_for(self, suite_device: str) -> str:
        """The CLI wins, then the suite's own choice, then the ini file, then auto."""
        if self.cli_device:
            return self.cli_device
        if suite_device and suite_device != "auto":
            return suite_device
        return self.ini_device or "auto"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("optbench", "optimizer regression suites (pytest-optbench)")
    group.addoption("--optbench", action="store_true", default=False,
                    help="collect optbench suite files (YAML with 'optbench: 1') found under the "
                         "given directories; files named on the command line are collected anyway")
    group.addoption("--optbench-device", metavar="DEVICE", default=None,
                    help="device for every case: auto, cpu, cuda or cuda:N (default: the suite's "
                         "own setting, else the optbench_device ini value, else auto, which means "
                         "CUDA when available)")
    group.addoption("--optbench-update-baselines", action="store_true", default=False,
                    help="record the results of this run as the baselines (adds or replaces the "
                         "entries of the cases that ran; never deletes entries)")
    group.addoption("--optbench-baseline-dir", metavar="DIR", default=None,
                    help="directory of baseline files, one <suite>.json per suite "
                         "(default: the optbench_baseline_dir ini value, else 'baselines' under "
                         "the rootdir)")
    group.addoption("--optbench-seeds", metavar="N", type=int, default=None,
                    help="quick runs: use only the first N seeds of each case; results are still "
                         "compared with the full stored baselines")
    group.addoption("--optbench-json", metavar="PATH", default=None,
                    help="write every case's metrics, checks and provenance to this JSON file")
    parser.addini("optbench_device", "default device for suites that say 'auto' or nothing",
                  default=None)
    parser.addini("optbench_baseline_dir", "directory of baseline files (relative to the rootdir)",
                  default=None)
    parser.addini("optbench_json", "write results to this JSON file (relative to the rootdir)",
                  default=None)


def resolve(config: pytest.Config) -> OptbenchOptions:
    rootdir = Path(config.rootpath)
    invocation = Path(config.invocation_params.dir)
    cli_device = config.getoption("optbench_device")
    ini_device = config.getini("optbench_device") or None
    for origin, value in (("--optbench-device", cli_device), ("optbench_device (ini)", ini_device)):
        if value is not None and not DEVICE_RE.match(value):
            raise pytest.UsageError(f"{origin}: found '{value}'; expected auto, cpu, cuda or cuda:N")
    if cli_device and cli_device.startswith("cuda"):
        _require_cuda(cli_device)
    seeds = config.getoption("optbench_seeds")
    if seeds is not None and seeds < 1:
        raise pytest.UsageError(f"--optbench-seeds: found {seeds}; expected a positive number")
    update = config.getoption("optbench_update_baselines")
    if update and seeds is not None:
        raise pytest.UsageError(
            "--optbench-update-baselines with --optbench-seeds would record baselines from fewer "
            "seeds than the suites declare; drop --optbench-seeds to record them")
    return OptbenchOptions(
        enabled=config.getoption("optbench"),
        cli_device=cli_device,
        ini_device=ini_device,
        update_baselines=update,
        baseline_dir=_path(config.getoption("optbench_baseline_dir"), invocation,
                           config.getini("optbench_baseline_dir"), rootdir) or rootdir / "baselines",
        seeds=seeds,
        json_path=_path(config.getoption("optbench_json"), invocation,
                        config.getini("optbench_json"), rootdir),
        verbose=config.getoption("verbose"),
        rootdir=rootdir,
    )


def _require_cuda(device: str) -> None:
    """An explicit --optbench-device cuda without CUDA is an error, not a run of skips: a CI
    gate that skips every case would otherwise look green."""
    import torch

    available = torch.cuda.device_count() if torch.cuda.is_available() else 0
    index = int(device.split(":")[1]) if ":" in device else 0
    if index >= available:
        raise pytest.UsageError(
            f"--optbench-device: found '{device}', but this machine has {available} CUDA "
            f"device(s); expected cpu, auto, or a CUDA device that exists")


def _path(cli: str | None, invocation: Path, ini: str | None, rootdir: Path) -> Path | None:
    """A CLI path is relative to where pytest was started; an ini path to the rootdir."""
    if cli:
        return (invocation / cli).resolve()
    if ini:
        return (rootdir / ini).resolve()
    return None
