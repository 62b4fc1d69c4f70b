"""A batch of images: `scanverify --json DIR` against a plain zxing-cpp loop over the same files.

    python3 dev.py python benchmarks/batch.py [--images 300] [--rounds 3] [--corpus DIR]

The images are made at run time in a temporary folder (deterministic seed):
small photos of a printed page, each with one QR code (CS1 seals signed
with a throw-away key, URLs, text, binary), turned a few degrees, blurred a
little and saved as JPEG or PNG, 500 to 900 pixels a side. `--corpus DIR`
takes a folder of images instead (e.g. benchmarks/corpus from make_corpus.py).

The plain alternative is one Python process that opens each file with
Pillow and calls zxingcpp.read_barcodes on it (PLAIN_SCRIPT). scanverify is
the whole command: start, pool of decoding processes, verification of every
seal, JSON out. Rounds are interleaved; the best and median of each are
printed, with the load average (the machine is shared: "busy" is how it is).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PLAIN_SCRIPT = """\
import sys
from pathlib import Path

import zxingcpp
from PIL import Image

found = 0
for path in sorted(Path(sys.argv[1]).iterdir()):
    found += len(zxingcpp.read_barcodes(Image.open(path)))
print(found)
"""


def make_images(folder: Path, count: int) -> None:
    import segno
    from PIL import Image, ImageFilter

    from scanverify.issuer import generate_key, sign_record

    rng = random.Random(15)
    key = generate_key("ES256")
    record = {
        "v": 1,
        "no": "2026-BJ-0000000",
        "t": "legalization",
        "dt": "2026-11-20",
        "au": "Consular Department",
        "doc": {"ti": "Birth certificate", "hn": "WANG Xiaoming"},
    }
    for i in range(count):
        kind = i % 4
        if kind == 0:
            record["no"] = f"2026-BJ-{i:07d}"
            payload: str | bytes = sign_record(record, key, iss="CN", issued_at=datetime(2026, 11, 20, tzinfo=UTC))
        elif kind == 1:
            payload = f"https://example.org/check/{rng.getrandbits(64):016x}"
        elif kind == 2:
            payload = f"Item {i}: " + " ".join(rng.choice(("red", "green", "blue", "ink", "paper")) for _ in range(12))
        else:
            payload = bytes(rng.getrandbits(8) for _ in range(60))
        qr = segno.make(payload, error="m", micro=False)
        buffer = io.BytesIO()
        qr.save(buffer, kind="png", scale=rng.choice((4, 5, 6)), border=4)
        code = Image.open(buffer).convert("L")
        side = rng.randint(500, 900)
        page = Image.new("L", (side, side), rng.randint(200, 245))
        code = code.rotate(rng.uniform(-8, 8), expand=True, fillcolor=255)
        if code.width > side - 20:
            code = code.resize((side - 40, side - 40))
        page.paste(code, (rng.randint(0, side - code.width), rng.randint(0, side - code.height)))
        page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
        if i % 3:
            page.save(folder / f"{i:04d}.jpg", quality=rng.randint(60, 90))
        else:
            page.save(folder / f"{i:04d}.png")


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=None)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.corpus
        if folder is None:
            folder = Path(tmp) / "images"
            folder.mkdir()
            make_images(folder, args.images)
        script = Path(tmp) / "plain_zxing.py"
        script.write_text(PLAIN_SCRIPT, encoding="utf-8")
        images = sum(1 for _ in folder.iterdir())
        commands = {
            "plain zxing-cpp loop": [python, str(script), str(folder)],
            "scanverify --json DIR": [python, "-m", "scanverify", "--json", "--quiet", str(folder)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        found: dict[str, int] = {}
        loads = []
        for _ in range(args.rounds):
            for name, command in commands.items():
                loads.append(os.getloadavg()[0])
                elapsed, out = timed(command)
                times[name].append(elapsed)
                if name.startswith("plain"):
                    found[name] = int(out.strip() or 0)
                else:
                    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
                    found[name] = sum(1 for r in rows if r["status"] not in ("no_code", "error"))
    print(f"{images} images, {args.rounds} interleaved rounds, load average {min(loads):.1f}-{max(loads):.1f}")
    print(f"on {os.cpu_count()} cores")
    print(f"{'command':<26}{'best':>8}{'median':>9}{'codes':>7}")
    for name, found_times in times.items():
        print(f"{name:<26}{min(found_times):>7.2f}s{statistics.median(found_times):>8.2f}s{found[name]:>7}")
    ours, plain = times["scanverify --json DIR"], times["plain zxing-cpp loop"]
    print(f"scanverify / plain: {min(ours) / min(plain):.2f}x best, {statistics.median(ours) / statistics.median(plain):.2f}x median")
    return 0


if __name__ == "__main__":
    sys.exit(main())
