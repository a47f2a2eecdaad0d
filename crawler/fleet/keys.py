"""The Redis keys of the fleet: every one under the deployment's prefix, a run's
under ``<prefix>:run:<id>:`` so that deleting them ends the run's frontier."""

from __future__ import annotations

from dataclasses import dataclass

#: A worker whose heartbeat is older than this is taken for dead (its requests go back).
HEARTBEAT_TTL_MS = 6000
HEARTBEAT_EVERY = 1.0


@dataclass(frozen=True)
class FleetKeys:
    """Key names for ``prefix`` (and one scan run, ``run``)."""

    prefix: str
    run: int = 0

    @property
    def runs(self) -> str:
        """SET of the scan runs workers should take part in."""
        return f"{self.prefix}:runs"

    def worker(self, worker: str) -> str:
        """A worker's heartbeat (expires when it stops beating)."""
        return f"{self.prefix}:worker:{worker}"

    def domain(self, host: str) -> tuple[str, str]:
        """One host's fleet-wide leases (ZSET) and next allowed start (ms)."""
        return f"{self.prefix}:domain:{host}:leases", f"{self.prefix}:domain:{host}:next"

    def _run(self, what: str) -> str:
        return f"{self.prefix}:run:{self.run}:{what}"

    @property
    def spec(self) -> str:
        return self._run("spec")

    @property
    def requests(self) -> str:
        return self._run("requests")

    @property
    def dupefilter(self) -> str:
        return self._run("dupefilter")

    @property
    def budget(self) -> str:
        return self._run("budget")

    @property
    def workers(self) -> str:
        return self._run("workers")

    @property
    def seeded(self) -> str:
        return self._run("seeded")

    @property
    def done(self) -> str:
        return self._run("done")

    def processing(self, worker: str) -> str:
        return self._run(f"processing:{worker}")

    @property
    def processing_pattern(self) -> str:
        return self._run("processing:*")

    def frontier(self) -> list[str]:
        """The keys deleted when the run ends (the done flag stays a while)."""
        return [self.spec, self.requests, self.dupefilter, self.budget, self.workers,
                self.seeded]
