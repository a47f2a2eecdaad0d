"""Builders for alert contexts (shape-only by construction)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alerts import AlertContext, RecordSummary
from matchers.confidence import Confidence

SNIPPET = "⟨name:4⟩,⟨name_kana:6⟩,⟨phone⟩,⟨email⟩,⟨address:18⟩"


def records(count: int, confidence: str = "high") -> tuple[RecordSummary, ...]:
    return tuple(
        RecordSummary(ref=f"REF-{i:03d}", confidence=confidence, fields=("phone", "name"))
        for i in range(1, count + 1)
    )


def make_context(**overrides: Any) -> AlertContext:
    values: dict[str, Any] = {
        "incident_name": "docomo-2026-11",
        "incident_id": 3,
        "dataset": "customers",
        "source": "pastes",
        "url": "https://paste.example/raw/abc",
        "first_seen": datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC),
        "confidence": "high",
        "bulk": True,
        "record_counts": {"high": 30, "medium": 5, "low": 2},
        "fields": ("phone", "name", "name_kana", "address"),
        "records": records(37),
        "snippet": SNIPPET,
        "finding_id": 12,
        "levels": tuple(level.value for level in Confidence.descending()),
    }
    values.update(overrides)
    return AlertContext(**values)
