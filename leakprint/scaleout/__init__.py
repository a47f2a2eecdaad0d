"""Scale-out (SPEC 15): scan runs crawled by ``leakprint worker`` processes on any
number of machines, sharing a Redis frontier (:mod:`crawler.fleet`) and one database.

- :mod:`leakprint.scaleout.coordinator`: the side that starts a run (``scan
  --distributed``, ``serve`` with ``redis_url``): announces it, reaps dead workers,
  sees it finish, sums the workers' coverage, deletes the frontier;
- :mod:`leakprint.scaleout.worker`: ``leakprint worker``, one crawl per announced run;
- :mod:`leakprint.scaleout.pipeline`: the match pipeline of a worker's crawl.
"""
