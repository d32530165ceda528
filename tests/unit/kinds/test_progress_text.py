"""What the progress line says, from where a runner's loop is."""

from pytest_optbench.kinds.progress import Progress


def test_real_data_says_seed_epoch_elapsed_and_what_is_left():
    progress = Progress()
    progress.begin_seed(1, 3, seed=7)
    progress.run_started = progress.case_started = 100.0
    progress.begin(total=200, per_epoch=100)
    progress.at(100)
    progress.run_started = 100.0
    # half of the second of three seeds done: half of the run, 60 s in
    assert progress.fraction() == 0.5
    assert progress.describe(now=160.0) == "seed 7 (2 of 3), epoch 1.0 of 2, 1 min 00 s, about 1 min 00 s left"


def test_an_analytic_loop_says_its_step():
    progress = Progress()
    progress.begin(total=1000)
    progress.run_started = progress.case_started = 0.0
    progress.at(10)
    assert progress.describe(now=5.0) == "step 10 of 1000, 5 s"   # too early to estimate
    progress.at(500)
    assert progress.describe(now=125.0) == "step 500 of 1000, 2 min 05 s, about 2 min 05 s left"


def test_the_sink_is_called_only_when_due():
    progress, calls = Progress(), []
    progress.sink = lambda: calls.append(progress.step)
    progress.due = float("inf")
    progress.at(1)
    progress.due = 0.0
    progress.at(2)
    assert calls == [2]
