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
