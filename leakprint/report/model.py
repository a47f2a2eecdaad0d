"""The regulator report as a typed object (SPEC 16), built from the database.

:func:`build_report` reads the incident's facts (:mod:`leakprint.report.facts`) and
lays them out as the nine items of 規則8条1項, the deadlines, the reportability
criteria and the evidence appendix; :mod:`leakprint.report.render` writes it as
Markdown and HTML. Nothing here holds a customer value: kinds, counts, dates, the
stored (redacted) URLs, shape-only snippets, and record references only on request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Literal

from sqlalchemy.orm import Session

from fingerprints.normalizers import BUILTIN, Role
from leakprint.attribution import DEFAULT_P
from leakprint.db.models import Incident
from leakprint.report import facts
from leakprint.report.texts import ITEMS, KIND_WORDS, LEVEL_WORDS, T
from matchers.confidence import Confidence

Stage = Literal["preliminary", "final"]
Lang = Literal["ja", "en"]
JST = timezone(timedelta(hours=9), "JST")
#: More persons than this make a leak reportable on its own (規則7条4号).
PERSONS_LIMIT = 1000
#: Kinds whose misuse could cause financial loss (規則7条2号), if a dataset declares them.
FINANCIAL_KINDS = frozenset({"card", "card_number", "credit_card", "bank_account",
                             "account_number", "password", "credential"})
#: The order in which data items are named (a customer file's usual column order).
#: Who the person is (weak kinds), then where (supporting), then how to reach them
#: and their number (primary), each in registry order.
_ROLE_ORDER = (Role.WEAK, Role.SUPPORTING, Role.PRIMARY)
KIND_ORDER = {k: i for i, k in enumerate(sorted(
    BUILTIN, key=lambda k: (_ROLE_ORDER.index(BUILTIN[k].role), BUILTIN[k].order)))}
#: Scan runs listed in the appendix: a watch scanning every minute makes thousands;
#: the latest are listed, all of them are summed in item 9.
MAX_LISTED_RUNS = 200
PRELIMINARY_DAYS = (3, 5)  # 速やかに: the guideline's 3–5 days
FINAL_DAYS, FINAL_DAYS_WRONGFUL = 30, 60


class ReportError(Exception):
    """The report cannot be drafted (no such incident)."""


def when(value: datetime | None) -> str:
    """A time as the report shows it: Japan time, to the minute."""
    if value is None:
        return "—"
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M JST")


@dataclass(frozen=True)
class Item:
    """One item of 規則8条1項: what leakprint knows, and what the operator must fill."""

    number: int
    heading_ja: str
    heading_en: str
    known: tuple[str, ...] = ()
    operator: tuple[str, ...] = ()  # each one plainly marked for the operator


@dataclass(frozen=True)
class Criterion:
    """One reportability criterion of 規則7条 and what leakprint can say about it."""

    label: str
    verdict: str
    by_operator: bool
    met: bool | None = None


@dataclass(frozen=True)
class Deadlines:
    aware_on: date
    preliminary_from: date
    preliminary_latest: date
    final_due: date
    final_days: int


def deadlines(aware_on: date, wrongful: bool) -> Deadlines:
    """速報 "promptly" (the guideline's 3–5 days), 確報 30 days (60 when wrongful)."""
    days = FINAL_DAYS_WRONGFUL if wrongful else FINAL_DAYS
    return Deadlines(aware_on, aware_on + timedelta(days=PRELIMINARY_DAYS[0]),
                     aware_on + timedelta(days=PRELIMINARY_DAYS[1]),
                     aware_on + timedelta(days=days), days)


@dataclass(frozen=True)
class Event:
    at: str
    what: str
    sort_key: datetime


@dataclass(frozen=True)
class Report:
    """Everything the report says, in the chosen language."""

    lang: Lang
    stage: Stage
    title: str
    incident_id: int
    incident_name: str
    generated: str
    threshold: str
    persons: int
    deadlines: Deadlines | None
    wrongful: bool
    criteria: tuple[Criterion, ...]
    looks_reportable: bool
    items: tuple[Item, ...]
    timeline: tuple[Event, ...]
    findings: tuple[facts.FindingFact, ...]
    runs: tuple[facts.RunFact, ...]
    refs: tuple[tuple[str, str], ...] | None = None
    t: dict[str, str] = field(default_factory=dict, repr=False)
    runs_omitted: int = 0  # earlier runs not listed in the appendix (counted in item 9)

    def kinds_words(self, kinds: tuple[str, ...] | list[str]) -> str:
        return words(self.lang, kinds)

    def level(self, level: str) -> str:
        return LEVEL_WORDS[self.lang].get(level, level)


def words(lang: Lang, kinds: tuple[str, ...] | list[str]) -> str:
    """Kinds as the report names the data items, each once, in the kinds' order."""
    sep = "、" if lang == "ja" else ", "
    ordered = sorted(kinds, key=lambda k: (KIND_ORDER.get(k, len(KIND_ORDER)), k))
    return sep.join(dict.fromkeys(KIND_WORDS[lang].get(k, k) for k in ordered))


def build_report(session: Session, incident_id: int, *, stage: Stage = "preliminary",
                 lang: Lang = "ja", aware_on: date | None = None, wrongful: bool = False,
                 with_refs: bool = False, now: datetime | None = None,
                 attribution_p: float = DEFAULT_P) -> Report:
    """Draft the report of incident ``incident_id`` (see the module docstring);
    ``attribution_p`` is ``[attribution] p`` of the guilty-agent model (SPEC 14)."""
    incident = facts.get_incident_row(session, incident_id)
    if incident is None:
        raise ReportError(f"no incident {incident_id} (see `leakprint incident list`)")
    t = T[lang]
    now = now or datetime.now(UTC)
    found = facts.findings_of(session, incident_id)
    runs = facts.runs_of(session, incident_id)
    threshold = incident.threshold
    persons = facts.persons_affected(session, incident_id, threshold)
    levels = facts.persons_by_level(session, incident_id)
    kinds = facts.kinds_of(found)
    due = deadlines(aware_on, wrongful) if aware_on else None
    sent = facts.first_alert_sent(session, incident_id)
    lvl = LEVEL_WORDS[lang]

    criteria = _criteria(t, persons, kinds, wrongful, bool(found))
    looks = any(c.met for c in criteria)
    first = found[0] if found else None
    best = max((f.confidence for f in found), key=Confidence.rank_of, default=Confidence.LOW)
    sources = sorted({f.source or "file" for f in found})
    na = t["none"]

    items: list[Item] = []
    summary = (t["summary_auto"].format(
        id=incident_id, name=incident.name, sources=len(incident.sources), docs=len(found),
        level=lvl[best], first=when(first.first_seen), url=first.url,
        source=first.source or "file") if first else
        t["summary_none"].format(id=incident_id, name=incident.name))
    items.append(Item(1, *ITEMS[0], known=(summary,), operator=(t["summary_operator"],)))
    datasets = ", ".join(sorted({f.dataset for f in found})) or na
    items.append(Item(2, *ITEMS[1], known=(
        t["items_auto"].format(kinds=words(lang, kinds), datasets=datasets)
        if kinds else t["items_none"],), operator=(t["items_operator"],)))
    below = sum(n for level, n in levels.items()
                if Confidence.rank_of(level) < Confidence.rank_of(threshold))
    items.append(Item(3, *ITEMS[2], known=(
        t["persons_auto"].format(n=f"{persons:,}", threshold=lvl[threshold],
                                 low=f"{below:,}"),
        t["persons_levels"].format(**{k: f"{v:,}" for k, v in levels.items()}),
        t["persons_bound"])))
    attributed = facts.attribution(session, incident_id, attribution_p)
    attribution_line = (t["no_ledger"] if attributed.status == facts.NO_LEDGER
                        else "; ".join(attributed.lines))
    items.append(Item(4, *ITEMS[3], known=(f"{t['attribution']}: {attribution_line}",),
                      operator=(t["cause_operator"],)))
    last = max((f.last_seen for f in found), default=None)
    items.append(Item(5, *ITEMS[4], known=((t["harm_auto"].format(
        docs=len(found), sources=len(sources), first=when(first.first_seen), last=when(last)),)
        if first else ()), operator=(t["harm_operator"],)))
    items.append(Item(6, *ITEMS[5], known=(t["refs_note"],) if with_refs else (),
                      operator=(t["persons_action_operator"],)))
    items.append(Item(7, *ITEMS[6], operator=(t["publication_operator"],)))
    items.append(Item(8, *ITEMS[7], known=(t["prevention_auto"].format(
        end=when(incident.ends_at), state=t["state_open" if incident.state == "open"
                                            else "state_closed"]),),
        operator=(t["prevention_operator"],)))
    items.append(Item(9, *ITEMS[8], known=(
        f"{t['sources']}: {', '.join(incident.sources) or na}",
        f"{t['coverage'].format(since=when(incident.created_at))}: " + _coverage(t, runs)),
        operator=(t["other_operator"],)))

    timeline = _timeline(t, lvl, incident, found, sent, due)
    refs = tuple(facts.affected_refs(session, incident_id, threshold)) if with_refs else None
    return Report(
        lang=lang, stage=stage, title=t[f"title_{stage}"], incident_id=incident_id,
        incident_name=incident.name, generated=when(now), threshold=threshold,
        persons=persons, deadlines=due, wrongful=wrongful, criteria=criteria,
        looks_reportable=looks, items=tuple(items), timeline=timeline,
        findings=tuple(found), runs=tuple(runs[-MAX_LISTED_RUNS:]), refs=refs, t=t,
        runs_omitted=max(0, len(runs) - MAX_LISTED_RUNS))


def _criteria(t: dict[str, str], persons: int, kinds: list[str], wrongful: bool,
              found: bool) -> tuple[Criterion, ...]:
    financial = sorted(set(kinds) & FINANCIAL_KINDS)
    over = persons > PERSONS_LIMIT
    return (
        Criterion(t["crit_persons"], f"{t['yes'] if over else t['no']} ({persons:,})",
                  False, over),
        Criterion(t["crit_financial"], t["yes"] if financial else t["no"], False,
                  bool(financial)),
        Criterion(t["crit_sensitive"], t["sensitive_hint"], True),
        Criterion(t["crit_wrongful"], t["wrongful_given"] if wrongful else
                  (t["wrongful_hint"] if found else t["operator"]), True,
                  True if wrongful else None),
    )


def _coverage(t: dict[str, str], runs: list[facts.RunFact]) -> str:
    if not runs:
        return t["coverage_none"]
    ok = sum(r.status == "ok" for r in runs)
    failed = sum(r.status == "failed" for r in runs)
    return t["coverage_text"].format(
        runs=len(runs), ok=ok, failed=failed, other=len(runs) - ok - failed,
        pages=f"{sum(r.pages for r in runs):,}", errors=f"{sum(r.errors for r in runs):,}",
        gaps=f"{sum(sum(r.coverage.values()) for r in runs):,}",
        last=when(runs[-1].finished_at or runs[-1].started_at))


def _timeline(t: dict[str, str], lvl: dict[str, str], incident: Incident,
              found: list[facts.FindingFact], sent: datetime | None,
              due: Deadlines | None) -> tuple[Event, ...]:
    events: list[tuple[datetime, str]] = [(incident.created_at, t["ev_opened"])]
    for i, f in enumerate(found):
        label = (t["ev_first"].format(id=f.id) if i == 0 else
                 t["ev_finding"].format(id=f.id, count=f.record_count, level=lvl[f.confidence]))
        events.append((f.first_seen, label))
    if sent is not None:
        events.append((sent, t["ev_alert"]))
    if incident.closed_at is not None:
        events.append((incident.closed_at, t["ev_closed"]))
    out = [Event(when(at), what, at) for at, what in events]
    if due is not None:
        # A date given by the operator is a Japanese calendar day; a due date ends with it.
        for day, what, end in ((due.aware_on, t["ev_aware"], False),
                               (due.preliminary_latest, t["ev_prelim"], True),
                               (due.final_due, t["ev_final"], True)):
            at = datetime.combine(day, time(23, 59, 59) if end else time(0), JST)
            out.append(Event(day.isoformat(), what, at))
    return tuple(sorted(out, key=lambda e: e.sort_key))
