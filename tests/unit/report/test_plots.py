"""Plots drawn from known data, checked for what they show."""

import math

import pytest

plt = pytest.importorskip("matplotlib.pyplot")

from pytest_optbench.contributions import figures  # noqa: E402
from pytest_optbench.gate.record import CaseResult  # noqa: E402
from pytest_optbench.kinds.analytic.figures import loss_curves, trajectories  # noqa: E402
from pytest_optbench.kinds.data.figures import accuracy_against_time, learning_curves  # noqa: E402
from pytest_optbench.kinds.step_time.figures import step_times  # noqa: E402
from pytest_optbench.report import plots  # noqa: E402

COMMON = {"suite_file": "s.yaml", "nodeid": "", "line": 1, "order": 0, "tier": None,
          "optimizer_class": "X", "config_hash": "h", "config": {}, "expect": {},
          "does_not_converge": None, "baseline_file": "b.json", "update": False}


def record(**fields):
    """A result as results.json holds it."""
    return CaseResult.from_json({**COMMON, "nodeid": fields["case"], **fields})


def analytic(optimizer, scale):
    from pytest_optbench.kinds.analytic.summary import checkpoints

    steps = [0, 10, 20, 30]
    # The gate's trajectory: each seed's median log10 gap at the checkpoints of 30 steps.
    trajectory = [[math.log10(scale) - 0.1 * i - 0.05 * seed for i in range(len(checkpoints(30)))]
                  for seed in range(2)]
    return record(**{"suite": "s", "kind": "analytic", "problem": "booth", "optimizer": optimizer,
            "case": f"booth[{optimizer}]", "f_min": 0.0, "steps_run": 30,
            "metrics": {"x": [1.0], "trajectory": trajectory},
            "curves": {"step": steps, "median": [scale * 10 ** -s / 10 for s in steps],
                       "q25": [scale * 10 ** -s / 20 for s in steps],
                       "q75": [scale * 10 ** -s / 5 for s in steps]},
            "config": {"problem": {"function": "booth", "dim": 2, "options": {},
                                   "domain": [[-10.0, 10.0], [-10.0, 10.0]], "minima": None,
                                   "starts": 2, "start_points": None, "steps": 30,
                                   "criterion": "distance", "tol": 0.01, "dtype": "float64"}},
            "trajectories": {"steps": [0, 30], "paths": [[[5.0, 5.0], [1.0, 3.0]],
                                                          [[-5.0, -5.0], [1.0, 3.0]]],
                             "starts": [[5.0, 5.0], [-5.0, -5.0]], "minima": [[1.0, 3.0]],
                             "domain": [[-10.0, 10.0], [-10.0, 10.0]]}})


def data(optimizer, accuracy, seconds, with_baseline=True):
    seeds = {str(s): {"epoch": [1.0, 2.0], "step": [10, 20], "train_time_s": [seconds / 2, seconds],
                      "train_loss": [1.0 + s * 0.01, 0.5], "test_loss": [0.9, 0.6],
                      "test_accuracy": [accuracy - 0.05, accuracy + s * 0.001]} for s in range(3)}
    return record(**{"suite": "d", "kind": "data", "problem": "mlp", "optimizer": optimizer,
            "case": f"mlp[{optimizer}]", "metrics": {"test_accuracy": [accuracy] * 3},
            "curves": {"seeds": seeds},
            "baseline_curve": {"epoch": [1.0, 2.0], "train_time_s": [seconds / 2, seconds],
                               "test_accuracy": [accuracy - 0.04, accuracy],
                               "train_loss": [1.0, 0.5]} if with_baseline else None})


def timed(optimizer, implementation, median):
    return record(**{"suite": "t", "kind": "step_time", "problem": "10M", "optimizer": optimizer,
            "case": f"step_time[10M-{optimizer}-{implementation}]", "metrics": {"step_time": [median]},
            "timing": {"median_s": median, "implementation": implementation,
                       "parameters": 10_000_000, "bytes_per_parameter": 28.0,
                       "bandwidth_limit": 4.8e12, "bandwidth_source": "NVIDIA H200 data sheet"}})


def test_colours_are_one_per_optimizer_and_stable():
    results = [analytic("sgd", 1), analytic("adam", 1), data("sgd", 0.9, 2)]
    first, second = plots.palette(results), plots.palette(list(reversed(results)))
    assert first == second and len(set(first.values())) == 2


def test_variants_share_their_base_colour_with_their_own_line_style():
    names = ["adam", "adam-amsgrad", "adam-weight-decay", "sgd", "sgd-lr-0.1", "momentum"]
    styles = plots.palette([analytic(name, 1.0) for name in names])
    assert len({styles[n].colour for n in ("adam", "sgd", "momentum")}) == 3
    # Each variant: a darker or lighter shade of its base's colour, and a line style of its own.
    base = styles["adam"].colour
    assert styles["adam-amsgrad"].colour == plots.shade(base, plots.VARIANT_SHADES[0])
    assert styles["adam-weight-decay"].colour == plots.shade(base, plots.VARIANT_SHADES[1])
    assert len({styles[n].colour for n in ("adam", "adam-amsgrad", "adam-weight-decay")}) == 3
    assert len({styles[n].line for n in ("adam", "adam-amsgrad", "adam-weight-decay")}) == 3
    assert styles["sgd-lr-0.1"].colour == plots.shade(styles["sgd"].colour, plots.VARIANT_SHADES[0])
    assert styles["sgd"].line == "-"
    thirteen = plots.palette([analytic(f"opt{i}", 1.0) for i in range(13)])
    assert len({style.colour for style in thirteen.values()}) == 13


def test_loss_curves():
    results = [analytic("sgd", 1.0), analytic("adam", 2.0)]
    figure = loss_curves(results, plots.palette(results))
    axes = figure.axes[0]
    assert len(axes.get_lines()) == 2 and len(axes.collections) == 2  # lines and seed bands
    assert axes.get_yscale() == "log" and axes.get_xscale() == "log"
    assert axes.get_xlabel() == "step" and "loss − minimum" in axes.get_ylabel()
    title = figure._suptitle.get_text()
    assert "booth" in title and "each seed's median over starts" in title
    assert "baseline" not in title
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["adam", "sgd"]
    plt.close(figure)
    variant = [analytic("sgd", 1.0), analytic("sgd-nesterov", 1.0)]
    lines = loss_curves(variant, plots.palette(variant)).axes[0].get_lines()
    assert lines[0].get_color() != lines[1].get_color()
    assert lines[0].get_linestyle() == "-" and lines[1].get_linestyle() == "--"
    plt.close("all")


def test_loss_curves_draw_the_stored_trajectory_under_the_current_curve():
    stored = analytic("adam", 1.0)
    stored.baseline_curve = {"step": [1, 10, 30], "log10_gap": [-1.0, -2.0, None]}
    figure = loss_curves([stored], plots.palette([stored]))
    current, baseline = figure.axes[0].get_lines()
    assert baseline.get_marker() == "x" and current.get_marker() == "None"
    assert baseline.get_alpha() == plots.BASELINE_LINE["alpha"] and current.get_alpha() is None
    assert list(baseline.get_xdata()) == [1, 10]  # the missing point is left out
    assert list(baseline.get_ydata()) == pytest.approx([0.1, 0.01])
    assert "the stored baseline, the same statistic" in figure._suptitle.get_text()
    plt.close(figure)


def test_no_panel_holds_more_than_eight_lines_and_families_stay_together():
    names = ["sgd", "momentum", "nesterov"] + ["adam"] + [f"adam-v{i}" for i in range(6)] + \
        [f"opt{i}" for i in range(24)]
    results = [analytic(name, 1.0) for name in names]
    grouped = plots.panels(results)
    assert max(len(panel) for panel in grouped) <= 8
    assert sum(len(panel) for panel in grouped) == len(names)
    adam_panels = {i for i, panel in enumerate(grouped) for r in panel if r.optimizer.startswith("adam")}
    assert len(adam_panels) == 1  # the seven members of the family fit in one panel
    figure = loss_curves(results, plots.palette(results))
    drawn = [axes for axes in figure.axes if axes.get_visible()]
    assert len(drawn) == len(grouped) and all(len(a.get_lines()) <= 8 for a in drawn)
    plt.close(figure)


def test_failing_problems_come_first_and_are_marked():
    passing, broken = analytic("sgd", 1.0), analytic("adam", 1.0)
    other = record(**{**broken.to_json(), "problem": "beale", "case": "beale[adam]",
                      "status": "failed"})
    groups = list(plots.problem_groups([passing, broken, other]))
    assert groups == [("s", "beale"), ("s", "booth")]
    assert plots.attention_title([other], "s: beale") == "FAILING (adam): s: beale"
    figure = loss_curves([other], plots.palette([other]))
    assert figure.axes[0].get_title(loc="left") == "FAILING: adam"
    plt.close(figure)


def test_trajectories_over_contours():
    results = [analytic("sgd", 1.0), analytic("adam", 1.0)]
    figure = trajectories(results, plots.palette(results))
    shown = [a for a in figure.axes if a.get_visible() and a.get_title()]
    assert [a.get_title() for a in shown] == ["sgd", "adam"]
    for axes in shown:
        assert len(axes.get_lines()) == 2  # one path per start
        assert axes.get_xlim() == (-10.0, 10.0)
    assert "paths of 2 starts" in figure._suptitle.get_text()
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["start", "global minimum"]
    plt.close(figure)


def test_learning_curves_with_baselines():
    results = [data("sgd", 0.9, 2.0), data("adam", 0.95, 4.0)]
    figure = learning_curves(results, plots.palette(results))
    accuracy_epoch, loss_epoch, accuracy_time, loss_time = figure.axes[:4]
    assert len(accuracy_epoch.get_lines()) == 4  # a mean line and a marked baseline each
    assert sum(line.get_marker() == "x" for line in accuracy_epoch.get_lines()) == 2
    assert accuracy_epoch.get_xlabel() == "epoch" and accuracy_time.get_xlabel() == "training time (s)"
    assert accuracy_epoch.get_ylabel() == "test accuracy" and loss_time.get_ylabel() == "train loss"
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert labels == ["adam", "sgd", "stored baseline (mean)"]  # families in name order
    plt.close(figure)


def test_accuracy_against_time():
    results = [data("sgd", 0.9, 2.0), data("adam", 0.95, 400.0)]
    figure = accuracy_against_time(results, plots.palette(results))
    axes = figure.axes[0]
    points = sorted((float(x), float(y)) for c in axes.collections for x, y in c.get_offsets())
    assert [x for x, _ in points] == pytest.approx([2.0, 400.0])  # (seconds, accuracy) pairs
    assert [y for _, y in points] == pytest.approx([0.9, 0.95])
    assert axes.get_xscale() == "log"  # the times span two decades
    assert axes.get_ylabel() == "final test accuracy (mean over seeds)"
    plt.close(figure)


def test_step_time_bars_with_the_bandwidth_floor():
    results = [timed("adam", "foreach", 2e-4), timed("adam", "fused", 1e-4),
               timed("sgd", "for-loop", 8e-5)]
    figure = step_times(results, plots.palette(results))
    axes = figure.axes[0]
    assert sorted(round(b.get_height()) for b in axes.patches) == [80, 100, 200]  # microseconds
    assert axes.get_xlabel() == "optimizer"
    floors = [c for c in axes.collections if len(c.get_segments())]
    floor_heights = sorted({round(seg[0][1], 2) for c in floors for seg in c.get_segments()})
    assert floor_heights == [round(10_000_000 * 28 / 4.8e12 * 1e6, 2)]  # 58.33 µs at 4.8 TB/s
    assert axes.get_ylabel() == "time per step (µs, median)"
    labels = [t.get_text() for t in axes.get_legend().get_texts()]
    assert "foreach" in labels and any(l.startswith("bandwidth floor (4800 GB/s") for l in labels)
    plt.close(figure)


def test_draw_all_names_files_and_skips_what_it_cannot_draw(tmp_path):
    results = [analytic("sgd", 1.0), data("sgd", 0.9, 2.0), timed("sgd", "fused", 1e-4)]
    written = plots.draw_all(results, tmp_path, figures)
    assert [name for _, name in written] == ["s-booth-loss.png", "s-booth-paths.png",
                                            "d-mlp-curves.png", "d-accuracy-time.png",
                                            "t-10M-steps.png"]
    from PIL import Image

    for _, name in written:  # drawn, and saved as palette images, small enough to embed
        assert (tmp_path / name).stat().st_size > 3_000
        with Image.open(tmp_path / name) as image:
            assert image.mode == "P" and len(image.getpalette()) // 3 <= plots.PALETTE_COLOURS
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(name for _, name in written)
