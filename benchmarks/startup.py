"""Cold start: one scanverify command against the plain alternative, each a fresh process.

    python3 dev.py python benchmarks/startup.py [--rounds 9]

Pairs, run in interleaved rounds (the machine is shared: each figure is the
best round and the median), timed in wall time and in the child's CPU time
(user + system, from getrusage: other work on the machine moves it far less):

- `scanverify --json PHOTO` (a 2000x1500 sample photo, read by the first
  pass) against a 10-line script that opens the photo with Pillow and prints
  what zxing-cpp reads in it (PLAIN_SCRIPT below);
- `scanverify --json --text SEAL` against `python -c pass` (the interpreter's
  own start).

Bytecode is compiled first (compileall), as an installed package has it.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "sample_images" / "genuine.jpg"

PLAIN_SCRIPT = """\
import sys

import zxingcpp
from PIL import Image

for path in sys.argv[1:]:
    image = Image.open(path)
    for code in zxingcpp.read_barcodes(image):
        print(code.format, code.text)
"""


def run(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the child alone) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"{command[:4]}... exited {done.returncode}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "src" / "scanverify"), quiet=1)
    python = sys.executable
    seal = subprocess.run(
        [python, "-m", "scanverify", "--json", str(PHOTO)], capture_output=True, text=True, check=False
    ).stdout
    import json

    text = json.loads(seal.splitlines()[0])["payload"]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "plain_zxing.py"
        script.write_text(PLAIN_SCRIPT, encoding="utf-8")
        commands = {
            "plain zxing-cpp script, photo": [python, str(script), str(PHOTO)],
            "scanverify --json photo": [python, "-m", "scanverify", "--json", str(PHOTO)],
            "python -c pass": [python, "-c", "pass"],
            "scanverify --json --text SEAL": [python, "-m", "scanverify", "--json", "--text", text],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                elapsed, used = run(command)
                times[name].append(elapsed)
                cpu[name].append(used)
    print(f"{args.rounds} interleaved rounds, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'command':<34}{'wall best':>11}{'median':>9}{'CPU best':>10}{'median':>9}")
    for name, found in times.items():
        print(
            f"{name:<34}{min(found) * 1000:>9.0f}ms{statistics.median(found) * 1000:>7.0f}ms"
            f"{min(cpu[name]) * 1000:>8.0f}ms{statistics.median(cpu[name]) * 1000:>7.0f}ms"
        )
    for ours, plain in (
        ("scanverify --json photo", "plain zxing-cpp script, photo"),
        ("scanverify --json --text SEAL", "python -c pass"),
    ):
        for what, measured in (("wall", times), ("CPU", cpu)):
            best = min(measured[ours]) / min(measured[plain])
            median = statistics.median(measured[ours]) / statistics.median(measured[plain])
            print(f"{ours} / {plain}, {what}: {best:.2f}x best, {median:.2f}x median")
    return 0


if __name__ == "__main__":
    sys.exit(main())
