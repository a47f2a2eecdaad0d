"""The guilty-agent model (Papadimitriou & Garcia-Molina, TKDE 2011), table-first."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from pyroaring import BitMap

from leakprint.attribution import attribute, guilt, verdict_of


@pytest.mark.parametrize(("holders", "p", "expected"), [
    ([], 0.5, 0.0),                      # held nothing of the leak: not guilty
    ([1], 0.5, 0.5),                     # one record only it held: 1 - p
    ([2], 0.5, 0.25),                    # shared with one other agent: (1-p)/2
    ([1, 1], 0.5, 0.75),                 # 1 - (1 - 0.5)^2
    ([1, 2], 0.5, 1 - 0.5 * 0.75),
    ([3, 3, 3], 0.2, 1 - (1 - 0.8 / 3) ** 3),
    ([1] * 50, 0.5, 1 - 0.5 ** 50),
    ([1], 0.0, 1.0),                     # p = 0: nothing leaks any other way
])
def test_guilt_formula(holders: list[int], p: float, expected: float) -> None:
    assert math.isclose(guilt(holders, p), expected, rel_tol=1e-12, abs_tol=1e-15)


def test_guilt_rejects_p_outside_0_1() -> None:
    with pytest.raises(ValueError):
        guilt([1], 1.0)
    with pytest.raises(ValueError):
        guilt([1], -0.1)


def test_thousands_of_records_do_not_underflow() -> None:
    assert guilt([1000] * 5000, 0.5) == pytest.approx(1 - (1 - 0.5 / 1000) ** 5000)


def test_only_one_contractor_held_fifty_leaked_records_is_likely() -> None:
    leaked = BitMap(range(100, 150))
    result = attribute(leaked, {"a": BitMap(range(0, 200)), "b": BitMap(range(200, 400)),
                                "c": BitMap(range(0, 100))})
    assert [c.contractor for c in result.candidates] == ["a"]
    top = result.candidates[0]
    assert (top.held, top.held_share, top.canaries) == (50, 1.0, 0)
    assert top.guilt >= 0.9
    assert result.verdict == "likely"


def test_everyone_held_everything_is_ambiguous() -> None:
    every = set(range(100))
    result = attribute(set(range(60)), {"a": every, "b": every, "c": every})
    assert len({c.guilt for c in result.candidates}) == 1
    assert result.verdict == "ambiguous"


def test_a_canary_makes_it_certain_even_against_a_higher_guilt() -> None:
    leaked = set(range(10))
    result = attribute(leaked, {"a": set(range(10)), "b": set(range(3))}, {"b": 1})
    assert result.candidates[0].contractor == "b"
    assert result.candidates[0].canaries == 1
    assert result.verdict == "certain"
    assert result.candidates[1].guilt > result.candidates[0].guilt


def test_canaries_only_count_zero_customers() -> None:
    result = attribute(set(), {"a": set(range(10))}, {"a": 2})
    assert result.records == 0
    assert result.verdict == "certain"
    assert result.candidates[0].held == 0 and result.candidates[0].held_share == 0.0


def test_overlapping_holdings_split_the_shared_records() -> None:
    # b holds 0..29, a holds 20..59; leaked 20..29 are shared, 30..39 only a's.
    result = attribute(set(range(20, 40)), {"a": set(range(20, 60)), "b": set(range(30))})
    a, b = result.candidates
    assert (a.contractor, a.held, b.contractor, b.held) == ("a", 20, "b", 10)
    assert a.guilt == pytest.approx(1 - (1 - 0.25) ** 10 * 0.5 ** 10)
    assert b.guilt == pytest.approx(1 - 0.75 ** 10)


@pytest.mark.parametrize(("guilts", "verdict"), [
    ([0.95, 0.7], "likely"),
    ([0.95, 0.75], "ambiguous"),  # the runner-up is within 0.2
    ([0.79, 0.1], "ambiguous"),   # the top is below 0.8
    ([0.8, 0.5], "likely"),
    ([0.9], "likely"),
    ([], "ambiguous"),
])
def test_verdict_thresholds(guilts: list[float], verdict: str) -> None:
    from leakprint.attribution import Candidate

    ranked = [Candidate(f"c{i}", 1, 1.0, 0, g) for i, g in enumerate(guilts)]
    assert verdict_of(ranked) == verdict


def test_attribution_p_is_configurable_and_checked(tmp_path: Path) -> None:
    from leakprint.config import ConfigError, load_settings

    (tmp_path / "leakprint.toml").write_text("[attribution]\np = 0.3\n", encoding="utf-8")
    settings = load_settings(tmp_path, env={})
    assert settings.attribution_p == 0.3 and settings.unknown == ()
    for bad in ("1.5", "1.0", '"half"', "-0.1"):
        (tmp_path / "leakprint.toml").write_text(f"[attribution]\np = {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"attribution\.p"):
            load_settings(tmp_path, env={})
