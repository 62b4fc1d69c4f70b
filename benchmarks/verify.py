"""Verify throughput: Verifier.verify_payload on the sample CS1 seal against a bare ES256 check.

    python3 dev.py python benchmarks/verify.py [--seconds 3] [--profile]

The seal is made at run time with scanverify.issuer (the sample record of
tools/make_samples.py, a throw-away ES256 key, compressed as the samples are),
so no private key is ever stored. The plain alternative is the signature check
alone, in the same process: `cryptography`'s ECDSA verify over the same
Sig_structure bytes with the same key, as a caller with everything already
parsed would run it. Each rate is the best of a few rounds of about --seconds
each, interleaved, timed in this process's CPU time (time.process_time): the
machine is shared, and wall time would count the other work's turns on the
cores against whichever step was running; the best round is the least
disturbed one (caches, frequency).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools"))

import make_samples  # noqa: E402

from scanverify import FixedClock, Status, TrustStore, Verifier  # noqa: E402
from scanverify._codec import b45decode, cbor_decode, inflate_if_zlib  # noqa: E402
from scanverify.algorithms import ALGORITHMS  # noqa: E402
from scanverify.cose import parse_cose_sign1  # noqa: E402
from scanverify.issuer import generate_key, sign_record, trust_entry  # noqa: E402

RECORD = make_samples.RECORD  # the record of sample_images/genuine.jpg, made by that tool


def rates(
    steps: dict[str, Callable[[], object]], seconds: float, rounds: int = 5, turn: float = 0.002
) -> dict[str, float]:
    """Calls per second of each step, in CPU time: the best of ``rounds`` rounds.

    Within a round the steps take turns of about ``turn`` seconds each (a
    number of calls measured for each step first), each step's CPU time
    summed over its turns, until every step has had about ``seconds``: a
    burst of other work on the shared machine (its caches, the other
    hyperthread) then falls on every step alike, not on the one whose second
    it was, so the ratios hold from one run to the next. The price of short
    turns: each step starts its turn with caches and branch history the
    previous step left, which costs Python-heavy code more than a tight C
    loop (``--turn 1`` runs each step a second at a time, as plain loops do).
    """
    clock = time.process_time
    batch = {}
    for name, function in steps.items():
        started = clock()
        for _ in range(20):
            function()
        batch[name] = max(1, int(turn / max((clock() - started) / 20, 1e-7)))
    best = dict.fromkeys(steps, 0.0)
    for _ in range(rounds):
        spent = dict.fromkeys(steps, 0.0)
        calls = dict.fromkeys(steps, 0)
        while min(spent.values()) < seconds:
            for name, function in steps.items():
                count = batch[name]
                started = clock()
                for _ in range(count):
                    function()
                spent[name] += clock() - started
                calls[name] += count
        for name in steps:
            best[name] = max(best[name], calls[name] / spent[name])
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one timed round")
    parser.add_argument("--profile", action="store_true", help="also print where verify_payload spends its time")
    parser.add_argument(
        "--turn", type=float, default=0.002, help="seconds each step runs before the next takes its turn (default 0.002)"
    )
    args = parser.parse_args()

    key = generate_key("ES256")
    signed_at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    seal = sign_record(RECORD, key, iss="CN", issued_at=signed_at)
    store = TrustStore.from_bundle(
        {"format": "scanverify.trust.v1", "keys": [trust_entry(key.public_key(), iss="CN", name="bench")]}, "bench"
    )
    verifier = Verifier(trust=store, clock=FixedClock(datetime(2026, 11, 27, tzinfo=UTC)))
    assert verifier.verify_payload(seal).status is Status.GENUINE

    cose, _ = inflate_if_zlib(b45decode(seal[4:]))
    parsed = parse_cose_sign1(cose)
    message, signature, public_key = parsed.to_be_signed(), parsed.signature, key.public_key()
    es256 = ALGORITHMS["ES256"]
    assert es256.verify(public_key, message, signature)

    steps: dict[str, Callable[[], object]] = {
        "bare ES256 verify (cryptography)": lambda: es256.verify(public_key, message, signature),
        "Verifier.verify_payload": lambda: verifier.verify_payload(seal),
        "  Base45 decode": lambda: b45decode(seal[4:]),
        "  zlib inflate": lambda: inflate_if_zlib(b45decode(seal[4:])),
        "  CBOR decode (COSE and claims)": lambda: cbor_decode(parsed.payload) and cbor_decode(cose),
    }
    print(f"seal: {len(seal)} characters, {len(cose)} bytes of COSE")
    measured = rates(steps, args.seconds, turn=args.turn)
    bare = measured["bare ES256 verify (cryptography)"]
    for name, per_second in measured.items():
        print(f"{name:<36}{per_second:>10,.0f}/s{1e6 / per_second:>9.1f} µs{per_second / bare:>8.0%} of bare")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(3000):
            verifier.verify_payload(seal)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
    return 0


if __name__ == "__main__":
    sys.exit(main())
