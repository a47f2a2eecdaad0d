"""Matching scraped text against fingerprint sets (SPEC section 4).

Pure: imports only ``fingerprints``; no network, Scrapy or database.

    from matchers import Matcher
    result = Matcher(fpset).scan_bytes(body, name=url)
"""

from matchers.parallel import scan_file
from matchers.result import MatchResult, RecordHit
from matchers.scan import Matcher

__all__ = ["MatchResult", "Matcher", "RecordHit", "scan_file"]
