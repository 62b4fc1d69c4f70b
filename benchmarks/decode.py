#!/usr/bin/env python3
"""Decode benchmark: each decoder alone, their union, and scanverify's engine, in one run.

    python3 benchmarks/make_corpus.py        # once: the labelled photo corpus
    python3 benchmarks/decode.py [--quick] [--dcc 120] [--steps]

Images: benchmarks/corpus (labels.json) plus the EU DCC conformance QR images
in ../shared/conformance/eu-dcc (IMAGE_INDEX.json names the test file whose
PREFIX each must decode to). For each method: share of codes decoded, wrong
payloads (a payload that is not one of the image's codes), median and 95th
percentile time per image. Then the speed target: on the images plain
zxing-cpp decodes in one pass, scanverify's median time over zxing-cpp's.
Times are for decoding an already loaded grayscale array (loading costs the
same for every method). pyzbar and OpenCV "alone" are used as their users
call them (text mode), so their wrong payloads show what re-encoding does.

--steps adds what each escalation step earns: on every image where the
first pass misses a code, each step is run alone (codes it recovers, codes
no other step recovers, its time), and the engine's own trace says which
step found what in the order the engine runs them.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
DCC = ROOT.parent / "shared" / "conformance" / "eu-dcc"


def zxing_alone(gray: Any) -> set[bytes]:
    import zxingcpp

    return {bytes(b.bytes) for b in zxingcpp.read_barcodes(gray)}


def pyzbar_alone(gray: Any) -> set[bytes]:
    from pyzbar import pyzbar

    height, width = gray.shape[:2]
    return {bytes(s.data) for s in pyzbar.decode((gray.tobytes(), width, height), symbols=[pyzbar.ZBarSymbol.QRCODE])}


def opencv_alone(gray: Any) -> set[bytes]:
    import cv2

    ok, texts, _, _ = cv2.QRCodeDetectorAruco().detectAndDecodeMulti(gray)
    return {t.encode("utf-8") for t in texts if t} if ok else set()


TRACES: dict[str, list[tuple[str, int, float]]] = defaultdict(list)


def engine(effort: str) -> Callable[[Any], set[bytes]]:
    from scanverify.decode._engine import decode_gray

    def run(gray: Any) -> set[bytes]:
        return {c.payload for c in decode_gray(gray, effort=effort, trace=TRACES[effort])}  # type: ignore[arg-type]

    return run


def machine() -> str:
    import os

    cpu = "?"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor() or "?"
    from importlib.metadata import version

    libs = ", ".join(
        f"{name} {version(name)}"
        for name in ("zxing-cpp", "pyzbar", "opencv-python-headless", "numpy", "pillow", "segno")
    )
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {libs}"


def step_ablation(hard: list[tuple[str, set[bytes], Any]]) -> None:
    """Each escalation step alone, on the images whose first pass missed a code."""
    from scanverify.decode import _engine
    from scanverify.decode._backends import ZxingDecoder

    rows: dict[str, dict[str, Any]] = defaultdict(lambda: {"found": set(), "wrong": 0, "times": []})
    for path, expected, gray in hard:
        first, missed = ZxingDecoder().scan(gray)
        todo = expected - {c.payload for c in first}
        for step in [*_engine._crop_steps(missed), *_engine.steps("thorough")]:
            decoder = _engine._available(step.decoder)
            if decoder is None:
                continue
            started = time.perf_counter()
            image, _ = step.view(_engine._Views(gray))
            if isinstance(decoder, ZxingDecoder):
                codes = decoder.scan(image, **step.options)[0]
            else:
                codes = decoder.decode(image)
            got = {c.payload for c in codes}
            row = rows[step.name]
            row["times"].append(time.perf_counter() - started)
            row["found"] |= {(path, p) for p in got & todo}
            row["wrong"] += len(got - expected)
    owners: dict[tuple[str, bytes], int] = defaultdict(int)
    for row in rows.values():
        for key in row["found"]:
            owners[key] += 1
    missing = sum(len(e) for _, e, _ in hard) - sum(
        len({c.payload for c in ZxingDecoder().decode(g)} & e) for _, e, g in hard
    )
    print(f"\neach step alone, on the {len(hard)} images where the first pass misses codes ({missing} codes):")
    print(f"{'step':<30}{'recovers':>9}{'only it':>8}{'wrong':>7}{'runs':>6}{'mean ms':>9}{'codes/s':>9}")
    for name, row in rows.items():
        spent = sum(row["times"])
        only = sum(1 for key in row["found"] if owners[key] == 1)
        print(
            f"{name:<30}{len(row['found']):>9}{only:>8}{row['wrong']:>7}{len(row['times']):>6}"
            f"{1000 * spent / max(len(row['times']), 1):>9.1f}{len(row['found']) / max(spent, 1e-9):>9.2f}"
        )
    # Greedy order: repeatedly the step with the most codes not yet recovered
    # per second of its time; what the engine's order should look like.
    left, order = dict(rows), []
    have: set[tuple[str, bytes]] = set()
    while left:
        name, row = max(left.items(), key=lambda kv: len(kv[1]["found"] - have) / max(sum(kv[1]["times"]), 1e-9))
        gain = row["found"] - have
        if not gain:
            break
        have |= gain
        order.append(f"{name} (+{len(gain)})")
        del left[name]
    print("greedy order by new codes per second: " + ", ".join(order) + "; nothing more from the rest")


def trace_table() -> None:
    for effort, trace in TRACES.items():
        if not trace:
            continue
        earned: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for name, new, seconds in trace:
            earned[name][0] += 1
            earned[name][1] += new
            earned[name][2] += seconds
        print(f"\nscanverify-{effort}, steps in engine order: runs, codes found first by the step, total s")
        for step, (runs, gained, spent) in earned.items():
            print(f"  {step:<30}{runs:>5.0f}{gained:>5.0f}{spent:>9.2f}")


def images(quick: bool, dcc: int, which: str = "standard") -> list[tuple[str, str, set[bytes]]]:
    found = []
    folder = "corpus/hard" if which == "hard" else "corpus"
    labels_path = HERE / folder / "labels.json"
    if labels_path.exists():
        labels = json.loads(labels_path.read_text())
        for name, label in sorted(labels.items())[:: 4 if quick else 1]:
            found.append((f"{folder}/{name}", label["condition"], {bytes.fromhex(p) for p in label["payloads"]}))
    else:
        print("no corpus: run benchmarks/make_corpus.py first", file=sys.stderr)
    if DCC.is_dir() and dcc:
        index = json.loads((DCC / "IMAGE_INDEX.json").read_text())["images"]
        named = sorted(
            (img, facts["matches_json_PREFIX_of"][0])
            for img, facts in index.items()
            if facts.get("matches_json_PREFIX_of")
        )
        step = max(1, len(named) // dcc)
        for image, json_name in named[::step][:dcc]:
            prefix = json.loads((DCC / "dgc-testdata" / json_name).read_text())["PREFIX"]
            found.append((f"eu-dcc/{image}", "eu-dcc", {prefix.encode()}))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a quarter of the corpus and 30 DCC images")
    parser.add_argument("--dcc", type=int, default=120, help="how many EU DCC conformance images")
    parser.add_argument("--efforts", default="fast,normal,thorough")
    parser.add_argument("--steps", action="store_true", help="also measure each escalation step alone")
    parser.add_argument(
        "--set", default="standard", choices=["standard", "hard"], help="corpus/ or corpus/hard/ (make_corpus.py --set)"
    )
    args = parser.parse_args()
    import cv2

    from scanverify.decode import decoder_info, load_image

    cv2.setNumThreads(1)  # one core per image, as a counter PC decodes one photo at a time
    methods: dict[str, Callable[[Any], set[bytes]]] = {
        "zxing-cpp": zxing_alone,
        "pyzbar": pyzbar_alone,
        "opencv": opencv_alone,
    }
    for effort in args.efforts.split(","):
        methods[f"scanverify-{effort}"] = engine(effort)
    corpus = images(args.quick, 0 if args.set == "hard" else 30 if args.quick else args.dcc, args.set)
    stats: dict[str, dict[str, Any]] = {m: {"found": 0, "wrong": 0, "times": []} for m in [*methods, "union-of-3"]}
    by_condition: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    wrong_by_condition: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    times_by_condition: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    one_pass: list[tuple[str, float, float]] = []
    hard: list[tuple[str, set[bytes], Any]] = []
    total = 0
    for path, condition, expected in corpus:
        gray = load_image((HERE / path) if path.startswith("corpus/") else (DCC / "dgc-testdata" / path[7:]))
        total += len(expected)
        results: dict[str, set[bytes]] = {}
        for name, method in methods.items():
            started = time.perf_counter()
            got = method(gray)
            stats[name]["times"].append(time.perf_counter() - started)
            times_by_condition[condition][name].append(stats[name]["times"][-1])
            results[name] = got
        results["union-of-3"] = results["zxing-cpp"] | results["pyzbar"] | results["opencv"]
        for name, got in results.items():
            stats[name]["found"] += len(got & expected)
            stats[name]["wrong"] += len(got - expected)
            by_condition[condition][name][0] += len(got & expected)
            by_condition[condition][name][1] += len(expected)
            wrong_by_condition[condition][name] += len(got - expected)
        if expected <= results["zxing-cpp"] and "scanverify-normal" in results:
            one_pass.append((condition, stats["zxing-cpp"]["times"][-1], stats["scanverify-normal"]["times"][-1]))
        elif args.steps:
            hard.append((path, expected, gray))

    print(f"machine: {machine()}")
    print("decoders: " + ", ".join(f"{d.name} {d.version}" for d in decoder_info() if d.available))
    print(f"{len(corpus)} images, {total} codes\n")
    print(f"{'method':<22}{'decoded':>9}{'share':>8}{'wrong':>7}{'median ms':>11}{'p95 ms':>9}")
    for name, s in stats.items():
        times = sorted(s["times"]) or [0.0]
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(
            f"{name:<22}{s['found']:>9}{s['found'] / max(total, 1):>8.1%}{s['wrong']:>7}"
            f"{statistics.median(times) * 1000:>11.1f}{p95 * 1000:>9.1f}"
            if s["times"]
            else f"{name:<22}{s['found']:>9}{s['found'] / max(total, 1):>8.1%}{s['wrong']:>7}{'-':>11}{'-':>9}"
        )
    print("\nby condition (decoded / codes):")
    names = list(stats)
    print(f"{'condition':<13}" + "".join(f"{n.replace('scanverify-', 'sv-'):>12}" for n in names))
    for condition, row in sorted(by_condition.items()):
        print(f"{condition:<13}" + "".join(f"{row[n][0]:>5}/{row[n][1]:<6}" for n in names))
    print("\nby condition, scanverify: wrong payloads, median / p95 ms per image:")
    for condition in sorted(by_condition):
        cells = []
        for name in names:
            times = sorted(times_by_condition[condition].get(name, []))
            if name.startswith("scanverify") and times:
                p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
                cells.append(
                    f"{name.replace('scanverify-', 'sv-')} {wrong_by_condition[condition][name]} wrong "
                    f"{statistics.median(times) * 1000:.0f}/{p95 * 1000:.0f} ms"
                )
        print(f"{condition:<13}" + "; ".join(cells))
    print()
    for subset, rows in (
        ("all", one_pass),
        ("photo corpus", [r for r in one_pass if r[0] != "eu-dcc"]),
        ("eu-dcc", [r for r in one_pass if r[0] == "eu-dcc"]),
    ):
        if not rows:
            continue
        zx = statistics.median(t for _, t, _ in rows)
        sv = statistics.median(t for _, _, t in rows)
        verdict = "MET" if sv <= 1.2 * zx else "NOT MET"
        p95 = sorted(t for _, _, t in rows)[int(0.95 * (len(rows) - 1))]
        print(
            f"speed, {subset}: on the {len(rows)} images zxing-cpp decodes in one pass: zxing-cpp median "
            f"{zx * 1000:.1f} ms, scanverify-normal median {sv * 1000:.1f} ms (p95 {p95 * 1000:.1f} ms), "
            f"ratio {sv / zx:.2f} (target <= 1.20: {verdict})"
        )
    best_single = max(stats[n]["found"] for n in ("zxing-cpp", "pyzbar", "opencv"))
    for effort in args.efforts.split(","):
        name = f"scanverify-{effort}"
        print(
            f"{name}: {stats[name]['found']} codes vs best single decoder {best_single}, "
            f"union {stats['union-of-3']['found']}; wrong payloads {stats[name]['wrong']}"
        )
    trace_table()
    if args.steps:
        step_ablation(hard)
    return 0


if __name__ == "__main__":
    sys.exit(main())
