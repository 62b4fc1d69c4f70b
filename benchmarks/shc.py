"""SMART Health Cards verify throughput against a raw ES256 verify loop, in one process.

    python3 dev.py python benchmarks/shc.py [--seconds 2]

Target (issue 11): a single-chunk card verifies at least half as fast as the raw
ES256 verify (cryptography/OpenSSL) alone. A throw-away key signs the card.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from shcseal import Issuer, card_payload

from scanverify import FixedClock, Verifier
from scanverify.formats import shc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify import rates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one timed round")
    seconds = parser.parse_args().seconds
    issuer = Issuer()
    data = issuer.card(card_payload())
    store = shc.load_jwks(issuer.jwks(), "benchmark")
    verifier = Verifier(trust=store, clock=FixedClock(datetime(2026, 11, 27, tzinfo=UTC)))
    assert verifier.verify_payload(data).genuine
    card = shc.parse_card(data)
    public = issuer.private.public_key()
    der = encode_dss_signature(int.from_bytes(card.signature[:32], "big"), int.from_bytes(card.signature[32:], "big"))

    def raw() -> None:
        public.verify(der, card.signing_input, ec.ECDSA(hashes.SHA256()))

    # Interleaved rounds, best of each, in CPU time: benchmarks/verify.py's rates().
    measured = rates(
        {"raw": raw, "card": lambda: verifier.verify_payload(data), "parse": lambda: shc.parse_card(data)}, seconds
    )
    raw_rate, card_rate, parse_rate = measured["raw"], measured["card"], measured["parse"]
    print(
        f"card: {len(data)} bytes of shc:/ text, payload {len(zlib.compress(json.dumps(card_payload()).encode()))} B deflated"
    )
    print(f"raw ES256 verify        {raw_rate:10.0f} /s")
    print(f"SHC verify_payload      {card_rate:10.0f} /s   ({card_rate / raw_rate:.2f} of raw; target >= 0.50)")
    print(f"SHC parse only          {parse_rate:10.0f} /s")


if __name__ == "__main__":
    main()
