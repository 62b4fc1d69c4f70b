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
import re
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


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the child alone) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"{command[:4]}... exited {done.returncode}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def instructions(command: list[str], env: dict[str, str] | None = None) -> int:
    """The instructions one run executes, all of them, counted by callgrind."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind gave no count for {command[:4]}...: {done.stderr[-500:]}")
    return int(found.group(1))


def pairs(also: bool) -> list[tuple[str, str]]:
    """(ours, the plain alternative) for each ratio printed."""
    found = [
        ("scanverify --json photo", "plain zxing-cpp script, photo"),
        ("scanverify --json --text SEAL", "python -c pass"),
    ]
    if also:
        found.insert(1, ("scanverify --json photo (--also)", "plain zxing-cpp script, photo"))
        found.append(("scanverify --json --text SEAL (--also)", "python -c pass"))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--also",
        metavar="SRC",
        help="also time the two scanverify commands from another source tree's src/ (an older commit's, say), interleaved",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="instead of timing, count each command's instructions once under valgrind's callgrind (~10 s each)",
    )
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
        envs: dict[str, dict[str, str] | None] = dict.fromkeys(commands)
        if args.also:
            compileall.compile_dir(str(Path(args.also) / "scanverify"), quiet=1)
            other = {**os.environ, "PYTHONPATH": str(Path(args.also).resolve())}
            for name in ("scanverify --json photo", "scanverify --json --text SEAL"):
                commands[f"{name} (--also)"] = commands[name]
                envs[f"{name} (--also)"] = other
        if args.instructions:
            counted = {name: instructions(command, envs[name]) for name, command in commands.items()}
            for name, count in counted.items():
                print(f"{name:<42}{count / 1e6:>10,.1f} M instructions")
            for ours, plain in pairs(bool(args.also)):
                print(f"{ours} / {plain}: {counted[ours] / counted[plain]:.2f}x")
            return 0
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                elapsed, used = run(command, envs[name])
                times[name].append(elapsed)
                cpu[name].append(used)
    print(f"{args.rounds} interleaved rounds, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'command':<42}{'wall best':>11}{'median':>9}{'CPU best':>10}{'median':>9}")
    for name, found in times.items():
        print(
            f"{name:<42}{min(found) * 1000:>9.0f}ms{statistics.median(found) * 1000:>7.0f}ms"
            f"{min(cpu[name]) * 1000:>8.0f}ms{statistics.median(cpu[name]) * 1000:>7.0f}ms"
        )
    for ours, plain in pairs(bool(args.also)):
        for what, measured in (("wall", times), ("CPU", cpu)):
            best = min(measured[ours]) / min(measured[plain])
            median = statistics.median(measured[ours]) / statistics.median(measured[plain])
            print(f"{ours} / {plain}, {what}: {best:.2f}x best, {median:.2f}x median")
    return 0


if __name__ == "__main__":
    sys.exit(main())
