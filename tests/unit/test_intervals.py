import math

import pytest

from analytics.intervals import wilson_interval


def test_wilson_matches_hand_computation():
    # 20 of 100, z = 1.96: centre 0.21110, half-width 0.07773 (worked by hand; textbook value 0.1334–0.2888).
    low, high = wilson_interval(20, 100)
    assert low == pytest.approx(0.13337, abs=1e-5)
    assert high == pytest.approx(0.28883, abs=1e-5)


def test_wilson_edges():
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    low, high = wilson_interval(0, 50)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.07135, abs=1e-5)
    with pytest.raises(ValueError):
        wilson_interval(5, 3)
