"""SPOT / POT thresholds: requested exceedance rate on heavy tails, streaming, spec round trip."""

from __future__ import annotations

import numpy as np
import pytest

from augury.errors import MetricError
from augury.metrics import SPOT, parse_threshold


@pytest.mark.parametrize("q", [1e-2, 1e-3])
def test_pot_threshold_gives_roughly_the_requested_exceedance_rate(q: float) -> None:
    rng = np.random.default_rng(0)
    train, test = rng.standard_t(3, 20_000), rng.standard_t(3, 200_000)
    spot = SPOT(q).fit(train)
    rate = spot.apply(test).mean()
    assert q / 2 < rate < 2 * q
    # The extreme-value threshold sits beyond the initial quantile and is no plain percentile.
    assert spot.threshold_ > spot.init_threshold_


def test_streaming_spot_keeps_the_rate_and_adapts() -> None:
    rng = np.random.default_rng(1)
    spot = SPOT(1e-2).fit(rng.pareto(3.0, 10_000))
    alarms, used = spot.stream(rng.pareto(3.0, 4_000))
    assert 0.004 < alarms.mean() < 0.025
    assert used[0] == spot.threshold_ and np.unique(used).size > 1  # the tail model was refitted
    assert spot.stream(rng.pareto(3.0, 10))[1][0] == spot.threshold_  # fitted state left untouched


def test_spec_round_trip() -> None:
    assert parse_threshold("spot:1e-3").spec() == "spot:0.001"
    spot = parse_threshold("spot:0.005:0.95")
    assert isinstance(spot, SPOT) and (spot.q, spot.level) == (0.005, 0.95)
    assert parse_threshold(spot.spec()).level == 0.95


def test_invalid_configuration_raises() -> None:
    with pytest.raises(MetricError, match="risk"):
        SPOT(q=0.0)
    with pytest.raises(MetricError, match="tail mass"):
        SPOT(q=0.05, level=0.98)
    with pytest.raises(MetricError, match="at least 10"):
        SPOT(1e-3).fit(np.arange(100.0))
    with pytest.raises(MetricError, match="fit"):
        SPOT(1e-3).stream(np.arange(5.0))
    with pytest.raises(MetricError, match="threshold spec"):
        parse_threshold("spot:abc")
