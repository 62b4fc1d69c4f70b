"""ISO 3166-1 alpha-3 to alpha-2 country codes, with the codes ICAO Doc 9303 adds.

ICAO seals name their issuing state in alpha-3 ("AUS", "D" for Germany in the
MRZ), certificates in alpha-2 (C=AU): to compare the two, one table. The ISO
codes come from the country table shipped for the VDS format
(data/vds/countrycodes.csv).
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

__all__ = ["alpha2", "is_alpha2"]

# ICAO Doc 9303 Part 3 codes that are not ISO alpha-3, for states whose CSCA
# certificates carry an alpha-2 C: Germany's "D" (its MRZ code), the British
# nationality variants, Kosovo, and "UTO" (Utopia, the specimen state of the
# ICAO examples, whose test certificates say C=UT).
_ICAO = {"D": "DE", "GBD": "GB", "GBN": "GB", "GBO": "GB", "GBP": "GB", "GBS": "GB", "RKS": "XK", "UTO": "UT"}


@cache
def _table() -> dict[str, str]:
    text = resources.files("scanverify").joinpath("data", "vds", "countrycodes.csv").read_text(encoding="utf-8")
    return {**{row["alpha-3"]: row["alpha-2"] for row in csv.DictReader(io.StringIO(text))}, **_ICAO}


def alpha2(code: str) -> str | None:
    """The alpha-2 code of an ICAO/ISO alpha-3 state code ("AUS" -> "AU"), None if unknown."""
    return _table().get(code.replace("<", "").upper()) if code.isascii() else None


@cache
def _alpha2_codes() -> frozenset[str]:
    return frozenset(_table().values())


def is_alpha2(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code as written in seals: two known upper-case letters."""
    return len(code) == 2 and code.isascii() and code.isupper() and code in _alpha2_codes()
