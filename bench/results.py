"""Benchmark results and the table they are printed as."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One row: a case's figure, its floor, and whether it met its target.

    ``ratio`` is figure / floor for timed cases; ``passed`` is decided by
    the case, since each target has its own rule, and is None for a row
    that is shown for information and has no target.
    """

    case: str
    figure: str
    floor: str
    ratio: str
    target: str
    passed: bool | None


def elapsed(function: Callable[[], object]) -> float:
    """Run ``function`` once; return the wall-clock seconds it took."""
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def paired_ratio(figures: list[float], floors: list[float]) -> float:
    """Return the median of figure / floor over runs made in the same round.

    Each figure and its floor were measured one after the other, so a change
    in the machine's load between rounds affects both alike.
    """
    pairs = zip(figures, floors, strict=True)
    return statistics.median(figure / floor for figure, floor in pairs)


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def table(results: list[Result]) -> str:
    """Return the results as a Markdown table."""
    header = ("case", "figure (median)", "floor (median)", "ratio", "target", "result")
    rows = [header, ("---",) * len(header)]
    rows += [
        (
            result.case,
            result.figure,
            result.floor,
            result.ratio,
            result.target,
            _verdict(result.passed),
        )
        for result in results
    ]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _verdict(passed: bool | None) -> str:
    if passed is None:
        return "-"
    return "PASS" if passed else "MISS"
