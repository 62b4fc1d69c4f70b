"""Verify throughput of two scanverify trees in one process: an older commit's against this one.

    git archive COMMIT src | tar -x -C /tmp/old
    python3 dev.py python benchmarks/verify_compare.py /tmp/old/src [--seconds 1]

Separate processes differ by more than the change being measured (the
machine is shared: its caches and the other hyperthread move a rate by
±10% from one minute to the next). Here the older tree is copied under the
package name ``scanverify_old`` (its imports are relative) and both verify
the same seals in the same process, their turns interleaved by
benchmarks/verify.py's ``rates`` (CPU time), against `cryptography`'s raw
ES256 verify: the sample CS1 seal (benchmarks/verify.py's) and a
single-chunk SMART Health Card (benchmarks/shc.py's), each signed with a
throw-away key.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old_src", help="the src/ folder of the older tree")
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per step and round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(Path(args.old_src) / "scanverify", Path(tmp) / "scanverify_old")
        for path in (tmp, ROOT / "src", ROOT / "tests", ROOT / "tools", ROOT / "benchmarks"):
            sys.path.insert(0, str(path))
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
        from make_samples import RECORD
        from shcseal import Issuer, card_payload
        from verify import rates

        at = datetime(2026, 11, 27, tzinfo=UTC)
        card_issuer = Issuer()
        card = card_issuer.card(card_payload())
        steps: dict[str, Callable[[], object]] = {}
        for package, label in (("scanverify_old", "old"), ("scanverify", "new")):
            sv = importlib.import_module(package)
            issuer = importlib.import_module(f"{package}.issuer")
            shc = importlib.import_module(f"{package}.formats.shc")
            key = issuer.generate_key("ES256")
            seal = issuer.sign_record(RECORD, key, iss="CN", issued_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
            entry = issuer.trust_entry(key.public_key(), iss="CN", name="bench")
            store = sv.TrustStore.from_bundle({"format": "scanverify.trust.v1", "keys": [entry]}, "bench")
            cs1 = sv.Verifier(trust=store, clock=sv.FixedClock(at))
            cards = sv.Verifier(trust=shc.load_jwks(card_issuer.jwks(), "bench"), clock=sv.FixedClock(at))
            assert cs1.verify_payload(seal).genuine and cards.verify_payload(card).genuine
            steps[f"{label}: CS1 verify_payload"] = lambda v=cs1, s=seal: v.verify_payload(s)
            steps[f"{label}: SHC verify_payload"] = lambda v=cards: v.verify_payload(card)
        parsed = importlib.import_module("scanverify.formats.shc").parse_card(card)
        public = card_issuer.private.public_key()
        r, s = int.from_bytes(parsed.signature[:32], "big"), int.from_bytes(parsed.signature[32:], "big")
        der, ecdsa = encode_dss_signature(r, s), ec.ECDSA(hashes.SHA256())
        steps["raw ES256 verify (cryptography)"] = lambda: public.verify(der, parsed.signing_input, ecdsa)
        measured = rates(steps, args.seconds)
    raw = measured["raw ES256 verify (cryptography)"]
    for name, per_second in measured.items():
        print(f"{name:<34}{per_second:>9,.0f}/s{1e6 / per_second:>8.1f} µs{per_second / raw:>7.0%} of raw")
    return 0


if __name__ == "__main__":
    sys.exit(main())
