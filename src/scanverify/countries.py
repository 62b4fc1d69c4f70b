"""ISO 3166-1 country codes, with the codes ICAO Doc 9303 adds: one table for every format.

ICAO seals name their issuing state in alpha-3 ("AUS", "D" for Germany in the
MRZ), certificates in alpha-2 (C=AU): to compare the two, :func:`alpha2`; to
show the clerk which state a code means, :func:`names`. The ISO codes come
from the country table shipped for the VDS format (data/vds/countrycodes.csv,
from tsenger/vdstools), read once.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources
from typing import NamedTuple

__all__ = ["alpha2", "is_alpha2", "names"]


class _Icao(NamedTuple):
    alpha2: str
    name: str

# ICAO Doc 9303 Part 3 codes that are not ISO alpha-3, for states whose CSCA
# certificates carry an alpha-2 C: Germany's "D" (its MRZ code), the British
# nationality variants, Kosovo, the EU, and "UTO" (Utopia, the specimen state
# of the ICAO examples, whose test certificates say C=UT).
_ICAO = {
    "D": _Icao("DE", "Germany"),
    "GBD": _Icao("GB", "British Overseas Territories citizen"),
    "GBN": _Icao("GB", "British National (Overseas)"),
    "GBO": _Icao("GB", "British Overseas citizen"),
    "GBP": _Icao("GB", "British protected person"),
    "GBS": _Icao("GB", "British subject"),
    "RKS": _Icao("XK", "Kosovo"),
    "UTO": _Icao("UT", "Utopia (ICAO specimen state)"),
    "EUE": _Icao("EU", "European Union"),
}


@cache
def _table() -> dict[str, _Icao]:
    text = resources.files("scanverify").joinpath("data", "vds", "countrycodes.csv").read_text(encoding="utf-8")
    iso = {row["alpha-3"]: _Icao(row["alpha-2"], row["name"]) for row in csv.DictReader(io.StringIO(text))}
    return {**iso, **_ICAO}


def alpha2(code: str) -> str | None:
    """The alpha-2 code of an ICAO/ISO alpha-3 state code ("AUS" -> "AU"), None if unknown."""
    found = _table().get(code.replace("<", "").upper()) if code.isascii() else None
    return found.alpha2 if found else None


@cache
def names() -> dict[str, str]:
    """Country names by ICAO/ISO alpha-3 code ("AUS" -> "Australia", "D" -> "Germany")."""
    return {code: entry.name for code, entry in _table().items()}


@cache
def _alpha2_codes() -> frozenset[str]:
    return frozenset(entry.alpha2 for entry in _table().values())


def is_alpha2(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code as written in seals: two known upper-case letters."""
    return len(code) == 2 and code.isascii() and code.isupper() and code in _alpha2_codes()
