"""The session's settings as one frozen record, made from pytest's options and ini values
(options.py) or by hand (api.py, the `optbench` command). Imports no pytest: the kinds, the
runner and the session stage read it outside pytest too."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_optbench.gate.envelope import DEFAULT_REPLICAS

# The project's run history: --optbench-history alone (under the rootdir), `optbench history`.
DEFAULT_HISTORY = Path(".optbench") / "history.sqlite"

DATA_DIR_ENV = "OPTBENCH_DATA_DIR"
# Seconds a case may run where nothing else sets a limit: far above the slowest shipped case
# on 2 cores (a CIFAR-10 case of the CPU tier, about 2 minutes), far below a hang that
# would hold a CI job for hours.
DEFAULT_CASE_TIMEOUT = 900.0
# The update scales --optbench-power tries, each both ways (detect.py).
POWER_DELTAS = (0.001, 0.003, 0.01, 0.03, 0.1)


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
    data_dir: Path = Path(".")                     # where torchvision datasets are kept
    data_dir_from_cli: bool = False
    dataset_folders: dict | None = None            # dataset name -> ImageFolder copy
    folders_from_cli: frozenset = frozenset()
    download: bool = True
    cache_dir: Path | None = None                  # decoded ImageFolder tensors
    tier: str | None = None                        # None: the tier named after the device type
    false_alarm_rate: float = 1e-3
    report_dir: Path | None = None                 # report.md, results.json, index.html, plots
    columns: tuple[str, ...] | None = None         # of the terminal table; None: all
    timeout: float | None = None                   # seconds a case may run; beats the suite's
    ini_timeout: float | None = None               # the same from the ini file; the suite's beats it
    allow_unchecked: bool = False                  # a run that checked nothing may exit 0
    add_baselines: bool = False                    # record only the cases that have none
    prune_baselines: bool = False                  # remove entries no case of the suite uses
    replicas: int = DEFAULT_REPLICAS               # perturbed re-runs per recorded case
    power: bool = False                            # measure each case's smallest detected change
    shard: tuple[int, int] | None = None           # (K, N) of --optbench-shard K/N
    progress_every: float = 30.0                   # seconds between progress lines under -v
    history_path: Path | None = None               # --optbench-history: the run history

    @classmethod
    def for_files(cls, **settings: object) -> OptbenchOptions:
        """Settings for work on results files outside pytest (`optbench merge`, `report`):
        nothing is collected or run; `settings` sets what is written."""
        base: dict[str, object] = dict(enabled=False, cli_device=None, ini_device=None,
                                       update_baselines=False, baseline_dir=Path("baselines"),
                                       seeds=None, json_path=None, verbose=0, rootdir=Path.cwd())
        return cls(**{**base, **settings})  # type: ignore[arg-type]

    @property
    def results_in_report(self) -> frozenset[str]:
        """The results file's name, where the session writes it into its own report folder:
        a file of the plugin's there, like the report's."""
        path, folder = self.json_path, self.report_dir
        if path is None or folder is None or path.resolve().parent != folder.resolve():
            return frozenset()
        return frozenset({path.name})

    @property
    def writes_baselines(self) -> bool:
        return self.update_baselines or self.add_baselines or self.prune_baselines

    def time_limit_for(self, suite_timeout: float | None) -> tuple[float | None, str]:
        """A case's time limit and where it comes from, for the message when it expires: the
        command line (for this session, as given), else the suite, else the ini file, else
        DEFAULT_CASE_TIMEOUT. These three are for one run of a case: recording runs each case
        2 + replicas times and --optbench-power 1 + 2 × 5 times, and the limit grows as much."""
        if self.timeout:
            return self.timeout, "--optbench-timeout"
        if suite_timeout:
            limit, origin = suite_timeout, "the suite's timeout"
        elif self.ini_timeout:
            limit, origin = self.ini_timeout, "optbench_timeout (ini)"
        else:
            limit, origin = DEFAULT_CASE_TIMEOUT, "the default limit; set optbench_timeout"
        runs = 1 + (1 + self.replicas if self.update_baselines or self.add_baselines else 0) \
            + (2 * len(POWER_DELTAS) if self.power else 0)
        if runs > 1:
            origin += f", × {runs} for the runs this session makes of each case"
        return limit * runs, origin

    def device_for(self, suite_device: str) -> str:
        """The CLI wins, then the suite's own choice, then the ini file, then auto."""
        if self.cli_device:
            return self.cli_device
        if suite_device and suite_device != "auto":
            return suite_device
        return self.ini_device or "auto"
