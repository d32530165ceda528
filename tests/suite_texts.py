"""Small suites for the plugin's own tests: quick to run, yet real runs."""

TINY = """\
optbench: 1
suite: tiny
seeds: [0, 1]
defaults:
  starts: 8
  steps: 150
  converge: {criterion: distance, tol: 1e-2}
optimizers:
  sgd:  {class: SGD, lr: 0.02}
  adam: {class: Adam, lr: 0.1}
problems:
  booth: {function: booth}
  himmelblau: {function: himmelblau, steps: 100}
"""

# Tuned settings; every metric is gated against the baseline (the default), including the loss
# trajectory, which changes whenever an optimizer's arithmetic does.
GATE = """\
optbench: 1
suite: gate
seeds: [0, 1, 2]
defaults:
  starts: 16
  steps: 400
  converge: {criterion: distance, tol: 1e-3}
optimizers:
  adam:     {class: Adam, lr: 1.0}
  momentum: {class: SGD, lr: 0.01, momentum: 0.9}
problems:
  quadratic: {function: quadratic}
  booth: {function: booth, overrides: {adam: {lr: 0.5}, momentum: {lr: 0.02}}}
"""

# A real-data suite on MNIST-format files that the tests write (see data_files.py, written with
# signal 40 over noise 200). Six seeds: with three, the t quantile that holds false alarms to
# 1 in 1000 is too wide to see a few points of accuracy.
DATA = """\
optbench: 1
suite: digits
seeds: [0, 1, 2, 3, 4, 5]
optimizers:
  adam:     {class: Adam, lr: 0.003}
  momentum: {class: SGD, lr: 0.01, momentum: 0.9}
problems:
  mlp:
    dataset: mnist
    model: {kind: mlp, hidden: [32]}
    batch_size: 32
    steps: 100
    eval_every: 50
    expect:
      test_accuracy: {baseline: true}
      test_loss: {baseline: true}
"""

# Step timing on a small parameter set: quick, and a sleep of half a millisecond is a big change.
STEPS = """\
optbench: 1
suite: steps
optimizers:
  sgd:  {class: SGD, lr: 0.01}
  adam: {class: Adam, lr: 0.001}
problems:
  small:
    params: {count: 200k}
    implementations: [for-loop, foreach]
"""

# A minimal valid suite, for tests that break one thing in it.
GOOD = """\
optbench: 1
suite: s
optimizers:
  sgd: {class: SGD, lr: 0.01}
problems:
  booth: {function: booth}
"""

# Six cases and a claim, for shards and merges.
SHARDED = """\
optbench: 1
suite: sharded
seeds: [0, 1]
defaults:
  starts: 8
  steps: 120
  converge: {criterion: distance, tol: 1e-2}
optimizers:
  fast: {class: SGD, lr: 0.02}
  slow: {class: SGD, lr: 0.0005}
  adam: {class: Adam, lr: 0.1}
problems:
  booth: {function: booth}
  himmelblau: {function: himmelblau, steps: 80}
claims:
  fast-wins:
    says: "the larger step gets lower"
    problem: booth
    measure: final_loss
    better: fast
    than: slow
"""

# Three optimizers, one of them DriftingAdam (its update scaled by $OPTBENCH_DRIFT), for the
# run history.
DRIFTING = """\
optbench: 1
suite: drifting
seeds: [0, 1]
defaults:
  starts: 8
  steps: 120
  converge: {criterion: distance, tol: 1e-2}
optimizers:
  sgd:      {class: SGD, lr: 0.02}
  adam:     {class: Adam, lr: 0.1}
  drifting: {class: "optbench_testing:DriftingAdam", lr: 0.1}
problems:
  booth: {function: booth}
  himmelblau: {function: himmelblau}
"""
