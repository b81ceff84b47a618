"""Latency distributions draw what they promise."""

from __future__ import annotations

import random
import statistics

from mockingjob.control.faults import Latency


def test_a_fixed_latency_is_always_the_same():
    assert {Latency.from_json({"fixed": 120}).sample_ms(random.Random(i)) for i in range(20)} == {120.0}


def test_a_uniform_latency_stays_within_its_bounds_and_spreads_over_them():
    rng = random.Random(7)
    draws = [Latency.from_json({"uniform": {"lower": 100, "upper": 300}}).sample_ms(rng) for _ in range(2000)]
    assert min(draws) >= 100 and max(draws) <= 300
    assert 190 < statistics.mean(draws) < 210


def test_a_lognormal_latency_centres_on_its_median_with_a_long_tail():
    rng = random.Random(7)
    draws = [Latency.from_json({"lognormal": {"median": 80, "sigma": 0.5}}).sample_ms(rng) for _ in range(4000)]
    assert 75 < statistics.median(draws) < 85
    assert statistics.mean(draws) > statistics.median(draws)  # skewed right, as real latencies are
    assert min(draws) > 0
