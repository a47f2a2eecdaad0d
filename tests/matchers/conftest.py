"""Shared fixtures: one fingerprint set of synthetic customers, decoys, a matcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from fingerprints.fpset import FingerprintSet
from matchers.scan import Matcher
from tests.matchers.factories import Customer, build_set, make_customers

N_CUSTOMERS = 400


@pytest.fixture(scope="session")
def customers() -> list[Customer]:
    return make_customers(N_CUSTOMERS, seed=7)


@pytest.fixture(scope="session")
def decoys(customers: list[Customer]) -> list[Customer]:
    """Same kind of people, never fingerprinted (names may coincide, as in life)."""
    return make_customers(1000, seed=99, prefix="D", avoid=customers)


@pytest.fixture(scope="session")
def set_dir(tmp_path_factory: pytest.TempPathFactory, customers: list[Customer]) -> Path:
    d = tmp_path_factory.mktemp("fpset") / "customers"
    build_set(d, customers)
    return d


@pytest.fixture(scope="session")
def fpset(set_dir: Path) -> FingerprintSet:
    from fingerprints.normalizers import NORMALIZER_VERSION
    from tests.matchers.factories import KEY

    return FingerprintSet.open(set_dir, KEY, normalizer_version=NORMALIZER_VERSION)


@pytest.fixture(scope="session")
def matcher(fpset: FingerprintSet) -> Matcher:
    return Matcher(fpset)
