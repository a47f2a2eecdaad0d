"""Attribution of stored findings to contractors (SPEC 14): the ledger side.

Gathers, per finding, its customer records at medium or above (as rows of the
dataset's set), the canaries in it, and every contractor's holdings of that
dataset, then ranks them with :mod:`leakprint.attribution`. Nothing here reads
or shows a value: only references, counts and names of contractors.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from pyroaring import BitMap
from sqlalchemy import select
from sqlalchemy.orm import Session

from leakprint.attribution import DEFAULT_P, attribute
from leakprint.contractors.ledger import chain_of, holdings, stale_handovers
from leakprint.contractors.membership import MembershipError, SetRefs
from leakprint.db import Canary, Contractor, Dataset, Finding, Handover
from matchers.companion import is_canary_ref


def _contractors(session: Session, dataset: str) -> list[Contractor]:
    ids = set(session.scalars(select(Handover.contractor_id).where(Handover.dataset == dataset)))
    ids |= set(session.scalars(select(Canary.contractor_id).where(Canary.dataset == dataset)))
    if not ids:
        return []
    return list(session.scalars(select(Contractor).where(Contractor.id.in_(ids))))


def attribute_findings(session: Session, findings: list[Finding], p: float = DEFAULT_P
                       ) -> list[dict[str, Any]]:
    """The SPEC 14 JSON of each finding: ``{finding, dataset, records, candidates,
    verdict}``; one pass over a dataset's references for all its findings."""
    by_dataset: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_dataset[f.dataset].append(f)
    out: dict[int, dict[str, Any]] = {}
    for dataset, group in by_dataset.items():
        people = {f.id: {r.record_ref for r in f.records
                         if r.confidence != "low" and not is_canary_ref(r.record_ref)}
                  for f in group}
        rows_of: dict[str, int] = {}
        row = session.scalars(select(Dataset).where(Dataset.name == dataset)).first()
        wanted = set().union(*people.values())
        digest: str | None = None
        if row is not None:
            try:
                refs = SetRefs.open(Path(row.path))
                digest = refs.digest
                if wanted:
                    rows, _ = refs.rows_of(wanted)
                    rows_of = {refs.refs[r]: r for r in rows}
            except MembershipError:
                rows_of = {}
        contractors = _contractors(session, dataset)
        held = {c.name: holdings(session, c.id, dataset, digest) for c in contractors}
        stale = stale_handovers(session, dataset, digest) if digest is not None else 0
        names = {c.id: c for c in contractors}
        canary_owner = {}
        canary_refs = {r.record_ref for f in group for r in f.records
                       if is_canary_ref(r.record_ref)}
        if canary_refs:
            for c in session.scalars(select(Canary).where(Canary.dataset == dataset,
                                                          Canary.ref.in_(canary_refs))):
                canary_owner[c.ref] = c.contractor_id
        for f in group:
            leaked = BitMap(rows_of[ref] for ref in people[f.id] if ref in rows_of)
            canaries: dict[str, int] = defaultdict(int)
            for r in f.records:
                owner = canary_owner.get(r.record_ref)
                if owner is not None and owner in names:
                    canaries[names[owner].name] += 1
            result = attribute(leaked, held, canaries, p)
            by_name = {c.name: c for c in contractors}
            out[f.id] = {
                "finding": f.id,
                "dataset": dataset,
                "records": result.records,
                "unmatched_records": len(people[f.id]) - len(leaked),
                "verdict": result.verdict,
                "p": p,
                "ledger": bool(contractors),
                # handovers recorded against another build of the set: not counted
                "stale_handovers": stale,
                "candidates": [
                    {"contractor": c.contractor,
                     "chain": chain_of(session, by_name[c.contractor]),
                     "contract": by_name[c.contractor].contract,
                     "held": c.held, "held_share": round(c.held_share, 4),
                     "canaries": c.canaries, "guilt": round(c.guilt, 6)}
                    for c in result.candidates
                ],
            }
    return [out[f.id] for f in findings]


def summary_line(item: dict[str, Any]) -> str:
    """One line for a list or an e-mail: verdict and the top candidate."""
    cands = item["candidates"]
    if not cands:
        return "likely source: none of the recorded contractors held these records"
    top = cands[0]
    chain = " > ".join(top["chain"])
    if item["verdict"] == "certain":
        return f"likely source: {chain} — certain ({top['canaries']} of its canaries present)"
    return (f"likely source: {chain} — {item['verdict']} (guilt {top['guilt']:.2f}, "
            f"held {top['held_share']:.0%} of the records)")


__all__ = ["attribute_findings", "summary_line"]
