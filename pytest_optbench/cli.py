"""The `optbench` command (also `python -m pytest_optbench`): `compare OLD NEW` and `report
RESULTS --out DIR` give the optbench table and report outside pytest; `merge` joins the shards
of a run and `accept` writes the baselines they measured; `init NAME` copies a shipped suite and
its baselines into a project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pytest_optbench.session.commands import accept_command, merge_command, report_command
from pytest_optbench.settings import DEFAULT_HISTORY


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optbench", description="Work with optbench suites, results and baselines "
                                     "(also run as: python -m pytest_optbench).")
    commands = parser.add_subparsers(dest="command", required=True)
    compare = commands.add_parser(
        "compare", help="compare two results or baseline files",
        description="Compare NEW against OLD, metric by metric, with the tolerances of the suite "
                    "(taken from NEW when it is a results file) or the metrics' defaults. "
                    "Either file may be a results file (--optbench-json) or a baseline file.")
    compare.add_argument("old", type=Path, help="the reference: a results or baseline file")
    compare.add_argument("new", type=Path, help="the file to judge: a results or baseline file")
    compare.add_argument("--fail-on-regression", action="store_true",
                         help="exit with status 1 when any metric got worse than allowed")
    compare.add_argument("--device-type", choices=["cpu", "cuda"],
                         help="compare only entries recorded on this device type")
    compare.add_argument("-v", "--verbose", action="store_true", help="show every row")
    compare.add_argument("--format", choices=["table", "markdown"], default="table",
                         help="a terminal table (default) or GitHub Markdown, e.g. for a "
                              "pull request or a CI job summary")
    report = commands.add_parser(
        "report", help="draw the report of a saved results file again",
        description="Write report.md, results.json, index.html and the plots for a results file "
                    "(--optbench-json, or the results.json of an earlier report), rerunning "
                    "nothing.")
    report.add_argument("results", type=Path, help="a results file")
    report.add_argument("--out", type=Path, required=True, help="the folder to write")
    merge = commands.add_parser(
        "merge", help="merge the results files of --optbench-shard jobs into one run",
        description="Join the results files of the shards of one run (pytest --optbench-shard "
                    "K/N --optbench-json shard-K.json) into one: the claims are judged on the "
                    "whole and unused baseline entries named. A missing shard, a case reported "
                    "twice or shards of different suite versions are errors.")
    merge.add_argument("shards", type=Path, nargs="+", metavar="SHARD.json",
                       help="the shards' results files")
    merge.add_argument("--out", type=Path, required=True, help="the merged results file")
    merge.add_argument("--report", type=Path, help="also write the merged run's report here")
    merge.add_argument("--fail-on-regression", action="store_true",
                       help="exit 1 whenever a full run would (a failing case or claim, nothing "
                            "checked); without it, only a missing shard or a failed write does")
    merge.add_argument("-v", "--verbose", action="store_true", help="show every row")
    accept = commands.add_parser(
        "accept", help="write the baselines a merged recording run measured",
        description="Write the baselines measured by shards run with --optbench-update-baselines "
                    "and merged with optbench merge: one reviewed step, under the same lock and "
                    "atomic replace as an in-session update. Refuses a single shard, an "
                    "incomplete merge and a run that recorded nothing.")
    accept.add_argument("results", type=Path, metavar="MERGED.json",
                        help="the merged results file")
    accept.add_argument("--baseline-dir", type=Path,
                        help="write the baseline files here (default: where the shards' jobs "
                             "kept them)")
    validate = commands.add_parser(
        "validate", help="check suite files without training (for pre-commit)",
        description="Run every check a collection makes of each suite file, under every tier "
                    "it names, without training: the YAML, the fields, the optimizers "
                    "(imported and built on a trial tensor), the problems and the claims. "
                    "Exit 0 when every file is valid, 1 when a file has errors (each one is "
                    "listed), 2 when a file cannot be read.")
    validate.add_argument("files", type=Path, nargs="+", metavar="FILE")
    validate.add_argument("--dataset-folder", action="append", default=[], metavar="NAME",
                          help="a dataset the suites read from an ImageFolder copy "
                               "(--optbench-dataset-folder NAME=PATH in a run); repeatable")
    schema = commands.add_parser(
        "schema", help="print the JSON Schema of suite files",
        description="Print the JSON Schema of suite files, for an editor or a validator.")
    schema.add_argument("--out", type=Path, help="write it to this file instead")
    history = commands.add_parser(
        "history", help="trends, drift and diffs over the run history",
        description="The run history (--optbench-history, or optbench history add): with no "
                    "subcommand, or `report`, the trend report; `add` imports results files; "
                    "`diff A B` says what changed between two runs.")
    history.add_argument("--db", type=Path, default=DEFAULT_HISTORY,
                         help=f"the history database (default {DEFAULT_HISTORY})")
    steps = history.add_subparsers(dest="history_command")
    add = steps.add_parser("add", help="import results files into the history")
    add.add_argument("files", type=Path, nargs="+", metavar="RESULTS.json")
    trend = steps.add_parser("report", help="write the trend report (the default)")
    for parser_ in (history, trend):
        parser_.add_argument("--out", type=Path, default=Path("optbench-history"),
                             help="the report folder (default optbench-history)")
        for name in ("suite", "case", "metric", "device", "since"):
            parser_.add_argument(f"--{name}", help=f"only the {name}s that contain this"
                                 if name != "since" else "only runs from this date on "
                                                         "(YYYY-MM-DD)")
        parser_.add_argument("--window", type=int, default=5,
                             help="runs the drift test looks back over (3 to 8; default 5)")
        parser_.add_argument("--fail-on-drift", action="store_true",
                             help="exit 1 when any series drifts")
    compared = steps.add_parser("diff", help="what changed between two runs")
    compared.add_argument("old", help="a run id, a commit, a branch, first or latest")
    compared.add_argument("new", help="a run id, a commit, a branch, first or latest")
    compared.add_argument("--fail-on-regression", action="store_true")
    compared.add_argument("-v", "--verbose", action="store_true", help="show every row")
    init = commands.add_parser(
        "init", help="copy a shipped suite and its baselines into a project",
        description="Copy a suite that ships with pytest-optbench to suites/NAME.yaml and its "
                    "baselines to baselines/NAME.json, ready for pytest --optbench "
                    "suites/NAME.yaml. Nothing is overwritten.")
    init.add_argument("name", nargs="?", help="the shipped suite (--list shows them)")
    init.add_argument("--into", type=Path, default=Path("."),
                      help="the project folder (default: the current folder)")
    init.add_argument("--list", action="store_true", help="list the shipped suites")
    return parser


def run_compare(args: argparse.Namespace) -> int:
    from pytest_optbench.kinds import metric_definitions
    from pytest_optbench.report.compare import (InputError, compare, has_regression, load_records,
                                                not_passable)
    from pytest_optbench.report.table import render_table, summary_line

    try:
        old, new = load_records(args.old), load_records(args.new)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    compared = compare(old, new, metric_definitions(), args.device_type)
    if not compared:
        print("NOTHING WAS COMPARED: neither file holds a case"
              + (f" on {args.device_type}" if args.device_type else ""))
        # Under --fail-on-regression a comparison that checked nothing is not a pass.
        return 1 if args.fail_on_regression else 0
    summary = summary_line(compared).replace("optbench:", f"compare {args.old} -> {args.new}:")
    if args.format == "markdown":
        from pytest_optbench.report.markdown import markdown_table

        print(f"**{summary}**\n\n{markdown_table(compared)}")
    else:
        table = render_table(compared, verbose=args.verbose)
        if table:
            print(table)
        print(summary)
    rules = sorted({case.rule for case in compared if case.rule})
    for rule in rules:
        judged = sum(1 for case in compared if case.rule == rule)
        print(f"judged by {rule}: {judged} cases" if len(rules) > 1 else f"judged by {rule}")
    reasons = not_passable(compared)
    for reason in reasons:
        print(reason)
    accepts = [case.accept for case in compared if case.accept and case.status.value == "failed"]
    if accepts:
        print("to accept the new values as baselines:")
        for command in accepts:
            print(f"  {command}")
    if args.fail_on_regression and (has_regression(compared) or reasons):
        return 1
    return 0


def run_init(args: argparse.Namespace) -> int:
    from pytest_optbench.shipped import InitError, init, shipped_suites

    if args.list or not args.name:
        suites = shipped_suites()
        if not suites:
            print("error: this installation carries no shipped suites", file=sys.stderr)
            return 2
        width = max(map(len, suites))
        for name, suite in suites.items():
            recorded = "" if suite.baseline else " (no baselines)"
            print(f"{name:<{width}}  {suite.description()}{recorded}")
        if not args.name and not args.list:
            print("copy one with: optbench init NAME")
        return 0
    try:
        copied = init(args.name, args.into)
    except InitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in copied.written:
        print(f"wrote {path}")
    for note in copied.notes:
        print(note)
    suite_file = next(path for path in copied.written if path.suffix == ".yaml")
    print(f"run it with: pytest --optbench {suite_file.relative_to(args.into)}")
    return 0


def run_history(args: argparse.Namespace) -> int:
    from pytest_optbench.history import commands as history

    if args.history_command == "add":
        return history.add_command(args.db, args.files)
    if args.history_command == "diff":
        return history.diff_command(args.db, args.old, args.new, args.fail_on_regression,
                                    args.verbose)
    if not 3 <= args.window <= 8:
        print(f"error: --window: found {args.window}; expected 3 to 8 runs", file=sys.stderr)
        return 2
    return history.report_command(args.db, args.out, args.suite, args.case, args.metric,
                                  args.device, args.since, args.window,
                                  fail_on_drift=args.fail_on_drift)


# Exit statuses: 0 fine, 1 a regression (with --fail-on-regression), 2 unusable input;
# a reader that closed the pipe early (`| head`) ends the command quietly, as a shell would.
CLOSED_PIPE = 141


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "compare":
            return run_compare(args)
        if args.command == "report":
            return report_command(args.results, args.out)
        if args.command == "merge":
            return merge_command(args.shards, args.out, args.report, args.fail_on_regression,
                                 args.verbose)
        if args.command == "accept":
            return accept_command(args.results, args.baseline_dir)
        if args.command == "init":
            return run_init(args)
        if args.command == "history":
            return run_history(args)
        if args.command == "validate":
            from pytest_optbench.validate import validate_command

            return validate_command(args.files, args.dataset_folder)
        if args.command == "schema":
            from pytest_optbench.schema import SCHEMA_FILE

            if args.out is None:
                print(SCHEMA_FILE.read_text(), end="")
                return 0
            try:
                args.out.write_text(SCHEMA_FILE.read_text())
            except OSError as exc:
                print(f"error: {args.out}: cannot be written ({exc.strerror or exc})",
                      file=sys.stderr)
                return 2
            print(f"wrote {args.out}")
            return 0
    except BrokenPipeError:
        import os

        # Python would report the closed pipe again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return CLOSED_PIPE
    return 2
