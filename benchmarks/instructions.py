"""Verify throughput in CPU instructions: each step against the plain alternative, in one run.

    python3 dev.py python benchmarks/instructions.py [--calls 400] [--suite cs1|shc|all]

The machine is shared: wall time, and even CPU time, move with the other
work on it (caches, frequency, the same script gave 41% to 53% from one
minute to the next). Instructions do not. This script runs itself under
valgrind's callgrind, instrumentation off until the timed loops begin; each
step is warmed up, then counted over ``--calls`` calls (collection toggled
through callgrind's client requests, by a 5-line C helper compiled at run
time with gcc and valgrind's headers), and reported in instructions per
call. A rate in instructions is the inverse: "of bare" is bare instructions
over the step's.

Suites:

- ``cs1``: ``Verifier.verify_payload`` on the sample CS1 seal (the record of
  benchmarks/verify.py, a throw-away ES256 key) against the bare ES256
  check (``algorithms.ES256.verify`` over the same bytes) and against
  `cryptography`'s verify alone (DER signature made beforehand);
- ``shc``: ``Verifier.verify_payload`` on a single-chunk SMART Health Card
  (benchmarks/shc.py's) against the raw ES256 verify of `cryptography`.

Needs valgrind (with its headers) and gcc; nothing else is installed.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELPER_C = """\
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void cg_zero(void) { CALLGRIND_ZERO_STATS; }
void cg_toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
void cg_dump(const char *s) { CALLGRIND_DUMP_STATS_AT(s); }
"""


def cs1_steps() -> dict[str, Callable[[], object]]:
    from datetime import UTC, datetime

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from verify import RECORD

    from scanverify import FixedClock, Status, TrustStore, Verifier
    from scanverify._codec import b45decode, cbor_decode, inflate_if_zlib
    from scanverify.algorithms import ALGORITHMS
    from scanverify.cose import parse_cose_sign1
    from scanverify.formats import find_format
    from scanverify.issuer import generate_key, sign_record, trust_entry
    from scanverify.verifier import judge

    key = generate_key("ES256")
    seal = sign_record(RECORD, key, iss="CN", issued_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    store = TrustStore.from_bundle(
        {"format": "scanverify.trust.v1", "keys": [trust_entry(key.public_key(), iss="CN", name="bench")]}, "bench"
    )
    at = datetime(2026, 11, 27, tzinfo=UTC)
    verifier = Verifier(trust=store, clock=FixedClock(at))
    assert verifier.verify_payload(seal).status is Status.GENUINE
    cose_bytes, _ = inflate_if_zlib(b45decode(seal[4:]))
    cose = parse_cose_sign1(cose_bytes)
    public_key, es256 = key.public_key(), ALGORITHMS["ES256"]
    message, signature = cose.to_be_signed(), cose.signature
    fmt = find_format(seal)
    assert fmt is not None
    parsed = fmt.parse(seal.encode())
    trust = store.for_format(fmt.name)
    raw = _raw_es256(public_key, message, signature)
    compressed = b45decode(seal[4:])
    try:  # one strict decoder call for the header and the claims (since perf2)
        parse_cose_sign1(cose_bytes, decode_payload=True)  # type: ignore[call-arg]

        def cose_and_claims() -> object:
            return parse_cose_sign1(cose_bytes, decode_payload=True)  # type: ignore[call-arg]
    except TypeError:  # an older tree: the claims decoded on their own, as its CS1 did

        def cose_and_claims() -> object:
            return cbor_decode(parse_cose_sign1(cose_bytes).payload)

    return {
        "cryptography ES256 verify alone": raw,
        "bare ES256 verify (algorithms.ES256)": lambda: es256.verify(public_key, message, signature),
        "Verifier.verify_payload": lambda: verifier.verify_payload(seal),
        "  CS1.parse": lambda: fmt.parse(seal.encode()),
        "    Base45 decode": lambda: b45decode(seal[4:]),
        "    zlib inflate": lambda: inflate_if_zlib(compressed),
        "    COSE array, header and claims decoded": cose_and_claims,
        "    Sig_structure": cose.to_be_signed,
        "  judge (keys, signature, rules)": lambda: judge(fmt, parsed, trust, at),
        "  find_format": lambda: find_format(seal),
    }


def shc_steps() -> dict[str, Callable[[], object]]:
    from datetime import UTC, datetime

    sys.path.insert(0, str(ROOT / "tests"))
    from shcseal import Issuer, card_payload

    from scanverify import FixedClock, Verifier
    from scanverify._codec import inflate_raw
    from scanverify.formats import shc
    from scanverify.formats._jws import split_compact
    from scanverify.trust import parse_json
    from scanverify.verifier import judge

    issuer = Issuer()
    data = issuer.card(card_payload())
    store = shc.load_jwks(issuer.jwks(), "benchmark")
    at = datetime(2026, 11, 27, tzinfo=UTC)
    verifier = Verifier(trust=store, clock=FixedClock(at))
    assert verifier.verify_payload(data).genuine
    card = shc.parse_card(data)
    text = shc.numeric_decode(data[len(shc.PREFIX) :])
    jws = split_compact(text)
    inflated = inflate_raw(jws.payload)
    fmt = shc.SHC()
    parsed = fmt.parse(data)
    trust = store.for_format(fmt.name)
    return {
        "cryptography ES256 verify alone": _raw_es256(issuer.private.public_key(), card.signing_input, card.signature),
        "Verifier.verify_payload": lambda: verifier.verify_payload(data),
        "  SHC.parse": lambda: fmt.parse(data),
        "    numeric decode": lambda: shc.numeric_decode(data[len(shc.PREFIX) :]),
        "    split the JWS (base64url)": lambda: split_compact(text),
        "    DEFLATE inflate": lambda: inflate_raw(jws.payload),
        "    strict JSON, payload": lambda: parse_json(inflated, "payload"),
        "  judge (keys, signature, rules)": lambda: judge(fmt, parsed, trust, at),
    }


def _raw_es256(public_key: object, message: bytes, signature: bytes) -> Callable[[], object]:
    """`cryptography`'s ECDSA verify alone, its DER signature made beforehand."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    half = len(signature) // 2
    der = encode_dss_signature(int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big"))
    ecdsa = ec.ECDSA(hashes.SHA256())
    return lambda: public_key.verify(der, message, ecdsa)  # type: ignore[attr-defined]


SUITES = {"cs1": cs1_steps, "shc": shc_steps}


def inner(suites: list[str], calls: int, helper: str) -> None:
    """Under callgrind: warm each step, then count ``calls`` calls of it, one dump per step."""
    lib = ctypes.CDLL(helper)
    prepared = [(suite, SUITES[suite]()) for suite in suites]
    lib.cg_start()
    for suite, steps in prepared:
        for number, (name, step) in enumerate(steps.items()):
            for _ in range(20):
                step()
            lib.cg_zero()
            lib.cg_toggle()
            for _ in range(calls):
                step()
            lib.cg_toggle()
            lib.cg_dump(f"{suite}|{number:03d}|{name}".encode())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="calls counted per step")
    parser.add_argument("--suite", choices=[*SUITES, "all"], default="all")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    args = parser.parse_args()
    suites = list(SUITES) if args.suite == "all" else [args.suite]
    sys.path.insert(0, str(ROOT / "src"))
    if args.inner:
        inner(suites, args.calls, args.inner)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        helper = os.path.join(tmp, "cg.so")
        (Path(tmp) / "cg.c").write_text(HELPER_C, encoding="utf-8")
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", helper, os.path.join(tmp, "cg.c")], check=True)
        out = os.path.join(tmp, "callgrind.out")
        command = [
            "valgrind", "--tool=callgrind", "--collect-atstart=no", "--instr-atstart=no",
            f"--callgrind-out-file={out}", sys.executable, __file__, "--inner", helper,
            "--calls", str(args.calls), "--suite", args.suite,
        ]  # fmt: skip
        subprocess.run(command, check=True, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONHASHSEED": "0"})
        counts: dict[str, dict[str, float]] = {}
        for path in glob.glob(out + "*"):
            text = Path(path).read_text(encoding="utf-8", errors="replace")
            trigger = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.MULTILINE)
            totals = re.search(r"^totals: (\d+)", text, re.MULTILINE)
            if trigger and totals:
                suite, number, name = trigger.group(1).split("|", 2)
                counts.setdefault(suite, {})[number + name] = int(totals.group(1)) / args.calls
    print(f"instructions per call (callgrind, {args.calls} calls after 20 warm-up calls)")
    for suite in suites:
        steps = {key[3:]: count for key, count in sorted(counts[suite].items())}
        bare = next(v for k, v in steps.items() if k.startswith("bare")) if suite == "cs1" else None
        raw = steps["cryptography ES256 verify alone"]
        print(f"\n{suite}")
        for name, count in steps.items():
            ratios = f"{raw / count:>7.0%} of raw"
            if bare is not None:
                ratios += f"{bare / count:>7.0%} of bare"
            print(f"{name:<40}{count:>12,.0f}{ratios if not name.startswith(' ') else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
