"""`scanverify serve` figures for benchmarks/README.md, on loopback only.

    python3 dev.py python benchmarks/serve.py                 # all three
    python3 dev.py python benchmarks/serve.py --workers 2 --seconds 10 --skip-page

1. Payload API: POST /api/verify {"payload": ...} from 16 concurrent clients (each a
   kept-alive connection, asyncio, requests pre-built so the client costs little) for
   --seconds (and at most --max-requests): requests/s and p50/p95/p99 latency.
2. Image API: a 2 MP phone photo (sample_images/genuine.jpg scaled to 1633 x 1225,
   JPEG quality 90) posted one at a time, --photos times: p50/p95.
3. The page: headless Chromium with the fake camera playing a clip of the sample
   seal; time from opening the page to the verdict shown, --page-runs times.

The server is `scanverify serve` in its own processes on 127.0.0.1 (a free port);
every request goes to this machine and every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import io
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(port: int, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "scanverify", "serve", "--port", str(port), "--workers", str(workers), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                time.sleep(1.0 if workers > 1 else 0.2)  # let every worker come up
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def payload_load(port: int, payload: str, clients: int, seconds: float, max_requests: int) -> tuple[float, list[float], int]:
    body = json.dumps({"payload": payload}).encode()
    request = (
        b"POST /api/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    latencies: list[float] = []
    failures = 0
    stop = time.monotonic() + seconds

    async def client() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < stop and len(latencies) < max_requests:
                began = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
                answer = await reader.readexactly(length)
                latencies.append(time.perf_counter() - began)
                if not head.startswith(b"HTTP/1.1 200") or b'"genuine"' not in answer:
                    failures += 1
        finally:
            writer.close()

    began = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(latencies) / (time.monotonic() - began), latencies, failures


def photo_2mp() -> bytes:
    from PIL import Image

    picture = Image.open(ROOT / "sample_images" / "genuine.jpg").convert("RGB").resize((1633, 1225))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


def image_latency(port: int, photo: bytes, runs: int) -> list[float]:
    latencies = []
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(runs):
        began = time.perf_counter()
        c.request("POST", "/api/verify", body=photo, headers={"content-type": "image/jpeg"})
        answer = json.loads(c.getresponse().read())
        latencies.append(time.perf_counter() - began)
        assert answer["results"][0]["status"] == "genuine", answer
    return latencies


def page_times(port: int, runs: int) -> list[float]:
    from test_serve import _browser, _wait_for_verdict, fake_camera_clip

    times = []
    with tempfile.TemporaryDirectory() as folder:
        clip = fake_camera_clip(ROOT / "sample_images" / "genuine.jpg", Path(folder) / "seal.y4m")
        for _ in range(runs):
            driver = _browser(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                               f"--use-file-for-fake-video-capture={clip}"])
            try:
                began = time.monotonic()
                driver.get(f"http://127.0.0.1:{port}/")
                status, _ = _wait_for_verdict(driver)
                times.append(time.monotonic() - began)
                assert status == "genuine"
            finally:
                driver.quit()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=50000)
    parser.add_argument("--photos", type=int, default=30)
    parser.add_argument("--page-runs", type=int, default=5)
    parser.add_argument("--skip-page", action="store_true")
    args = parser.parse_args()

    from scanverify import Verifier

    payload = Verifier().verify_image(ROOT / "sample_images" / "genuine.jpg")[0].payload
    assert payload is not None
    port = free_port()
    server = start(port, args.workers)
    try:
        asyncio.run(payload_load(port, payload, args.clients, 1.0, 2000))  # warm up every worker
        rate, latencies, failures = asyncio.run(
            payload_load(port, payload, args.clients, args.seconds, args.max_requests)
        )
        ms = [x * 1000 for x in latencies]
        print(f"payload API, {args.workers} workers, {args.clients} clients: {rate:.0f} requests/s over {len(ms)} requests, "
              f"{failures} failed; p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, p99 {percentile(ms, 99):.1f} ms")
        photo = photo_2mp()
        image_latency(port, photo, 2)  # warm up
        ms = [x * 1000 for x in image_latency(port, photo, args.photos)]
        print(f"image API, 2 MP JPEG ({len(photo) >> 10} KiB), one at a time, {len(ms)} requests: "
              f"p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms, max {max(ms):.0f} ms")
        if not args.skip_page:
            seconds = page_times(port, args.page_runs)
            print(f"page, fake camera, {len(seconds)} runs: open to verdict median {statistics.median(seconds):.2f} s, "
                  f"max {max(seconds):.2f} s")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
