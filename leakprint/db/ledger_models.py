"""Contractor ledger models (SPEC 14): who holds which records, and their canaries.

No column holds a customer or canary value: handovers keep a compressed bitmap
over the fingerprint set's record rows, canaries only their pseudonymous
reference and the contractor they were minted for.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leakprint.db.models import Base, utcnow


class Contractor(Base):
    """A contractor or sub-contractor (``parent_id``) and its contract kind."""

    __tablename__ = "contractors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("contractors.id", ondelete="RESTRICT"), nullable=True)
    contract: Mapped[str] = mapped_column(String(30), default="entrustment")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Handover(Base):
    """Records of one dataset handed to one contractor.

    ``members`` is a serialized Roaring bitmap over the set's record rows as of
    ``set_digest`` (the SHA-256 of the set's ``refs.txt``); a re-import of the
    dataset maps it through the references to the new rows (and updates both).
    """

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(
        ForeignKey("contractors.id", ondelete="CASCADE"), index=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    handed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    members: Mapped[bytes] = mapped_column(LargeBinary)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    set_digest: Mapped[str] = mapped_column(String(64), default="")
    canaries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Canary(Base):
    """One canary record: its reference in the dataset's canary companion set."""

    __tablename__ = "canaries"
    __table_args__ = (UniqueConstraint("dataset", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contractor_id: Mapped[int] = mapped_column(
        ForeignKey("contractors.id", ondelete="CASCADE"), index=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    ref: Mapped[str] = mapped_column(String(200), index=True)
    batch: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
