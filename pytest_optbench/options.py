"""pytest glue for the settings: the command-line and ini options, resolved once into the
frozen record of settings.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pytest_optbench.suite.device_request import DEVICE_RE
from pytest_optbench.gate.envelope import DEFAULT_REPLICAS
from pytest_optbench.gate.statistics import DEFAULT_FALSE_ALARM_RATE
from pytest_optbench.report.columns import COLUMNS
from pytest_optbench.settings import (DATA_DIR_ENV, DEFAULT_CASE_TIMEOUT, DEFAULT_HISTORY,
                                      OptbenchOptions)

OPTIONS_KEY = pytest.StashKey["OptbenchOptions"]()


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
    group.addoption("--optbench-add-baselines", action="store_true", default=False,
                    help="record baselines only for the cases that have none for this device and "
                         "data; every other case is checked against its baseline as usual")
    group.addoption("--optbench-allow-ci-update", action="store_true", default=False,
                    help="allow recording baselines where the CI environment variable is set "
                         "(for a job that commits or uploads what it records)")
    group.addoption("--optbench-prune-baselines", action="store_true", default=False,
                    help="after a complete run in which every case passed, remove the baseline "
                         "entries (of this device and data) that no case of the suite uses; "
                         "refused after -k, deselection, failures or an interrupt")
    group.addoption("--optbench-baseline-dir", metavar="DIR", default=None,
                    help="directory of baseline files, one <suite>.json per suite "
                         "(default: the optbench_baseline_dir ini value, else 'baselines' under "
                         "the rootdir)")
    group.addoption("--optbench-seeds", metavar="N", type=int, default=None,
                    help="quick runs: use only the first N seeds of each case; deterministic "
                         "metrics are compared with the stored values of the same seeds, "
                         "seed-noisy ones with every stored seed")
    group.addoption("--optbench-timeout", metavar="SECONDS", type=float, default=None,
                    help="fail a case that runs longer than this, saying at which step "
                         "(beats the suites' timeout; POSIX only)")
    group.addoption("--optbench-json", metavar="PATH", default=None,
                    help="write every case's metrics, checks and provenance to this JSON file")
    group.addoption("--optbench-data-dir", metavar="DIR", default=None,
                    help="where datasets are read from and downloaded to, in torchvision's "
                         "layout (default: the optbench_data_dir ini value, else $"
                         f"{DATA_DIR_ENV}, else ~/.cache/pytest-optbench/data)")
    group.addoption("--optbench-dataset-folder", metavar="NAME=PATH", action="append",
                    default=[], help="read dataset NAME from an ImageFolder copy (PATH/train/"
                                     "<class>/..., PATH/test/<class>/...) instead of its standard "
                                     "files; also brings a dataset of your own; repeatable")
    group.addoption("--optbench-allow-unchecked", action="store_true", default=False,
                    help="exit 0 even when no selected case ran, or none met the stored "
                         "baseline it expected (by default such a run exits 1)")
    group.addoption("--optbench-no-download", action="store_true", default=False,
                    help="never download a missing dataset; fail with what is missing instead")
    group.addoption("--optbench-tier", metavar="NAME", default=None,
                    help="budget tier of the suites (e.g. cpu); default: the tier named after "
                         "the device type (cpu or cuda) where a suite defines one; 'none' for "
                         "the suites' full budgets")
    group.addoption("--optbench-report", metavar="DIR", default=None,
                    help="write a report to DIR: report.md (GitHub Markdown), results.json, "
                         "index.html (self-contained, plots embedded) and the plots as PNG")
    group.addoption("--optbench-columns", metavar="LIST", default=None,
                    help="columns of the terminal table, comma-separated, from: "
                         "case,metric,value,baseline,delta,limit,status (default: all)")
    group.addoption("--optbench-false-alarm-rate", metavar="P", type=float, default=None,
                    help="how often a case may fail when nothing changed, from seed noise alone "
                         "(default 0.001, or the optbench_false_alarm_rate ini value)")
    group.addoption("--optbench-replicas", metavar="N", type=int, default=None,
                    help="when recording baselines, re-run each deterministic case N times "
                         "under rounding-sized perturbations to measure how far its values "
                         f"move on another machine (its noise envelope); default "
                         f"{DEFAULT_REPLICAS}; 0 records none, and fixed tolerances apply")
    group.addoption("--optbench-power", action="store_true", default=False,
                    help="after checking each deterministic case, run it again with every "
                         "step's update scaled by 1 +- d for growing d (0.1%% to 10%%) and report "
                         "the smallest d its gate detects (its power); several runs per case")
    group.addoption("--optbench-history", metavar="PATH", nargs="?", default=None,
                    const=str(DEFAULT_HISTORY),
                    help="append this run (provenance, commit, every case's per-seed metrics "
                         f"and verdicts) to a SQLite history (default {DEFAULT_HISTORY} "
                         "under the rootdir); see optbench history")
    group.addoption("--optbench-shard", metavar="K/N", default=None,
                    help="run shard K of N of the selected optbench cases (every case is in "
                         "exactly one shard, balanced by the durations in pytest's cache where "
                         "there are any); claims and baseline writes wait for optbench merge")
    parser.addini("optbench_history", "append every run to this history database (relative "
                  "to the rootdir)", default=None)
    parser.addini("optbench_device", "default device for suites that say 'auto' or nothing",
                  default=None)
    parser.addini("optbench_baseline_dir", "directory of baseline files (relative to the rootdir)",
                  default=None)
    parser.addini("optbench_json", "write results to this JSON file (relative to the rootdir)",
                  default=None)
    parser.addini("optbench_data_dir", "datasets directory (relative to the rootdir)",
                  default=None)
    parser.addini("optbench_dataset_folders", "NAME = PATH lines: ImageFolder copies of datasets "
                  "(paths relative to the rootdir)", type="linelist", default=[])
    parser.addini("optbench_download", "download missing datasets (true/false)", type="bool",
                  default=True)
    parser.addini("optbench_tier", "budget tier of the suites", default=None)
    parser.addini("optbench_false_alarm_rate", "per-case false-alarm probability of seed-noisy "
                  "baseline comparisons", default=None)
    parser.addini("optbench_cache_dir", "where decoded ImageFolder datasets are cached",
                  default=None)
    parser.addini("optbench_report", "write a report to this folder (relative to the rootdir)",
                  default=None)
    parser.addini("optbench_columns", "columns of the terminal table, comma-separated",
                  default=None)
    parser.addini("optbench_progress_every", "seconds between a long case's progress lines "
                  "under -v where the terminal is not interactive (default 30)", default=None)
    parser.addini("optbench_timeout", f"seconds a case may run where its suite sets no timeout "
                  f"(default {DEFAULT_CASE_TIMEOUT:g})", default=None)


def _in_ci() -> bool:
    """CI=true is what GitHub Actions, GitLab CI, CircleCI, Travis and Buildkite set."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _ini_seconds(text: Any, name: str = "optbench_timeout", example: int = 1800) -> float | None:
    if text in (None, ""):
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = float("nan")
    if not (0 < value < float("inf")):
        raise pytest.UsageError(f"{name} (ini): found '{text}'; expected a positive "
                                f"number of seconds, e.g. {name} = {example}")
    return value


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
    timeout = config.getoption("optbench_timeout")
    if timeout is not None and not (0 < timeout < float("inf")):
        raise pytest.UsageError(f"--optbench-timeout: found {timeout}; expected a positive "
                                f"number of seconds")
    ini_timeout = _ini_seconds(config.getini("optbench_timeout"))
    update = config.getoption("optbench_update_baselines")
    add = config.getoption("optbench_add_baselines")
    for name, asked in (("--optbench-update-baselines", update), ("--optbench-add-baselines", add)):
        if asked and seeds is not None:
            raise pytest.UsageError(
                f"{name} with --optbench-seeds would record baselines from fewer seeds than the "
                f"suites declare; drop --optbench-seeds to record them")
        if asked and _in_ci() and not config.getoption("optbench_allow_ci_update"):
            # A CI job's checkout is thrown away when the job ends, and the recording with it;
            # a gate job that records by mistake would also pass whatever it measured.
            raise pytest.UsageError(
                f"{name}: found CI={os.environ.get('CI')!r}; a CI job's checkout is discarded "
                f"when the job ends, and the recording with it; add --optbench-allow-ci-update "
                f"if this job commits or uploads the baselines it records")
    if update and add:
        raise pytest.UsageError("--optbench-update-baselines and --optbench-add-baselines: found "
                                "both; expected one: --optbench-add-baselines records only the "
                                "cases that have no baseline, --optbench-update-baselines every "
                                "case that ran")
    data_dir, data_dir_from_cli = _data_dir(config, invocation, rootdir)
    folders, from_cli = _dataset_folders(config, invocation, rootdir)
    rate = config.getoption("optbench_false_alarm_rate")
    if rate is None:
        text = config.getini("optbench_false_alarm_rate") or DEFAULT_FALSE_ALARM_RATE
        try:
            rate = float(text)
        except ValueError:
            raise pytest.UsageError(f"optbench_false_alarm_rate (ini): found '{text}'; expected "
                                    f"a probability, e.g. 0.001") from None
    if not 0 < rate < 0.5:
        raise pytest.UsageError(f"--optbench-false-alarm-rate: found {rate}; expected a "
                                f"probability between 0 and 0.5, e.g. 0.001")
    replicas = config.getoption("optbench_replicas")
    replicas = DEFAULT_REPLICAS if replicas is None else replicas
    if not 0 <= replicas <= 100:
        raise pytest.UsageError(f"--optbench-replicas: found {replicas}; expected a number of "
                                f"replicas from 0 to 100, e.g. {DEFAULT_REPLICAS}")
    cache = config.getini("optbench_cache_dir")
    columns = _columns(config.getoption("optbench_columns") or config.getini("optbench_columns"))
    return OptbenchOptions(
        report_dir=_path(config.getoption("optbench_report"), invocation,
                         config.getini("optbench_report"), rootdir),
        columns=columns,
        data_dir=data_dir, data_dir_from_cli=data_dir_from_cli,
        dataset_folders=folders, folders_from_cli=from_cli,
        download=config.getini("optbench_download") and not config.getoption("optbench_no_download"),
        cache_dir=(rootdir / cache).resolve() if cache else _user_cache() / "decoded",
        tier=config.getoption("optbench_tier") or config.getini("optbench_tier") or None,
        false_alarm_rate=rate,
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
        timeout=timeout,
        ini_timeout=ini_timeout,
        allow_unchecked=config.getoption("optbench_allow_unchecked"),
        add_baselines=add,
        prune_baselines=config.getoption("optbench_prune_baselines"),
        replicas=replicas,
        power=config.getoption("optbench_power"),
        shard=_shard(config.getoption("optbench_shard")),
        history_path=_history_path(config.getoption("optbench_history"), invocation,
                                   config.getini("optbench_history"), rootdir),
        progress_every=_ini_seconds(config.getini("optbench_progress_every"),
                                    "optbench_progress_every", 30) or 30.0,
    )




def _history_path(cli: str | None, invocation: Path, ini: str | None,
                  rootdir: Path) -> Path | None:
    """--optbench-history alone means the project's own history, under the rootdir."""
    if cli == str(DEFAULT_HISTORY):
        return (rootdir / cli).resolve()
    return _path(cli, invocation, ini, rootdir)


def _shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    from pytest_optbench.session.shards import ShardSpecError, parse_shard

    try:
        return parse_shard(text)
    except ShardSpecError as exc:
        raise pytest.UsageError(str(exc)) from None


def _columns(text: str | None) -> tuple[str, ...] | None:
    if not text:
        return None
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in COLUMNS]
    if unknown or not names:
        raise pytest.UsageError(f"--optbench-columns: found {', '.join(unknown) or 'no column'}; "
                                f"expected some of {','.join(COLUMNS)}")
    return names


def _user_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pytest-optbench"


def _data_dir(config: pytest.Config, invocation: Path, rootdir: Path) -> tuple[Path, bool]:
    """The option (relative to where pytest started), the ini value (to the rootdir), the
    environment variable, then the user's cache."""
    cli = config.getoption("optbench_data_dir")
    if cli:
        return (invocation / cli).resolve(), True
    ini = config.getini("optbench_data_dir")
    if ini:
        return (rootdir / ini).resolve(), False
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser().resolve(), False
    return _user_cache() / "data", False


def _dataset_folders(config: pytest.Config, invocation: Path,
                     rootdir: Path) -> tuple[dict[str, Path], frozenset[str]]:
    folders: dict[str, Path] = {}
    entries = [("optbench_dataset_folders (ini)", line, rootdir)
               for line in config.getini("optbench_dataset_folders")]
    entries += [("--optbench-dataset-folder", value, invocation)
                for value in config.getoption("optbench_dataset_folder")]
    from_cli = set()
    for origin, text, base in entries:
        name, sep, path = (part.strip() for part in text.partition("="))
        if not sep or not name or not path:
            raise pytest.UsageError(f"{origin}: found '{text}'; expected NAME=PATH, e.g. "
                                    f"cifar10=/data/CIFAR-10-images")
        folder = (base / path).resolve()
        if not folder.is_dir():
            raise pytest.UsageError(f"{origin}: found '{text}', but {folder} is not a folder; "
                                    f"expected an ImageFolder copy with train/ and test/ inside")
        folders[name] = folder
        if origin.startswith("--"):
            from_cli.add(name)
    return folders, frozenset(from_cli)


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
