"""Declarative parameter rules (augury.base.params)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from augury.base.params import Bool, Choice, Float, Int, IntOrFloat, check_params
from augury.errors import ParameterError


@pytest.mark.parametrize(("rule", "good", "bad"), [
    (Int(1, 10), [1, 10, np.int64(3)], [0, 11, 2.5, True, "3", None]),
    (Int(1, none_ok=True), [None, 5], [0, 1.0]),
    (Float(0, 1, low_open=True), [1e-9, 1, 0.5], [0, math.nan, math.inf, "0.5", False]),
    (Choice("none", "bf16"), ["none", "bf16"], ["fp8", None, 1]),
    (Bool(), [True, False], [1, 0, "true"]),
    (IntOrFloat(none_ok=True), [None, 3, 0.5], [0, 1.0, 1.5, math.nan, True]),
])
def test_rules_accept_and_refuse(rule, good, bad):
    for v in good:
        rule.check("D", "p", v)
    for v in bad:
        with pytest.raises(ParameterError, match=r"D: p="):
            rule.check("D", "p", v)


def test_message_names_parameter_and_range():
    with pytest.raises(ParameterError, match=r"window=0 is invalid; expected an integer >= 1 and <= 5"):
        check_params("KNN", {"window": 0, "other": object()}, {"window": Int(1, 5)})
