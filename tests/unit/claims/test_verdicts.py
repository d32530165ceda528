"""Claims judged against results: an ordering that holds passes, one that is reversed fails
with both sides' numbers, one within the seeds' noise is neither."""

import pytest

from pytest_optbench.gate.claims import CONTRADICTED, HOLDS, NOISE, UNCHECKED, Claim, judge
from pytest_optbench.gate.record import CaseResult


def result(optimizer, kind="data", problem="mlp", **metrics):
    return CaseResult("s", "s.yaml", f"{problem}[{optimizer}]", f"s.yaml::{problem}[{optimizer}]",
                      1, 0, None, kind, problem, optimizer, "X", "h", {}, {}, None, "b.json", False,
                      metrics=metrics)


def with_curves(optimizer, *accuracy_per_seed, losses=None):
    made = result(optimizer)
    made.curves = {"seeds": {str(i): {"epoch": list(range(1, len(a) + 1)), "test_accuracy": list(a),
                                      "test_loss": list(losses[i] if losses else [1.0] * len(a))}
                             for i, a in enumerate(accuracy_per_seed)}}
    return made


def claim(**fields):
    base = dict(name="c", suite_file="s.yaml", line=7, says="adam beats sgd", measure="test_accuracy",
                argument=None, problem="mlp", better=("adam",), than=("sgd",))
    return Claim(**{**base, **fields})


def test_an_ordering_that_holds_passes_and_a_reversed_one_fails_with_both_numbers():
    results = [result("adam", test_accuracy=[0.88, 0.89, 0.885]),
               result("sgd", test_accuracy=[0.80, 0.81, 0.805])]
    [held] = judge([claim()], results)
    assert held.verdict == HOLDS and not held.failed and held.status() == "pass"
    [reversed_] = judge([claim(better=("sgd",), than=("adam",))], results)
    assert reversed_.verdict == CONTRADICTED and reversed_.failed and reversed_.status() == "FAIL"
    text = reversed_.explanation()
    assert "claim c (s.yaml:7) contradicted" in text
    assert "sgd 0.805 ± 0.005 (3 seeds) against adam 0.885 ± 0.005 (3 seeds): the other way by 0.08" in text


def test_a_difference_within_the_seeds_noise_is_neither_shown_nor_contradicted():
    results = [result("adam", test_accuracy=[0.80, 0.86, 0.83]),
               result("sgd", test_accuracy=[0.84, 0.81, 0.825])]
    [verdict] = judge([claim()], results)
    assert verdict.verdict == NOISE and not verdict.failed
    assert "within noise" in verdict.explanation()
    # One seed has no spread: the claim's own margin is all there is.
    one = [result("adam", test_accuracy=[0.83]), result("sgd", test_accuracy=[0.825])]
    assert judge([claim()], one)[0].verdict == HOLDS
    assert judge([claim(margin=0.01)], one)[0].verdict == NOISE


def test_lower_is_better_for_losses_and_epochs():
    results = [result("adam", test_loss=[0.30, 0.31]), result("sgd", test_loss=[0.50, 0.52])]
    assert judge([claim(measure="test_loss", higher_is_better=False)], results)[0].verdict == HOLDS
    curves = [with_curves("adam", [0.7, 0.86, 0.87], [0.75, 0.86, 0.9]),
              with_curves("sgd", [0.5, 0.7, 0.8], [0.5, 0.72, 0.79])]
    epochs = claim(measure="epochs_to", argument=0.85)
    [verdict] = judge([epochs], curves)
    assert verdict.verdict == HOLDS   # adam: 2 epochs; sgd never: counted as 4
    assert "adam 2 ± 0 (2 seeds) against sgd 4 ± 0 (2 seeds)" in verdict.explanation()
    assert judge([claim(measure="epochs_to", argument=0.85, better=("sgd",), than=("adam",))],
                 curves)[0].failed


def test_a_bound_on_one_optimizer_and_the_epoch_of_its_best_loss():
    stalls = claim(better=(), than=(), of="adagrad", below=0.005, measure="gain_over_last",
                   argument=2.0)
    flat = [with_curves("adagrad", [0.5, 0.80, 0.801, 0.802], [0.5, 0.79, 0.792, 0.793])]
    assert judge([stalls], flat)[0].verdict == HOLDS
    rising = [with_curves("adagrad", [0.5, 0.6, 0.7, 0.8], [0.5, 0.61, 0.7, 0.79])]
    [verdict] = judge([stalls], rising)
    assert verdict.failed and "adagrad 0.19 ± 0.01414 (2 seeds) against the bound: below 0.005: the other way by 0.185" in verdict.explanation()
    early = with_curves("adam", [0.8, 0.8, 0.8], losses=[[0.4, 0.3, 0.35]])
    late = with_curves("sgd", [0.8, 0.8, 0.8], losses=[[0.6, 0.5, 0.45]])
    assert judge([claim(measure="best_epoch")], [early, late])[0].verdict == HOLDS


def test_a_claim_expected_contradicted_passes_while_it_is_and_fails_once_it_holds():
    results = [result("adam", test_accuracy=[0.80, 0.81]), result("sgd", test_accuracy=[0.88, 0.89])]
    expected = claim(expected="contradicted", because="sgd at lr 0.1 wins here")
    [verdict] = judge([expected], results)
    assert verdict.status() == "expected contradicted" and not verdict.failed
    assert "(expected contradicted: sgd at lr 0.1 wins here)" in verdict.explanation()
    flipped = [result("adam", test_accuracy=[0.90, 0.91]), result("sgd", test_accuracy=[0.80, 0.81])]
    [verdict] = judge([expected], flipped)
    assert verdict.failed and "remove 'expected: contradicted'" in verdict.explanation()


def test_a_claim_whose_cases_did_not_run_is_not_checked_and_does_not_fail():
    [verdict] = judge([claim()], [result("adam", test_accuracy=[0.9])])
    assert verdict.verdict == UNCHECKED and not verdict.failed
    assert "needs the cases of sgd on mlp in the same run" in verdict.reason
    [verdict] = judge([claim()], [result("adam", test_accuracy=[0.9]), result("sgd")])
    assert verdict.verdict == UNCHECKED and "has no metric 'test_accuracy'" in verdict.reason


def test_every_pair_must_hold_and_one_reversed_pair_fails_the_claim():
    results = [result("adam", test_accuracy=[0.9, 0.9]), result("nadam", test_accuracy=[0.7, 0.7]),
               result("sgd", test_accuracy=[0.8, 0.8])]
    [verdict] = judge([claim(better=("adam", "nadam"))], results)
    assert verdict.failed
    assert [c.verdict for c in verdict.comparisons] == [HOLDS, CONTRADICTED]


@pytest.mark.parametrize("field,value", [("better", ("x",)), ("of", "x")])
def test_an_optimizer_the_run_lacks_is_named(field, value):
    extra = {"better": (), "than": (), "of": "x", "below": 1.0} if field == "of" else {field: value}
    [verdict] = judge([claim(**extra)], [result("sgd", test_accuracy=[0.8])])
    assert verdict.verdict == UNCHECKED and "x" in verdict.reason
