"""The detectable change the report states is the change the seed comparison does detect."""

import numpy as np
import pytest

from pytest_optbench.gate.statistics import detectable_change, seed_margin


def test_three_new_against_ten_stored_seeds_at_one_in_a_thousand():
    assert detectable_change(3, 10, 1e-3) == pytest.approx(3.70, abs=0.01)
    # More seeds see less; a stricter false-alarm rate sees more coarsely.
    assert detectable_change(10, 10, 1e-3) < detectable_change(3, 10, 1e-3) \
        < detectable_change(3, 3, 1e-3)
    assert detectable_change(3, 10, 1e-4) > detectable_change(3, 10, 1e-3)
    assert detectable_change(1, 1, 1e-3) is None


@pytest.mark.parametrize("n, k, alpha", [(3, 10, 1e-3), (6, 6, 2.5e-4), (2, 4, 0.01)])
def test_a_shift_of_the_detectable_size_is_flagged_nine_times_in_ten(n, k, alpha):
    shift = detectable_change(n, k, alpha)
    rng = np.random.default_rng(0)
    trials, flagged = 4000, 0
    for _ in range(trials):
        stored, new = rng.normal(0.0, 1.0, k), rng.normal(shift, 1.0, n)
        margin = seed_margin(list(new), list(stored), 1e-9, alpha).margin
        flagged += new.mean() - stored.mean() > margin
    assert flagged / trials == pytest.approx(0.9, abs=0.02)
