"""How the terminal table shortens names and shows units."""

from pytest_optbench.gate.metrics import format_with_unit
from pytest_optbench.report.table import _shorten


def test_a_cut_step_time_id_keeps_its_optimizer():
    text = "step_time[mlp-300-100-adam-for-loop]"
    short = _shorten(text, 28, keep="adam")
    assert len(short) <= 28 and short.endswith("adam-for-loop]") and short.startswith("step")


def test_a_cut_analytic_id_keeps_its_problem_and_optimizer_start():
    short = _shorten("three-hump-camel[adam-lr-0.001-betas-0.9]", 30, keep="adam")
    assert len(short) <= 30 and short.startswith("three-hump-camel[adam")


def test_memory_reads_in_the_unit_that_keeps_three_digits():
    assert format_with_unit(1047000.0, "B") == "0.998 MiB"
    assert format_with_unit(1023 * 1024.0, "B") == "0.999 MiB"
    assert format_with_unit(512 * 1024.0, "B") == "512 KiB"
    assert format_with_unit(3.5 * 2 ** 30, "B") == "3.5 GiB"
    assert "e+" not in format_with_unit(1000 * 1024.0, "B")
