"""An incident's cadence: durations (``30m``, ``90d``) and crontab expressions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from leakprint.inputs import InputError, esc, lit

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MIN_INTERVAL = 60
MAX_SECONDS = 10 * 366 * 86400


class IncidentError(InputError):
    """A one-line, user-facing incident problem (naming the fields it is about)."""


def parse_duration(text: str, field: str) -> timedelta:
    """``30m``, ``6h``, ``90d``, ``2w`` or ``45s``; zero is refused. ``field``: the
    input's name, for the error."""
    what = f"{{{field}}} {lit(text)}"
    m = DURATION.match(text.strip())
    if not m:
        raise IncidentError.about(f"{what}: use a number and s, m, h, d or w (e.g. 30m, 90d)")
    seconds = int(m.group(1)) * SECONDS[m.group(2)]
    if seconds <= 0:
        raise IncidentError.about(f"{what}: must be longer than zero")
    if seconds > MAX_SECONDS:
        raise IncidentError.about(f"{what}: at most 10 years")
    return timedelta(seconds=seconds)


WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _crontab_weekday(value: str) -> int:
    value = value.strip().lower()
    if value in WEEKDAYS:
        return WEEKDAYS.index(value)
    if value.isdigit() and 0 <= int(value) <= 7:
        return int(value) % 7
    raise ValueError(f"day of week {value!r} is not 0-7 or sun-sat")


def _weekday_field(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as APScheduler weekday names.

    APScheduler 3 counts 0 as Monday, so a crontab ``0`` handed over as is would fire
    on the wrong day; explicit names cannot be misread.
    """
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.split(","):
        spec, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"day of week step {step_text!r} is not a positive number")
        if spec == "*":
            first, last = 0, 6
        elif "-" in spec:
            a, b = spec.split("-", 1)
            first, last = _crontab_weekday(a), _crontab_weekday(b)
            if b.strip() == "7":
                last = 7
            if last < first:
                raise ValueError(f"day of week range {spec!r} runs backwards")
        else:
            first = last = _crontab_weekday(spec)
            if step:
                last = 6
        days.update(d % 7 for d in range(first, last + 1, step or 1))
    return ",".join(WEEKDAYS[d] for d in sorted(days))


def crontab_trigger(expression: str, *, end_date: datetime | None = None) -> CronTrigger:
    """An APScheduler trigger for a standard five-field crontab line, in UTC."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_field(weekday),
        end_date=end_date,
        timezone="UTC",
    )


def check_cron(expression: str) -> str:
    """Validate a five-field crontab expression (UTC); returns it with spaces normalized."""
    expression = " ".join(expression.split())
    try:
        crontab_trigger(expression)
    except ValueError as exc:
        raise IncidentError.about(f"{{cron}} {lit(expression)}: {esc(str(exc))}") from None
    return expression
