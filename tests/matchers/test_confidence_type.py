"""``Confidence``: the one declaration of the levels; the strings stay as stored."""

from __future__ import annotations

import json
import pickle

import pytest

from matchers.confidence import LEVELS, RANK, Confidence, max_confidence


def test_the_strings_are_the_stored_ones() -> None:
    assert Confidence.names() == ("low", "medium", "high")
    stored: object = "high"  # as read back from the database
    assert Confidence.HIGH == stored and isinstance(Confidence.HIGH, str)
    assert json.dumps({"confidence": Confidence.MEDIUM}) == '{"confidence": "medium"}'
    assert f"{Confidence.LOW}" == "low" and Confidence.LOW.upper() == "LOW"
    assert type(str(Confidence.LOW)) is str
    assert pickle.loads(pickle.dumps(Confidence.HIGH)) is Confidence.HIGH
    assert {"low": 1}[Confidence.LOW] == 1  # a member finds a stored string's key


def test_ordered_by_rank_not_alphabet() -> None:
    assert Confidence.LOW < Confidence.MEDIUM < Confidence.HIGH
    assert Confidence.HIGH > "low" and Confidence.MEDIUM >= "medium"
    assert max(Confidence) is Confidence.HIGH
    assert sorted(["high", "low", "medium"], key=Confidence) == ["low", "medium", "high"]
    assert Confidence.descending() == (Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW)
    assert LEVELS == tuple(Confidence)
    assert RANK == {"low": 1, "medium": 2, "high": 3}
    assert [c.rank for c in Confidence] == [1, 2, 3]
    assert Confidence.rank_of(None) == 0 and Confidence.rank_of("nope") == 0
    with pytest.raises(TypeError):
        _ = Confidence.LOW < "nope"


def test_max_confidence_takes_stored_strings() -> None:
    assert max_confidence(["low", None, "medium"]) is Confidence.MEDIUM
    assert max_confidence([None]) is None
