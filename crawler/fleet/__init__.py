"""A crawl shared by several worker processes through Redis (SPEC 15).

scrapy-redis supplies the shared scheduler and duplicate filter; this package adds
what a fleet of crawl workers needs on top, all plain Scrapy + Redis:

- :mod:`crawler.fleet.keys`: the Redis keys of one scan run, all under one prefix;
- :mod:`crawler.fleet.frontier`: the scheduler with a reliable hand-off (a request
  popped by a worker waits in that worker's processing list until its page has been
  read and its documents stored; a dead worker's list goes back to the queue);
- :mod:`crawler.fleet.politeness`: per-host concurrency and delay for the whole fleet;
- :mod:`crawler.fleet.addon`: switches a crawl to all of this (``LEAKPRINT_FLEET=1``).
"""
