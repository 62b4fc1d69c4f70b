#!/usr/bin/env python3
"""Coverage-guided fuzzing of every parser with atheris, for a set time.

    python3 benchmarks/fuzz/run.py --target cbor --seconds 600
    python3 benchmarks/fuzz/run.py --all --seconds 600      # one target after another

Each target runs in its own process. A finding is an exception that is not a
ScanverifyError (a crash), a `genuine` verdict on fuzzed input, or a hang
(one input taking over --timeout seconds). Crashing inputs are saved under
benchmarks/fuzz/findings/<target>/ and reported; turn each into a regression
test. Prints executions, executions per second and findings per target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TARGETS = ("payload", "base45", "zlib", "cbor", "cose", "bundle", "pem", "signed")


def harness(target: str) -> None:
    """Runs inside the fuzzing process: the target's test function, under atheris."""
    import atheris

    with atheris.instrument_imports():
        import scanverify
        from scanverify import ScanverifyError, Status, TrustStore, Verifier
        from scanverify._codec import b45decode, cbor_decode, inflate_if_zlib
        from scanverify.cose import parse_cose_sign1
        from scanverify.trustlist import BUNDLE_TYPE, open_signed_bundle, verify_document

    from datetime import datetime

    now = datetime(2026, 11, 26, tzinfo=UTC)
    verifier = Verifier(trust=TrustStore.default(), clock=lambda: now)
    root, signed_payload, _ = fuzz_root()
    _ = scanverify

    def payload(data: bytes) -> None:
        provider = atheris.FuzzedDataProvider(data)
        prefix = ("CS1:", "HC1:", "")[provider.ConsumeIntInRange(0, 2)]
        if provider.ConsumeBool():
            from scanverify._codec import b45encode

            text = prefix + b45encode(provider.ConsumeBytes(provider.remaining_bytes()))
        else:
            text = prefix + provider.ConsumeUnicodeNoSurrogates(provider.remaining_bytes())
        if verifier.verify_payload(text).status is Status.GENUINE:
            raise AssertionError("fuzzed payload verified as genuine")

    def signed(data: bytes) -> None:
        # The fuzz root signed exactly one payload (the seed): whatever the
        # fuzzer does to the envelope, an accepted payload must be that one.
        try:
            payload = verify_document(data, root, BUNDLE_TYPE, "fuzz")
        except ScanverifyError:
            return
        if payload != signed_payload:
            raise AssertionError("a payload the root never signed was accepted")
        open_signed_bundle(data, root, "fuzz")

    def with_errors(function):  # type: ignore[no-untyped-def]
        def run(data: bytes) -> None:
            try:
                function(data)
            except ScanverifyError:
                pass

        return run

    targets = {
        "payload": payload,
        "base45": with_errors(lambda d: b45decode(d.decode("latin-1"))),
        "zlib": with_errors(lambda d: inflate_if_zlib(b"\x78\x9c" + d)),
        "cbor": with_errors(cbor_decode),
        "cose": with_errors(parse_cose_sign1),
        # Whole trust files (JSON bundle, PEM or DER, as from_bytes tells them
        # apart), started from valid bundles: JSON is parsed in C, which gives
        # the fuzzer no coverage to climb, so random bytes alone never get past it.
        "bundle": with_errors(lambda d: TrustStore.from_bytes(d, "fuzz")),
        "pem": with_errors(
            lambda d: TrustStore.from_bytes(
                b"-----BEGIN PUBLIC KEY-----\n" + d + b"\n-----END PUBLIC KEY-----\n", "fuzz"
            )
        ),
        "signed": signed,
    }
    atheris.Setup(sys.argv, targets[target])
    atheris.Fuzz()


def fuzz_root() -> tuple[object, bytes, bytes]:
    """A root for the `signed` target whose key is derived from a fixed string.

    It is a fuzzing fixture, never a real root: anyone can derive its key.
    Ed25519 signatures are deterministic, so the seed it signs is the same
    file on every run. Returns (root, the one payload it signed, the envelope).
    """
    import hashlib

    from cryptography.hazmat.primitives.asymmetric import ed25519

    sys.path.insert(0, str(ROOT / "src"))
    from scanverify.trustlist import BUNDLE_TYPE, _parse_root, root_document, sign_document

    key = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"scanverify fuzz root").digest())
    root = _parse_root(root_document([key.public_key()], version=1), "fuzz root")
    bundle = {
        "format": "scanverify.trust.v1",
        "version": 99,
        "expires": "2030-01-01T00:00:00Z",
        "keys": [{"spki": "MCowBQYDK2VwAyEA+aPj9MO+iMDGN0vYLqHxSRM8HqJy5n2Z3rsrBoB6G2k=", "iss": "CN"}],
        "revoked_seals": ["CN/1"],
    }
    payload = json.dumps(bundle).encode()
    return root, payload, sign_document(payload, BUNDLE_TYPE, [key])


def seed(target: str, corpus: Path) -> None:
    """Put one well-formed input in an empty corpus, so the fuzzer starts past the first checks."""
    if any(corpus.iterdir()):
        return
    sys.path.insert(0, str(ROOT / "src"))
    if target == "signed":
        (corpus / "seed").write_bytes(fuzz_root()[2])
    elif target == "bundle":
        built_in = (ROOT / "src" / "scanverify" / "data" / "default_trust.json").read_bytes()
        (corpus / "seed-built-in").write_bytes(built_in)
        bundle = json.loads(built_in)
        key = dict(bundle["keys"][0], status="revoked", specimen=False, iss="FR")
        bundle |= {"expires": "2030-01-01T00:00:00+08:00", "keys": [*bundle["keys"], key], "revoked_seals": ["CN/1"]}
        (corpus / "seed-full").write_bytes(json.dumps(bundle, indent=1).encode())
    elif target in ("cose", "cbor", "payload"):
        from scanverify.issuer import generate_key, sign_record

        record = {"v": 1, "no": "1", "t": "apostille", "dt": "2026-01-01", "au": "A", "doc": {"ti": "T"}}
        text = sign_record(record, generate_key("ES256"), iss="CN")
        if target == "payload":
            (corpus / "seed").write_bytes(b"\x00" + text[4:].encode())
        else:
            from scanverify._codec import b45decode, inflate_if_zlib

            (corpus / "seed").write_bytes(inflate_if_zlib(b45decode(text[4:]))[0])


def run_target(target: str, seconds: int, timeout: int) -> dict[str, object]:
    findings = HERE / "findings" / target
    findings.mkdir(parents=True, exist_ok=True)
    corpus = HERE / "corpus" / target
    corpus.mkdir(parents=True, exist_ok=True)
    seed(target, corpus)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [
        sys.executable,
        __file__,
        "--harness",
        target,
        str(corpus),
        f"-max_total_time={seconds}",
        f"-timeout={timeout}",
        f"-artifact_prefix={findings}/",
        "-print_final_stats=1",
        "-max_len=4096",
        "-rss_limit_mb=2048",
    ]
    dictionary = HERE / "dicts" / f"{target}.dict"
    if dictionary.exists():
        command.append(f"-dict={dictionary}")  # JSON field names the fuzzer would not guess quickly
    started = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    log = proc.stdout + proc.stderr
    executions = 0
    for line in log.splitlines():
        if line.startswith("stat::number_of_executed_units:"):
            executions = int(line.split(":")[-1])
    crashes = sorted(p.name for p in findings.iterdir())
    return {
        "target": target,
        "seconds": round(elapsed),
        "executions": executions,
        "per_second": round(executions / max(elapsed, 1)),
        "findings": len(crashes),
        "exit": proc.returncode,
        "files": crashes[:5],
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}, {platform.system()}",
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "tail": [] if proc.returncode == 0 else log.splitlines()[-15:],
    }


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--harness":
        target = sys.argv[2]
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        harness(target)
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=TARGETS, action="append")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take before it counts as a hang")
    args = parser.parse_args()
    targets = TARGETS if args.all else (args.target or [])
    if not targets:
        parser.error("give --target NAME (repeatable) or --all")
    print(f"{'target':<9}{'seconds':>8}{'executions':>12}{'exec/s':>8}{'findings':>10}")
    total = 0
    for target in targets:
        result = run_target(target, args.seconds, args.timeout)
        total += int(result["findings"])  # type: ignore[call-overload]
        print(
            f"{result['target']:<9}{result['seconds']:>8}{result['executions']:>12}{result['per_second']:>8}"
            f"{result['findings']:>10}",
            flush=True,
        )
        if result["tail"]:
            print("\n".join(f"    {line}" for line in result["tail"]))  # type: ignore[union-attr]
        with (HERE / "results.jsonl").open("a") as log:
            log.write(json.dumps(result) + "\n")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
