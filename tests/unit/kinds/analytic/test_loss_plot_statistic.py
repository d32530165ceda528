"""The loss plot draws the run and its baseline with one statistic: the gate's trajectory
(each seed's median over starts), averaged over seeds. An unchanged optimizer's line then lies
on its baseline's marks."""

import pytest

pytest.importorskip("matplotlib")

from pytest_optbench.gate.record import BaselineContext  # noqa: E402
from pytest_optbench.kinds import kind  # noqa: E402
from pytest_optbench.kinds.analytic.figures import seed_trajectory  # noqa: E402
from pytest_optbench.kinds.analytic.summary import checkpoints  # noqa: E402
from pytest_optbench.kinds.base import Measured  # noqa: E402
from records import case_result  # noqa: E402


def test_an_unchanged_run_lies_on_its_baseline():
    steps = checkpoints(300)
    trajectory = [[-0.5 - 0.01 * i for i in range(len(steps))],
                  [0.2 - 0.03 * i for i in range(len(steps))]]
    result = case_result("booth[adam]")
    result.metrics = {"trajectory": trajectory}
    result.steps_run = 300
    drawn_steps, mean, low, high = seed_trajectory(result)
    stored = kind("analytic").stored_curve({"trajectory": trajectory},
                                          Measured({}, BaselineContext("cpu"), steps_run=300))
    assert drawn_steps == stored["step"] == steps
    assert mean == pytest.approx([10.0 ** v for v in stored["log10_gap"]], rel=1e-3)
    assert all(lo <= m <= hi for lo, m, hi in zip(low, mean, high))


def test_no_trajectory_draws_nothing():
    result = case_result("booth[adam]")
    result.steps_run = 300
    assert seed_trajectory(result) is None
