"""Shared pieces of the fuzz suite (tests/test_fuzz_*.py).

Every fuzz case must end in one of two ways: a result that passes the test's finiteness check,
or an ``AuguryError`` (a typed, user-facing error). Anything else (an untyped exception, a
non-finite output) fails the test. Each suite also runs *well-formed* cases, which must be
accepted (a typed refusal of one fails the test), and at the end of a module at least
:data:`MIN_ACCEPTED` of every suite's cases must be accepted well-formed ones, so a reader that
refuses everything cannot pass.
``QUICK`` runs in the default suite; ``LARGE`` (1,000 cases per test) under ``pytest -m fuzz``. Set ``AUGURY_FUZZ_COUNTS=<file>`` to append
per-test outcome counts as JSON lines (the counts quoted in closing notes).
"""

from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from augury.errors import AuguryError

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
           HealthCheck.function_scoped_fixture]
QUICK = settings(max_examples=25, deadline=None, suppress_health_check=_HEALTH, derandomize=True)
LARGE = settings(max_examples=1000, deadline=None, suppress_health_check=_HEALTH)

COUNTS: dict[str, Counter] = {}
#: Share of a suite's cases that must be accepted well-formed ones (checked from 20 cases on).
MIN_ACCEPTED = 0.2


def outcome(test: str, fn: Callable[[], Any], check: Callable[[Any], None] | None = None,
            well_formed: bool = False) -> str:
    """Run ``fn``; count and return ``"ok"`` or ``"typed_error"``; untyped errors propagate.

    ``well_formed`` marks a case that must be accepted: a typed error then fails the test.
    """
    counter = COUNTS.setdefault(test, Counter())
    try:
        with warnings.catch_warnings():
            # Generated inputs may use an old spelling on purpose; its DeprecationWarning is expected.
            warnings.simplefilter("ignore", DeprecationWarning)
            result = fn()
    except AuguryError as exc:
        if well_formed:
            raise AssertionError(f"{test}: a well-formed case was refused: {exc}") from exc
        counter["typed_error"] += 1
        return "typed_error"
    if check is not None:
        check(result)
    counter["ok"] += 1
    counter["well_formed_ok"] += well_formed
    return "ok"


def check_acceptance() -> None:
    """Fail when fewer than :data:`MIN_ACCEPTED` of a suite's (≥ 20) cases were accepted well-formed ones."""
    for test, counter in COUNTS.items():
        cases = counter["ok"] + counter["typed_error"]
        if cases >= 20:
            assert counter["well_formed_ok"] >= MIN_ACCEPTED * cases, (
                f"{test}: only {counter['well_formed_ok']} of {cases} cases were well-formed and accepted")


def dump_counts() -> None:
    """Append the counts to ``$AUGURY_FUZZ_COUNTS`` (if set) and reset them."""
    path = os.environ.get("AUGURY_FUZZ_COUNTS")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            for test, counter in COUNTS.items():
                fh.write(json.dumps({"test": test, **counter, "cases": counter["ok"] + counter["typed_error"]}) + "\n")
    COUNTS.clear()


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    try:
        check_acceptance()
    finally:
        dump_counts()


def both(body: Callable[..., None], strategies: dict[str, Any], given: Callable[..., Any],
         quick_strategies: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """(quick test, large ``fuzz``-marked test) of ``body`` under ``given(**strategies)``.

    ``quick_strategies`` (default: the same) may narrow the quick run to inputs that are cheap
    to process, so the default suite stays fast; the large run always uses ``strategies``.
    """
    quick = QUICK(given(**(quick_strategies or strategies))(body))
    large = pytest.mark.fuzz(LARGE(given(**strategies)(body)))
    return quick, large
