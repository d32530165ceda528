"""One optimizer per start point, with the objective still evaluated for all starts at once.

Optimizers such as LBFGS treat all their parameters as one problem, so each start needs its own
instance. Their steps call the closure a data-dependent number of times (line searches), so the
instances cannot simply be stepped in a loop around one batched evaluation. Instead each instance
runs in its own thread; a closure call blocks until every live instance is blocked in a closure
(or finished), and then a single batched evaluation answers them all. The evaluation reads the
points only while every worker is blocked, and between rounds each worker reads and writes only
its own start's row, so results do not depend on thread scheduling.
"""

from __future__ import annotations

import threading
from typing import Any, Callable


class EvaluationFailed(RuntimeError):
    """The shared batched evaluation raised; every waiting start sees this."""


class BatchedEvaluations:
    def __init__(self, workers: int, evaluate: Callable[[], Any]):
        self._evaluate = evaluate
        self._condition = threading.Condition()
        self._live = workers
        self._waiting = 0
        self._round = 0
        self._answer: Any = None
        self.rounds = 0

    def wait_for_answer(self) -> Any:
        """Block until this round's batched evaluation is done; return it."""
        with self._condition:
            my_round = self._round
            self._waiting += 1
            if self._waiting == self._live:
                self._answer_round()
            else:
                while self._round == my_round:
                    self._condition.wait()
            answer = self._answer
        if isinstance(answer, BaseException):
            raise EvaluationFailed(f"the batched evaluation failed: {answer!r}") from answer
        return answer

    def leave(self) -> None:
        """A worker is finished; the others no longer wait for it."""
        with self._condition:
            self._live -= 1
            if self._live > 0 and self._waiting == self._live:
                self._answer_round()

    def _answer_round(self) -> None:
        try:
            self._answer = self._evaluate()
        except BaseException as exc:  # handed to every waiting worker, not lost in one thread
            self._answer = exc
        self.rounds += 1
        self._waiting = 0
        self._round += 1
        self._condition.notify_all()


def run_workers(count: int, work: Callable[[int, threading.Event], None],
                evaluations: BatchedEvaluations) -> None:
    """Run `work(i, stop)` for every start in its own thread; re-raise the first failure.

    Ctrl-C arrives in the main thread: it sets `stop`, lets the workers wind down, and re-raises.
    """
    stop = threading.Event()
    failures: list[tuple[int, BaseException]] = []

    def body(index: int) -> None:
        try:
            work(index, stop)
        except BaseException as exc:
            failures.append((index, exc))
            stop.set()
        finally:
            evaluations.leave()

    threads = [threading.Thread(target=body, args=(i,), name=f"optbench-start-{i}", daemon=True)
               for i in range(count)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.1)
    except BaseException:
        stop.set()
        for thread in threads:
            thread.join(timeout=5.0)
        raise
    if failures:
        failures.sort(key=lambda item: item[0])
        index, exc = next(((i, e) for i, e in failures if not isinstance(e, EvaluationFailed)),
                          failures[0])
        raise RuntimeError(f"start {index}: {type(exc).__name__}: {exc}") from exc
