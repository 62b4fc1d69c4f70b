"""The built-in certificates of the chained formats (VDS, VDS-NC, 2D-DOC), loaded late.

``data/public_certificates.json`` (a ``scanverify.trust.v1`` bundle written by
tools/make_public_trust.py from published material, each entry with its
origin) holds CSCAs, the ANTS 2D-Doc certification authorities with the
signer certificates they issued, and test signers marked specimen. Reading a
certificate leniently costs about 2.5 ms, so these are not read at start: each
format names its loader here as ``built_in_trust``, and the trust store loads
it the first time a seal of that format is verified (``TrustStore.for_format``),
with only the entries that serve that format.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..trust import TrustStore

__all__ = ["DATA_FILE", "for_ddoc", "for_format", "for_vds", "for_vdsnc"]

DATA_FILE = "data/public_certificates.json"


def for_format(format_name: str) -> TrustStore:
    """The built-in certificate entries that serve ``format_name``, as a TrustStore."""
    from ..trust import TrustStore

    bundle = json.loads(resources.files("scanverify").joinpath(DATA_FILE).read_text("utf-8"))
    # Filtered before it is read: a VDS seal never pays for the 2D-Doc certificates.
    bundle["keys"] = [k for k in bundle.get("keys", []) if format_name in (k.get("formats") or ())]
    return TrustStore.from_bundle(bundle, source=f"built-in {format_name} certificates")


def for_vds() -> TrustStore:
    return for_format("VDS")


def for_vdsnc() -> TrustStore:
    return for_format("VDS-NC")


def for_ddoc() -> TrustStore:
    return for_format("2D-DOC")
