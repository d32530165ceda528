"""Where the progress goes: live at the end of the line on a terminal, plain lines under -v in
a log, nothing under -q or in an xdist worker."""

import types

import pytest

from pytest_optbench.kinds.progress import PROGRESS
from pytest_optbench.live_progress import LiveProgress


class Writer:
    def __init__(self):
        self.text = []

    def write(self, text, flush=False):
        self.text.append(text)


class Reporter:
    def __init__(self, tty):
        self.isatty = self.hasmarkup = tty
        self._tw = Writer()
        self.lines = []

    def write_line(self, line):
        self.lines.append(line)


def config(reporter, verbosity=0, worker=False):
    plugins = {"terminalreporter": reporter, "capturemanager": None}
    made = types.SimpleNamespace(
        pluginmanager=types.SimpleNamespace(get_plugin=plugins.get),
        get_verbosity=lambda: verbosity)
    if worker:
        made.workerinput = {}
    return made


def run_loop(progress_config):
    with LiveProgress(progress_config, "s.yaml::p[o]", every=30.0):
        PROGRESS.begin(100)
        PROGRESS.due = 0.0   # as if the first interval had passed
        PROGRESS.at(40)
    assert PROGRESS.sink is None


def test_a_terminal_gets_the_text_after_the_cursor_then_cleared():
    reporter = Reporter(tty=True)
    run_loop(config(reporter))
    assert reporter._tw.text[0].startswith("\x1b7 step 40 of 100")
    assert reporter._tw.text[-1] == "\x1b[K" and not reporter.lines


def test_a_log_under_verbose_gets_plain_lines():
    reporter = Reporter(tty=False)
    run_loop(config(reporter, verbosity=1))
    assert reporter.lines and reporter.lines[0].startswith("    s.yaml::p[o]: step 40 of 100")
    assert not reporter._tw.text


@pytest.mark.parametrize("tty, verbosity, worker", [
    (False, 0, False), (True, -1, False), (False, -2, False), (True, 1, True), (False, 2, True)])
def test_quiet_runs_logs_without_verbose_and_workers_get_nothing(tty, verbosity, worker):
    reporter = Reporter(tty=tty)
    run_loop(config(reporter, verbosity=verbosity, worker=worker))
    assert not reporter.lines and not reporter._tw.text
