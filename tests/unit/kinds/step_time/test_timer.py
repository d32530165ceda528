"""Step timing without pytest: bytes moved, rates, parameter sets, the probe and the rounds."""

import pytest
import torch

from pytest_optbench.kinds.step_time.bandwidth import bytes_per_parameter
from pytest_optbench.kinds.step_time.params import make_parameters, parse_count, shapes_for, split_count
from pytest_optbench.kinds.step_time.timer import StepTiming, probe_step


@pytest.mark.parametrize("cls, options, dtype, expected", [
    (torch.optim.SGD, {}, torch.float32, 12.0),
    (torch.optim.SGD, {"momentum": 0.9}, torch.float32, 20.0),
    (torch.optim.Adam, {}, torch.float32, 28.0),
    (torch.optim.Adam, {"amsgrad": True}, torch.float32, 36.0),
    (torch.optim.Adam, {}, torch.bfloat16, 14.0),
    (torch.optim.RMSprop, {"centered": True}, torch.float32, 28.0),
    (torch.optim.Adagrad, {}, torch.float32, 20.0),
])
def test_bytes_moved_per_parameter(cls, options, dtype, expected):
    params = make_parameters([(10, 10), (7,)], dtype, torch.device("cpu"))
    optimizer = cls(params, lr=1e-3, **options)
    optimizer.step()
    assert bytes_per_parameter(optimizer, params) == expected


def test_rates_and_shares_from_a_known_step():
    timing = StepTiming(median_s=0.01, mean_s=0.01, rounds=5, steps_per_round=2,
                        implementation="foreach", parameters=10_000_000, tensors=10,
                        bytes_per_parameter=28.0, peak_memory_bytes=0, state_bytes=0,
                        bandwidth_limit=4.8e12, bandwidth_source="data sheet")
    assert timing.params_per_s == pytest.approx(1e9)
    assert timing.bytes_per_s == pytest.approx(2.8e10)
    assert timing.bandwidth_share == pytest.approx(2.8e10 / 4.8e12)


def test_parameter_counts_and_shapes():
    assert parse_count("10M") == 10_000_000 and parse_count("1.5k") == 1500 and parse_count(42) == 42
    with pytest.raises(ValueError):
        parse_count("ten")
    for count in (10_000_000, 100_000_000, 123_457):
        shapes = split_count(count)
        assert sum(torch.Size(s).numel() for s in shapes) == count
        assert max(len(s) for s in shapes) == 2  # matrices and vectors, like a real model
    assert sum(torch.Size(s).numel() for s in shapes_for({"preset": "mlp-300-100"})) == 266_610


def test_the_probe_names_the_implementation_that_ran():
    for flags, expected in (({"foreach": False}, "for-loop"), ({"foreach": True}, "foreach"),
                            ({"fused": True}, "fused")):
        params = make_parameters([(64, 64), (64,)], torch.float32, torch.device("cpu"))
        optimizer = torch.optim.Adam(params, lr=1e-3, **flags)
        optimizer.step()
        assert probe_step(optimizer, params, torch.device("cpu"))[0] == expected


def test_the_probe_sees_foreach_temporaries():
    params = make_parameters([(256, 256)] * 4, torch.float32, torch.device("cpu"))
    peaks = {}
    for name, flags in (("for-loop", {"foreach": False}), ("foreach", {"foreach": True})):
        optimizer = torch.optim.Adam(params, lr=1e-3, **flags)
        optimizer.step()
        peaks[name] = probe_step(optimizer, params, torch.device("cpu"))[1]
    one = 256 * 256 * 4
    # The for-loop's temporaries belong to one tensor at a time; foreach makes them for all
    # four tensors at once.
    assert one <= peaks["for-loop"] <= 3 * one
    assert peaks["foreach"] >= 4 * one and peaks["foreach"] > peaks["for-loop"]


def test_each_timed_round_ends_waiting_for_the_device(monkeypatch):
    """pytest-benchmark reads its clock around `iterations` calls; on CUDA the last call of
    each round synchronises, so a round is the time the device took, not the launches."""
    from pytest_optbench.kinds.step_time.timer import round_synchronized

    events = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: events.append("sync"))
    run = round_synchronized(lambda: events.append("step"), 3, torch.device("cuda"))
    for _ in range(6):
        run()
    assert events == ["step", "step", "step", "sync"] * 2
    events.clear()
    plain = round_synchronized(lambda: events.append("step"), 3, torch.device("cpu"))
    for _ in range(3):
        plain()
    assert events == ["step"] * 3
