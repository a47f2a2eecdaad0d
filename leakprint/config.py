"""Settings: ``leakprint.toml`` in the working folder, overridden by ``LEAKPRINT_*`` variables.

Paths in the file are relative to the file's own folder, so a deployment folder can be
moved as a whole. Secrets (the key, the SMTP password) are never written back anywhere.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fingerprints.keyed import FingerprintKey
from leakprint.kindsettings import KindSettings, KindSettingsError, kind_settings
from matchers.confidence import Confidence

CONFIG_NAME = "leakprint.toml"
KEY_NAME = "leakprint.key"
DB_NAME = "leakprint.db"
THRESHOLDS = Confidence.names()
TLS_MODES = ("none", "starttls", "tls")


#: Every key ``leakprint.toml`` may hold, by table; any other is warned about by name
#: (a typo must not silently leave a setting at its default). ``[[source]]`` tables
#: are checked by the sources loader.
KNOWN_KEYS: dict[str, frozenset[str]] = {
    "leakprint": frozenset({"database_url", "key_file", "sets_dir", "sources", "scan_timeout",
                            "match_workers", "match_nice"}),
    "alerts": frozenset({"threshold"}),
    "smtp": frozenset({"host", "port", "tls", "from", "user", "password", "ca_file"}),
    "webhook": frozenset({"ca_file", "timeout"}),
    "crawl": frozenset({"allow_private_networks", "allowed_networks"}),
    "audit": frozenset({"anchor_file"}),
    "attribution": frozenset({"p"}),
    "retention": frozenset({"findings_days", "scan_runs_days", "closed_incidents_days",
                            "alerts_days", "audit_days"}),
    "scale": frozenset({"redis_url", "key_prefix", "domain_concurrency", "domain_delay"}),
    # The import's customer-number rule and custom kinds (leakprint.kindsettings);
    # ``kind`` is an array of tables, each checked against these keys.
    "customer_id": frozenset({"pattern", "check_digit"}),
    "kind": frozenset({"name", "pattern"}),
}
FREE_TABLES = frozenset({"source"})


def unknown_keys(data: Mapping[str, Any]) -> list[str]:
    """The keys of a parsed ``leakprint.toml`` that leakprint does not know, as
    ``table.key`` (or ``table`` for an unknown table)."""
    out: list[str] = []
    for table, value in data.items():
        if table in FREE_TABLES:
            continue
        known = KNOWN_KEYS.get(table)
        if known is not None and isinstance(value, list):  # [[table]]
            out += [f"{table}.{key}" for item in value if isinstance(item, dict)
                    for key in item if key not in known]
            continue
        if known is None or not isinstance(value, dict):
            out.append(table)
            continue
        out += [f"{table}.{key}" for key in value if key not in known]
    return out


class ConfigError(Exception):
    """A one-line, user-facing configuration problem (exit status 2)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    tls: str = "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "leakprint@localhost"
    timeout: float = 30.0
    ca_file: str | None = None


@dataclass(frozen=True)
class RetentionSettings:
    """``[retention]``: how many days each kind of record is kept; ``None`` keeps it
    for ever (``0`` in the file). Whatever belongs to an open incident, or one whose
    watch period is not over, is kept regardless (see :mod:`leakprint.retention`)."""

    findings_days: int | None = 365  # findings (by last seen) and scanned documents
    scan_runs_days: int | None = 90  # scan runs, their coverage errors and log files
    closed_incidents_days: int | None = 365  # after the incident was closed
    alerts_days: int | None = 90  # sent or failed alerts (pending ones never)
    audit_days: int | None = None  # the audit log: kept unless set


RETENTION_DEFAULTS = RetentionSettings()


def _retention(table: Mapping[str, Any], path: Path) -> RetentionSettings:
    values: dict[str, int | None] = {}
    for name in KNOWN_KEYS["retention"]:
        if name not in table:
            continue
        days = _int(table[name], f"{path}: retention.{name}")
        if days < 0 or days > 36500:
            raise ConfigError(f"{path}: retention.{name}: expected days from 0 (keep) "
                              "to 36500")
        values[name] = days or None
    return RetentionSettings(**values)


@dataclass(frozen=True)
class ScaleSettings:
    """``[scale]``: crawl workers sharing a Redis frontier (SPEC 15)."""

    redis_url: str | None = field(default=None, repr=False)  # may hold a password
    #: Prefix of every Redis key, so several deployments (or tests) share one Redis.
    key_prefix: str = "leakprint"
    #: Parallel requests to one host across the whole fleet, and the least gap
    #: between two of them (seconds).
    domain_concurrency: int = 4
    domain_delay: float = 0.0


@dataclass(frozen=True)
class Settings:
    """Resolved settings of one deployment folder."""

    home: Path
    database_url: str
    key_file: Path | None
    key_hex: str | None = field(default=None, repr=False)
    sets_dir: Path = Path("fingerprint-sets")
    sources_file: Path | None = None
    threshold: str = Confidence.MEDIUM.value
    scan_timeout: int = 3600
    match_workers: int | None = None  # matcher processes per crawl (None: one per core)
    match_nice: int | None = None  # their niceness (None: the pipeline's default, 19)
    smtp: SmtpSettings = SmtpSettings()
    scale: ScaleSettings = field(default_factory=lambda: ScaleSettings())
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: ``[audit] anchor_file``: the audit chain's anchored head (default: beside the
    #: SQLite database, else in the deployment folder).
    audit_anchor_file: Path | None = None
    #: ``[attribution] p``: the chance that a leaked record was obtained some other way
    #: than from a contractor (the guilty-agent model of SPEC 14).
    attribution_p: float = 0.5
    retention: RetentionSettings = RETENTION_DEFAULTS
    #: ``[customer_id]`` and ``[[kind]]``: what ``fingerprint import`` normalizes with.
    kinds: KindSettings = field(default_factory=KindSettings)

    @property
    def anchor_path(self) -> Path:
        """Where the audit anchor lives (see ``audit_anchor_file``)."""
        if self.audit_anchor_file is not None:
            return self.audit_anchor_file
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix):
            db_file = self.database_url[len(prefix):]
            if db_file and db_file != ":memory:":
                path = Path(db_file)
                return path.with_name(path.name + ".audit-anchor")
        return self.home / "audit-anchor.json"
    unknown: tuple[str, ...] = ()  # keys of the file leakprint ignores (warned about)

    def warnings(self) -> list[str]:
        """One line per key of ``leakprint.toml`` that leakprint does not know."""
        return [f"{self.config_path}: unknown key {key!r} ignored (a typo?)"
                for key in self.unknown]

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_NAME

    def load_key(self) -> FingerprintKey:
        """The deployment key: ``LEAKPRINT_KEY`` (hex) wins over the key file."""
        if self.key_hex:
            try:
                return FingerprintKey.from_hex(self.key_hex)
            except ValueError as exc:
                raise ConfigError(f"LEAKPRINT_KEY: {exc}") from None
        if self.key_file is None:
            raise ConfigError("no key configured: set LEAKPRINT_KEY or LEAKPRINT_KEY_FILE")
        if not self.key_file.exists():
            raise ConfigError(f"key file {self.key_file} not found: run `leakprint init`")
        try:
            return FingerprintKey.load(self.key_file)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"key file {self.key_file}: {exc}") from None


def default_config_text() -> str:
    """The ``leakprint.toml`` that ``leakprint init`` writes."""
    return f"""\
# leakprint settings. Paths are relative to this file.
# Environment variables override: LEAKPRINT_DATABASE_URL, LEAKPRINT_KEY (hex),
# LEAKPRINT_KEY_FILE, LEAKPRINT_SMTP_HOST/PORT/USER/PASSWORD/TLS/FROM,
# LEAKPRINT_MATCH_WORKERS, LEAKPRINT_MATCH_NICE, LEAKPRINT_REDIS_URL.

[leakprint]
database_url = "sqlite:///{DB_NAME}"     # or postgresql+psycopg://user@host:5432/db
key_file = "{KEY_NAME}"                   # keep it apart from fingerprint sets
sets_dir = "fingerprint-sets"             # where fingerprint sets are stored
sources = "sources.toml"                  # crawl sources; [[source]] tables here work too
scan_timeout = 3600                       # seconds before a scheduled crawl is killed
# match_workers = 2                       # matcher processes per crawl (default: 1 per core, ≤ 8)
# match_nice = 19                         # their niceness; 19: only CPU the crawl leaves

[alerts]
threshold = "medium"                      # low | medium | high

[attribution]
p = 0.5                                   # chance a leaked record came from elsewhere

[audit]
# anchor_file = "leakprint.db.audit-anchor"  # the audit chain's MAC'd head (default:
                                             # beside the SQLite database)

[retention]
# Days each kind of record is kept; 0 keeps it for ever. `leakprint purge` (and
# `serve`, once a day) deletes what is older. Nothing of an open incident, or of one
# whose watch period is not over, is ever purged.
findings_days = 365                       # findings not seen again for this long, and documents
scan_runs_days = 90                       # scan runs, their coverage errors and logs/
closed_incidents_days = 365               # incidents, counted from when they were closed
alerts_days = 90                          # sent or failed alerts (pending ones never)
# audit_days = 0                          # the audit log is kept; a number cuts it at a
                                          # checkpoint that `audit verify` accepts

[smtp]
host = "localhost"
port = 25
tls = "none"                              # none | starttls | tls
from = "leakprint@localhost"
# user = "alerts"                         # the password only via LEAKPRINT_SMTP_PASSWORD
# ca_file = "smtp-ca.pem"                 # a private CA for the server's certificate

[webhook]
# For `--notify https://…` recipients: a JSON POST of the alert's subject and text,
# to addresses the [crawl] policy allows (LEAKPRINT_WEBHOOK_CA_FILE overrides ca_file).
# ca_file = "hooks-ca.pem"                # a private CA for the hook's certificate
# timeout = 15                            # seconds

[customer_id]
# Your customer / contract numbers, checked at import (default: 6-20 letters and
# digits, at least 4 digits). The regex sees the value upper-cased, without dashes
# or spaces; rows whose number fails the check digit are reported, not fingerprinted.
# pattern = "C[0-9]{{7}}"
# check_digit = "luhn"                    # or "mod11"

# A field of your own: a value of it names one customer (like a phone number). Map
# its column to the name with --map; scanned text is searched for the pattern.
# [[kind]]
# name = "flets_id"                       # 1-16 of a-z 0-9 _
# pattern = "CAF[0-9]{{10}}"

[scale]
# redis_url = "redis://127.0.0.1:6379/0"  # set: scans go to `leakprint worker`s (docs/scale-out.md)
# domain_concurrency = 4                  # parallel requests per host, whole fleet
# domain_delay = 0.0                      # least seconds between two requests to a host
"""


def _sqlite_url(url: str, home: Path) -> str:
    # Relative SQLite paths are taken relative to the config folder, not the cwd.
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:" and not Path(rest).is_absolute():
            return prefix + str((home / rest).resolve())
    return url


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a whole number") from None


def _optional_int(value: Any, name: str, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    n = _int(value, name)
    if not low <= n <= high:
        raise ConfigError(f"{name}: expected a whole number from {low} to {high}")
    return n


def _scale_settings(scale: Mapping[str, Any], env: Mapping[str, str]) -> ScaleSettings:
    delay = env.get("LEAKPRINT_DOMAIN_DELAY") or scale.get("domain_delay", 0.0)
    try:
        domain_delay = float(delay)
    except (TypeError, ValueError):
        raise ConfigError("scale.domain_delay: expected a number of seconds") from None
    if not 0 <= domain_delay <= 3600:
        raise ConfigError("scale.domain_delay: expected 0 to 3600 seconds")
    prefix = str(env.get("LEAKPRINT_REDIS_PREFIX") or scale.get("key_prefix", "leakprint"))
    if not prefix or any(c.isspace() for c in prefix):
        raise ConfigError("scale.key_prefix: a non-empty word without spaces")
    return ScaleSettings(
        redis_url=env.get("LEAKPRINT_REDIS_URL") or scale.get("redis_url") or None,
        key_prefix=prefix,
        domain_concurrency=_optional_int(
            env.get("LEAKPRINT_DOMAIN_CONCURRENCY") or scale.get("domain_concurrency", 4),
            "scale.domain_concurrency", 1, 256) or 4,
        domain_delay=domain_delay,
    )


def load_settings(
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    require_file: bool = True,
) -> Settings:
    """Read ``leakprint.toml`` from ``home`` (default: ``LEAKPRINT_HOME`` or the cwd)."""
    env = os.environ if env is None else env
    home = Path(home or env.get("LEAKPRINT_HOME") or Path.cwd()).resolve()
    path = home / CONFIG_NAME
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    elif require_file and not env.get("LEAKPRINT_DATABASE_URL"):
        raise ConfigError(f"no {CONFIG_NAME} in {home}: run `leakprint init` there first")

    main = data.get("leakprint", {})
    alerts = data.get("alerts", {})
    smtp = data.get("smtp", {})
    audit = data.get("audit", {})
    attribution = data.get("attribution", {})
    scale = data.get("scale", {})

    database_url = env.get("LEAKPRINT_DATABASE_URL") or main.get(
        "database_url", f"sqlite:///{DB_NAME}"
    )
    key_file_value = env.get("LEAKPRINT_KEY_FILE") or main.get("key_file", KEY_NAME)
    key_file = (home / key_file_value) if key_file_value else None
    sources_value = main.get("sources", "sources.toml")
    threshold = str(alerts.get("threshold", Confidence.MEDIUM.value))
    if threshold not in THRESHOLDS:
        raise ConfigError(f"{path}: alerts.threshold must be one of {', '.join(THRESHOLDS)}")
    tls = env.get("LEAKPRINT_SMTP_TLS") or str(smtp.get("tls", "none"))
    if tls not in TLS_MODES:
        raise ConfigError(f"smtp tls must be one of {', '.join(TLS_MODES)}, not {tls!r}")
    smtp_settings = SmtpSettings(
        host=env.get("LEAKPRINT_SMTP_HOST") or str(smtp.get("host", "localhost")),
        port=_int(env.get("LEAKPRINT_SMTP_PORT") or smtp.get("port", 25), "smtp port"),
        tls=tls,
        user=env.get("LEAKPRINT_SMTP_USER") or smtp.get("user"),
        password=env.get("LEAKPRINT_SMTP_PASSWORD") or smtp.get("password"),
        sender=env.get("LEAKPRINT_SMTP_FROM") or str(smtp.get("from", "leakprint@localhost")),
        ca_file=env.get("LEAKPRINT_SMTP_CA_FILE") or smtp.get("ca_file"),
    )
    return Settings(
        home=home,
        database_url=_sqlite_url(str(database_url), home),
        key_file=key_file,
        key_hex=env.get("LEAKPRINT_KEY") or None,
        sets_dir=home / str(main.get("sets_dir", "fingerprint-sets")),
        sources_file=home / str(sources_value) if sources_value else None,
        threshold=threshold,
        scan_timeout=_int(main.get("scan_timeout", 3600), "scan_timeout"),
        match_workers=_optional_int(
            env.get("LEAKPRINT_MATCH_WORKERS") or main.get("match_workers"), "match_workers",
            1, 256,
        ),
        match_nice=_optional_int(
            env.get("LEAKPRINT_MATCH_NICE") or main.get("match_nice"), "match_nice", 0, 19
        ),
        smtp=smtp_settings,
        scale=_scale_settings(scale, env),
        raw=data,
        audit_anchor_file=home / str(audit["anchor_file"]) if audit.get("anchor_file") else None,
        attribution_p=_probability(attribution.get("p", 0.5), "attribution.p"),
        unknown=tuple(unknown_keys(data)),
        retention=_retention(retention if isinstance(retention := data.get("retention"), dict)
                             else {}, path),
        kinds=_kinds(data, path),
    )


def _kinds(data: Mapping[str, Any], path: Path) -> KindSettings:
    try:
        return kind_settings(data)
    except KindSettingsError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _probability(value: object, name: str) -> float:
    """A number in [0, 1), for ``name`` (a one-line error otherwise)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number between 0 and 1") from None
    if not 0.0 <= number < 1.0:
        raise ConfigError(f"{name} must be at least 0 and below 1")
    return number
