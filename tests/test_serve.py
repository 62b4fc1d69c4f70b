"""`scanverify serve`: the HTTP API through Starlette's test client, the command, a real server
under load, the page in a headless Chromium (fake camera, and the upload fallback), and Dask."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pickle
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the 'serve' extra is not installed (pip install 'scanverify[serve]')")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from starlette.testclient import TestClient
from support import Cli

from scanverify import Verifier
from scanverify.serve import ServeConfig, create_app
from scanverify.serve.app import MAX_PAYLOADS, SECURITY_HEADERS

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"
STATIC = ROOT / "src" / "scanverify" / "serve" / "static"
AT = "2026-11-27T10:00:00+00:00"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(ServeConfig(at=AT)), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def genuine_payload() -> str:
    payload = Verifier().verify_image(SAMPLES / "genuine.jpg")[0].payload
    assert payload is not None
    return payload


def _verify(client: TestClient, **kwargs: Any) -> Any:
    response = client.post("/api/verify", **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()["results"]


# ---------------------------------------------------------------- the API
def test_payload_gives_the_json_object_of_the_command_line(client: TestClient, genuine_payload: str) -> None:
    [result] = _verify(client, json={"payload": genuine_payload})
    verifier = Verifier()
    verifier.clock = lambda: datetime.fromisoformat(AT)
    expected = verifier.verify_payload(genuine_payload).to_json()
    words = ("verdict", "verdict_text", "reason_text", "warnings_text")  # for the page (tests/test_i18n.py)
    page_words = ("label_text", "value_text")
    result = {**result, "facts": [{k: v for k, v in f.items() if k not in page_words} for f in result["facts"]]}
    assert {k: v for k, v in result.items() if k not in words} == json.loads(json.dumps(expected))
    assert result["status"] == "genuine" and result["specimen"] is True
    assert result["verdict"] == "genuine (SPECIMEN)"
    assert {"label": "Holder", "value": "王小明 WANG Xiaoming", "personal": True} in result["facts"]


def test_several_payloads_each_get_a_verdict(client: TestClient, genuine_payload: str) -> None:
    results = _verify(client, json={"payloads": [genuine_payload, "https://example.org/", "CS1:nonsense"]})
    assert [r["status"] for r in results] == ["genuine", "not_a_seal", "malformed"]
    assert [r["source"] for r in results] == ["<text>:1", "<text>:2", "<text>:3"]


@pytest.mark.parametrize(
    ("name", "statuses"),
    [("genuine.jpg", ["genuine"]), ("altered.jpg", ["forged"]), ("seal-and-url.jpg", ["genuine", "not_a_seal"]),
     ("no-code.jpg", ["no_code"])],
)
def test_image_as_multipart_upload(client: TestClient, name: str, statuses: list[str]) -> None:
    data = (SAMPLES / name).read_bytes()
    results = _verify(client, files={"image": (name, data, "image/jpeg")})
    assert [r["status"] for r in results] == statuses
    assert all(r["source"] == "<upload>" for r in results)


def test_image_as_raw_body(client: TestClient) -> None:
    data = (SAMPLES / "genuine.jpg").read_bytes()
    [result] = _verify(client, content=data, headers={"content-type": "image/jpeg"})
    assert result["status"] == "genuine" and result["polygon"]


def test_not_genuine_still_lists_what_the_seal_says(client: TestClient) -> None:
    [result] = _verify(client, content=(SAMPLES / "altered.jpg").read_bytes(), headers={"content-type": "image/jpeg"})
    assert result["status"] == "forged" and result["facts"]


def test_redact_hides_names_and_payloads() -> None:
    client = TestClient(create_app(ServeConfig(at=AT, redact=True)))
    [result] = _verify(client, content=(SAMPLES / "genuine.jpg").read_bytes(), headers={"content-type": "image/png"})
    assert result["status"] == "genuine"
    assert result["payload"] is None
    assert "王小明" not in json.dumps(result, ensure_ascii=False)
    assert all(f["label"] != "Holder" for f in result["facts"])


def test_at_sets_the_time_of_checking(genuine_payload: str) -> None:
    later = TestClient(create_app(ServeConfig(at="2099-01-01T00:00:00+00:00")))
    [result] = _verify(later, json={"payload": genuine_payload})
    assert result["checked_at"] == "2099-01-01T00:00:00Z"


def _bomb() -> bytes:
    # A PNG that claims 60000 x 60000 pixels: refused on its header, never decompressed.
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


BAD_INPUTS: list[tuple[str, dict[str, Any], int]] = [
    ("not an image", {"content": b"GIF89a but not really", "headers": {"content-type": "image/gif"}}, 422),
    ("empty image", {"content": b"", "headers": {"content-type": "image/jpeg"}}, 422),
    ("truncated jpeg", {"content": (SAMPLES / "genuine.jpg").read_bytes()[:300], "headers": {"content-type": "image/jpeg"}}, 422),
    ("decompression bomb", {"content": _bomb(), "headers": {"content-type": "image/png"}}, 422),
    ("bad json", {"content": b'{"payload": ', "headers": {"content-type": "application/json"}}, 400),
    ("deep json", {"content": b"[" * 100000, "headers": {"content-type": "application/json"}}, 400),
    ("json list", {"json": ["CS1:x"]}, 422),
    ("json without payload", {"json": {"text": "CS1:x"}}, 422),
    ("payload not a string", {"json": {"payload": 7}}, 422),
    ("payloads empty", {"json": {"payloads": []}}, 422),
    ("payloads not strings", {"json": {"payloads": ["CS1:x", None]}}, 422),
    ("too many payloads", {"json": {"payloads": ["x"] * (MAX_PAYLOADS + 1)}}, 413),
    ("payload too long", {"json": {"payload": "A" * 70000}}, 413),
    ("plain text", {"content": b"CS1:x", "headers": {"content-type": "text/plain"}}, 415),
    ("no content type", {"content": b"CS1:x"}, 415),
    ("multipart without image", {"files": {"photo": ("a.jpg", b"xx", "image/jpeg")}}, 422),
    ("multipart image as a field", {"data": {"image": "not a file"}, "files": {"x": ("x", b"x", "image/png")}}, 422),
    ("url-encoded form", {"data": {"image": "not a file"}}, 415),
    ("broken multipart", {"content": b"--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a\"\r\n\r\nxx",
                          "headers": {"content-type": "multipart/form-data; boundary=b"}}, 422),
    ("multipart without boundary", {"content": b"xx", "headers": {"content-type": "multipart/form-data"}}, 400),
    ("multipart, many files", {"files": [("image", ("a.jpg", b"1", "image/jpeg")), ("image", ("b.jpg", b"2", "image/jpeg"))]}, 400),
]


@pytest.mark.parametrize(("what", "request_args", "status"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_a_json_error_and_a_4xx(client: TestClient, what: str, request_args: dict[str, Any], status: int) -> None:
    response = client.post("/api/verify", **request_args)
    assert response.status_code == status, (what, response.text)
    body = response.json()
    assert body["status"] == status and body["error"]
    assert "Traceback" not in response.text and "File \"" not in response.text
    assert client.get("/healthz").status_code == 200


def test_body_over_the_limit_is_refused_before_it_is_read() -> None:
    client = TestClient(create_app(ServeConfig(max_body=4096)))
    response = client.post("/api/verify", content=b"x" * 5000, headers={"content-type": "image/jpeg"})
    assert response.status_code == 413 and response.headers["connection"] == "close"
    assert "4096" in response.json()["error"]


def test_chunked_body_over_the_limit_is_refused_as_it_arrives() -> None:
    client = TestClient(create_app(ServeConfig(max_body=4096)))

    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1000

    response = client.post("/api/verify", content=chunks(), headers={"content-type": "image/jpeg"})
    assert response.status_code == 413
    response = client.post("/api/verify", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413


def test_unknown_paths_and_methods_are_json_errors(client: TestClient) -> None:
    for method, path, status in [("GET", "/nothing", 404), ("GET", "/api/verify", 405), ("DELETE", "/healthz", 405),
                                 ("GET", "/static/../app.py", 404), ("GET", "/static/index.html", 404)]:
        response = client.request(method, path)
        assert response.status_code == status, path
        assert response.json()["status"] == status


def test_health(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_trust_says_what_is_trusted(client: TestClient) -> None:
    body = client.get("/api/trust").json()
    assert body["keys"] and all({"name", "kid", "specimen", "revoked"} <= set(k) for k in body["keys"])
    assert body["versions"]["built-in trust bundle"] >= 1
    assert body["stale"] is False and body["checked_at"] == "2026-11-27T10:00:00Z"
    empty = TestClient(create_app(ServeConfig(no_default_trust=True))).get("/api/trust").json()
    assert empty["keys"] == [] and empty["versions"] == {}


def test_openapi_from_the_framework(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {"/api/verify", "/api/trust", "/api/config", "/healthz"}  # no /api/lookup: no registry
    assert {"200", "413", "415", "422"} <= {str(s) for s in schema["paths"]["/api/verify"]["post"]["responses"]}


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/", "/healthz", "/static/app.js", "/nothing"):
        response = client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (path, name)
        assert "access-control-allow-origin" not in response.headers
    csp = SECURITY_HEADERS["content-security-policy"]
    script = re.search(r"script-src ([^;]*)", csp)
    assert script is not None and script.group(1).strip() == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert client.get("/").headers["cache-control"] == "no-cache"


def test_no_cors_unless_asked(genuine_payload: str) -> None:
    origin = "https://kiosk.example"
    plain = TestClient(create_app()).options(
        "/api/verify", headers={"origin": origin, "access-control-request-method": "POST"}
    )
    assert "access-control-allow-origin" not in plain.headers
    cors = TestClient(create_app(ServeConfig(cors=(origin,))))
    preflight = cors.options("/api/verify", headers={"origin": origin, "access-control-request-method": "POST"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == origin
    answer = cors.post("/api/verify", json={"payload": genuine_payload}, headers={"origin": origin})
    assert answer.headers["access-control-allow-origin"] == origin
    other = cors.post("/api/verify", json={"payload": genuine_payload}, headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=2048),
    kind=st.sampled_from(["image/png", "image/jpeg", "application/json", "multipart/form-data; boundary=x", "text/plain", ""]),
)
def test_any_body_never_gives_a_500(client: TestClient, body: bytes, kind: str) -> None:
    headers = {"content-type": kind} if kind else {}
    response = client.post("/api/verify", content=body, headers=headers)
    assert response.status_code < 500, response.text
    assert "results" in response.json() or response.status_code >= 400


# ---------------------------------------------------------------- the page's files
def test_page_has_no_inline_script_and_no_external_resource() -> None:
    html = (STATIC / "index.html").read_text()
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert 'src="/static/' in attributes and not body.strip()
    assert not re.search(r"\son[a-z]+\s*=", html)  # no inline event handlers
    for path in STATIC.iterdir():
        text = path.read_text()
        # The SVG namespace is a name, not a resource.
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text.replace("http://www.w3.org/2000/svg", "")), path


def test_page_script_never_parses_text_as_html() -> None:
    script = re.sub(r"^\s*//.*$", "", (STATIC / "app.js").read_text(), flags=re.M)  # code, not comments
    assert "textContent" in script
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script


def test_messages_cover_every_string_in_both_languages() -> None:
    messages = json.loads((STATIC / "messages.json").read_text())
    assert set(messages) == {"en", "zh"}
    assert set(messages["en"]) == set(messages["zh"])
    used = set(re.findall(r'data-(?:msg|label)="([a-z_]+)"', (STATIC / "index.html").read_text()))
    used |= set(re.findall(r'\bt\("([a-z_]+)"\)', (STATIC / "app.js").read_text()))
    # Keys the script looks up through a table (the lookup's answers, a record's field labels).
    used |= set(re.findall(r'"((?:lookup|field)_[a-z_]+)"', (STATIC / "app.js").read_text()))
    used |= {f"status_{s}" for s in ("genuine", "forged", "untrusted", "revoked", "not_yet_valid", "expired",
                                     "malformed", "not_a_seal", "no_code", "error")}
    assert used <= set(messages["en"]), used - set(messages["en"])


# ---------------------------------------------------------------- the command
def _fake_uvicorn(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import uvicorn

    called: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: called.update(app=app, **kwargs))
    return called


def test_command_starts_uvicorn_with_the_options(monkeypatch: pytest.MonkeyPatch, run_cli: Cli) -> None:
    called = _fake_uvicorn(monkeypatch)
    monkeypatch.delenv("SCANVERIFY_SERVE_CONFIG", raising=False)
    captured = run_cli("serve", "--port", "8123", "--workers", "3", "--redact", "--at", "2026-01-01T00:00:00Z", "--max-body", "1MB")
    assert captured.code == 0
    assert called["port"] == 8123 and called["workers"] == 3 and called["host"] == "127.0.0.1" and called["factory"]
    config = ServeConfig.from_env(os.environ.pop("SCANVERIFY_SERVE_CONFIG"))
    assert config.redact and config.max_body == 1 << 20 and config.at == "2026-01-01T00:00:00+00:00"
    assert "http://127.0.0.1:8123/" in captured.out and "warning" not in captured.err


def test_wide_bind_warns(monkeypatch: pytest.MonkeyPatch, run_cli: Cli) -> None:
    called = _fake_uvicorn(monkeypatch)
    captured = run_cli("serve", "--host", "0.0.0.0", "--json")
    assert captured.code == 0
    assert "warning: listening beyond this computer" in captured.err
    line = json.loads(captured.out.splitlines()[0])
    assert line["wide_bind"] is True and "http://127.0.0.1:8000/" in line["urls"]
    assert called["host"] == "0.0.0.0"
    os.environ.pop("SCANVERIFY_SERVE_CONFIG", None)


def test_self_signed_certificate_is_made_once_and_kept(
    monkeypatch: pytest.MonkeyPatch, run_cli: Cli, tmp_path: Path
) -> None:
    monkeypatch.setenv("SCANVERIFY_HOME", str(tmp_path))
    called = _fake_uvicorn(monkeypatch)
    code, first, _ = run_cli("serve", "--self-signed", "--quiet")
    assert code == 0
    fingerprint = re.search(r"fingerprint[^:]*: ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})", first)
    assert fingerprint is not None and "https://127.0.0.1:8000/" in first
    key = Path(called["ssl_keyfile"])
    assert key.parent == tmp_path / "serve" and stat.S_IMODE(key.stat().st_mode) == 0o600
    from scanverify.serve.tls import fingerprint as fp

    assert fp(Path(called["ssl_certfile"]).read_bytes()) == fingerprint.group(1)
    code, out, _ = run_cli("serve", "--self-signed", "--quiet")
    assert code == 0 and fingerprint.group(1) in out  # the cached one, not a new one
    os.environ.pop("SCANVERIFY_SERVE_CONFIG", None)


@pytest.mark.parametrize(
    "args",
    [["--tls-cert", "README.md"], ["--cors", "not an origin"], ["--max-body", "lots"], ["--max-body", "10"],
     ["--trust", "/nonexistent.json"], ["--port", "70000"]],
)
def test_command_usage_errors_exit_2(args: list[str], monkeypatch: pytest.MonkeyPatch, run_cli: Cli) -> None:
    _fake_uvicorn(monkeypatch)
    monkeypatch.chdir(ROOT)
    code, _, err = run_cli("serve", *args)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_missing_extra_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch, run_cli: Cli) -> None:
    import scanverify.cli_serve as cli_serve

    monkeypatch.setattr(cli_serve, "extra_installed", lambda: False)
    code, _, err = run_cli("serve")
    assert code == 2
    err = err.strip()
    assert err.count("\n") == 0 and "scanverify[serve]" in err


# ---------------------------------------------------------------- a real server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _running(args: list[str], log: Path) -> Iterator[str]:
    """`scanverify serve ARGS` on a free loopback port, in its own process; yields its URL, stops it after."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "scanverify", "serve", "--port", str(port), "--quiet", *args],
            stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`scanverify serve` on a free loopback port, in its own process, stopped after the module."""
    with _running(["--max-body", "2MB"], tmp_path_factory.mktemp("server") / "server.log") as url:
        yield url


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_load_on_loopback_with_no_failure(server: str, genuine_payload: str) -> None:
    """200 requests (payloads and a few photos) from 16 threads, each on its own kept-alive connection."""
    body = json.dumps({"payload": genuine_payload}).encode()
    photo = (SAMPLES / "genuine.jpg").read_bytes()
    local = threading.local()

    def one(n: int) -> str:
        if not hasattr(local, "c"):
            local.c = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=60)
        if n % 25 == 0:
            local.c.request("POST", "/api/verify", body=photo, headers={"content-type": "image/jpeg"})
        else:
            local.c.request("POST", "/api/verify", body=body, headers={"content-type": "application/json"})
        response = local.c.getresponse()
        data = response.read()
        return json.loads(data)["results"][0]["status"] if response.status == 200 else f"HTTP {response.status}"

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(one, range(200), timeout=300))
    assert statuses == ["genuine"] * 200


def test_server_stays_up_through_bad_input(server: str) -> None:
    port = _port(server)
    # A declared body over --max-body: refused before it is read, the connection closed.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /api/verify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 999999999\r\n\r\n")
        answer = s.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413")
    # A client that goes away half-way through its body, and garbage instead of HTTP.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /api/verify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\nabc")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
        s.recv(1024)
    for kind, data in [("image/png", b"\x89PNG\r\n\x1a\nbroken"), ("application/json", b"{{{"), ("image/png", _bomb())]:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", "/api/verify", body=data, headers={"content-type": kind})
        assert 400 <= c.getresponse().status < 500
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/healthz")
    assert c.getresponse().status == 200


# ---------------------------------------------------------------- the page in Chromium
def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


needs_chromium = pytest.mark.skipif(
    _chromium() is None, reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
)


def fake_camera_clip(image: Path, out: Path, size: tuple[int, int] = (1280, 960), frames: int = 3) -> Path:
    """A Y4M clip (what Chromium's fake camera plays, in a loop) of `image`, made now."""
    picture = Image.open(image).convert("RGB")
    picture.thumbnail(size)
    canvas = Image.new("RGB", size, "white")
    canvas.paste(picture, ((size[0] - picture.width) // 2, (size[1] - picture.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (size[0] // 2, size[1] // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    out.write_bytes(f"YUV4MPEG2 W{size[0]} H{size[1]} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return out


def _browser(extra: list[str], language: str = "en-US") -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = _chromium()
    assert found is not None
    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    # navigator.language: headless Chromium takes it from this preference (and --lang).
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    options.add_argument(f"--lang={language}")
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=412,915", *extra]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=found[1]), options=options)


def _wait_for_verdict(driver: Any, seconds: float = 60) -> tuple[str, float]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    start = time.monotonic()
    WebDriverWait(driver, seconds, poll_frequency=0.05).until(
        lambda d: d.find_element(By.ID, "verdict").get_attribute("data-status")
    )
    return driver.find_element(By.ID, "verdict").get_attribute("data-status"), time.monotonic() - start


@needs_chromium
@pytest.mark.slow
def test_page_shows_the_verdict_for_the_fake_camera(server: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    clip = fake_camera_clip(SAMPLES / "genuine.jpg", tmp_path / "seal.y4m")
    driver = _browser(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                       f"--use-file-for-fake-video-capture={clip}"])
    try:
        driver.get(server + "/")
        status, seconds = _wait_for_verdict(driver)
        driver.save_screenshot(str(tmp_path / "camera-verdict.png"))
        (tmp_path / "time-to-verdict.txt").write_text(f"{seconds:.3f}\n")  # a benchmark figure, not an assertion
        assert status == "genuine"
        verdict = driver.find_element(By.ID, "verdict")
        assert verdict.get_attribute("aria-live") == "assertive"
        assert driver.find_element(By.ID, "verdict-word").text == "GENUINE"
        assert driver.find_element(By.ID, "verdict-symbol").text == "✓"
        assert driver.find_element(By.ID, "verdict-specimen").is_displayed()
        assert driver.find_element(By.ID, "not-verified").is_displayed() is False
        facts = driver.find_element(By.ID, "facts").text
        assert "WANG Xiaoming" in facts and "Certificate number" in facts
        time.sleep(1.5)  # more frames of the same seal: still one entry (each distinct seal once)
        assert len(driver.find_elements(By.CSS_SELECTOR, "#seen li")) == 1
        driver.find_element(By.ID, "language").click()
        assert driver.find_element(By.ID, "verdict-word").text == "真实有效"
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hans"
        from selenium.webdriver.support.ui import WebDriverWait

        # The server's words follow: the page asks for the same image again in Chinese.
        WebDriverWait(driver, 30).until(lambda d: "证书编号" in d.find_element(By.ID, "facts").text)
        assert "Certificate number" not in driver.find_element(By.ID, "facts").text
        assert driver.find_element(By.ID, "verdict-reason").text.startswith("原因：签名已核实")
    finally:
        driver.quit()


@needs_chromium
@pytest.mark.slow
@pytest.mark.parametrize(("name", "status", "word"), [("genuine.jpg", "genuine", "真实有效"), ("altered.jpg", "forged", "伪造")])
def test_page_upload_fallback_without_a_camera(server: str, tmp_path: Path, name: str, status: str, word: str) -> None:
    from selenium.webdriver.common.by import By

    # No fake device and the permission denied: the photo input is the way in. Chinese from navigator.language.
    driver = _browser(["--deny-permission-prompts"], language="zh-CN")
    try:
        driver.get(server + "/")
        driver.find_element(By.ID, "photo").send_keys(str(SAMPLES / name))
        found, _seconds = _wait_for_verdict(driver)
        driver.save_screenshot(str(tmp_path / f"upload-{status}.png"))
        assert found == status
        assert driver.find_element(By.ID, "verdict-word").text == word
        facts = driver.find_element(By.ID, "facts").text  # the server's labels, asked for in Chinese
        assert "持有人" in facts and "Holder" not in facts and "Certificate number" not in facts
        assert driver.find_element(By.ID, "verdict-reason").text.startswith("原因：")
        from selenium.webdriver.support.ui import WebDriverWait

        # It says why there is no camera, and offers to try again.
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "camera-start").is_displayed())
        assert driver.find_element(By.ID, "camera-status").text
        assert driver.find_element(By.ID, "not-verified").is_displayed() is (status != "genuine")
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with a registry made now: three seals signed with a throw-away key, the second revoked."""
    pytest.importorskip("sqlalchemy", reason="the 'registry' extra is not installed (pip install 'scanverify[registry]')")
    from scanverify.issuer import generate_key, sign_record
    from scanverify.registry import Registry

    folder = tmp_path_factory.mktemp("registry-server")
    url = f"sqlite:///{folder / 'registry.sqlite3'}"
    key = generate_key()
    with Registry.open(url, create=True) as registry:
        for n in (1, 2, 3):
            record = {"v": 1, "no": f"2026-SH-010{n}", "t": "apostille", "dt": f"2026-11-0{n}",
                      "au": "Consulate General, Shanghai", "doc": {"ti": "Birth certificate", "hn": "王小明 <b>x</b>"}}
            registry.record_seal(sign_record(record, key, iss="CN"), key.public_key())
        registry.revoke("2026-SH-0102", reason="issued in error")
    with _running(["--registry", url, "--no-default-trust"], folder / "server.log") as served:
        yield served


def _look_up(driver: Any, no: str, dt: str, before: str | None) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    number = driver.find_element(By.ID, "lookup-no")
    number.clear()
    number.send_keys(no)
    # A date input's typing order follows the browser's locale; its value is always YYYY-MM-DD.
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, "lookup-dt"), dt)
    driver.find_element(By.ID, "lookup-go").click()
    result = driver.find_element(By.ID, "lookup-result")
    WebDriverWait(driver, 30, poll_frequency=0.05).until(
        lambda d: result.get_attribute("data-answer") not in (None, "busy", before)
    )
    return str(result.get_attribute("data-answer"))


@needs_chromium
@pytest.mark.slow
def test_page_looks_a_certificate_up(registry_server: str, server: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = _browser(["--deny-permission-prompts"])
    try:
        driver.get(server + "/")  # no registry there: no form
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "camera-start").is_displayed())
        assert not driver.find_element(By.ID, "lookup").is_displayed()

        driver.get(registry_server + "/")
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "lookup").is_displayed())
        result = driver.find_element(By.ID, "lookup-result")
        assert result.get_attribute("aria-live") == "polite" and result.get_attribute("role") == "status"
        seen = []
        for no, dt in (("2026-SH-0101", "2026-11-01"), ("2026-SH-0102", "2026-11-02"), ("2026-SH-0103", "2026-11-01")):
            answer = _look_up(driver, no, dt, seen[-1][0] if seen else None)
            seen.append((answer, driver.find_element(By.ID, "lookup-symbol").text,
                         driver.find_element(By.ID, "lookup-word").text, driver.find_element(By.ID, "lookup-record").text))
            driver.save_screenshot(str(tmp_path / f"lookup-{answer}.png"))
        (valid, revoked, missing) = seen
        assert valid[:3] == ("valid", "✓", "VALID")
        assert valid[3].splitlines()[:2] == ["Certificate number", "2026-SH-0101"]  # in the certificate's order
        assert "王小明 <b>x</b>" in valid[3]  # the record's text as text, never markup
        assert not driver.find_elements(By.CSS_SELECTOR, "#lookup-record b")
        assert revoked[:3] == ("revoked", "⊘", "REVOKED") and "2026-SH-0102" in revoked[3]
        assert missing == ("not_found", "∅", "NOT FOUND", "")  # right number, wrong date: nothing shown
        driver.find_element(By.ID, "language").click()
        assert driver.find_element(By.ID, "lookup-word").text == "未找到"
    finally:
        driver.quit()


# ---------------------------------------------------------------- Dask
def test_verifier_pickles_and_verifies_the_same() -> None:
    from scanverify.serve.archive import picklable

    verifier = picklable(Verifier())
    copy = pickle.loads(pickle.dumps(verifier))
    payload = Verifier().verify_image(SAMPLES / "genuine.jpg")[0].payload
    assert payload is not None
    assert copy.verify_payload(payload).status == verifier.verify_payload(payload).status


@pytest.mark.parametrize("scheduler", ["sync", "processes"])
def test_archive_verified_over_a_dask_bag(scheduler: str, tmp_path: Path) -> None:
    pytest.importorskip("dask", reason="the 'dask' extra is not installed")
    import dask.bag as db

    from scanverify.serve.archive import verify_bag

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a photo")
    paths = [str(SAMPLES / n) for n in ("genuine.jpg", "altered.jpg", "no-code.jpg")] + [str(broken)]
    kwargs: dict[str, Any] = {"num_workers": 2} if scheduler == "processes" else {}
    results = verify_bag(db.from_sequence(paths, npartitions=2), Verifier(), redact=True).compute(
        scheduler=scheduler, **kwargs
    )
    assert [(Path(r["source"]).name, r["status"]) for r in results] == [
        ("genuine.jpg", "genuine"), ("altered.jpg", "forged"), ("no-code.jpg", "no_code"), ("broken.jpg", "error")
    ]
    assert all(r["payload"] is None for r in results)
    assert datetime.fromisoformat(results[0]["checked_at"].replace("Z", "+00:00")).tzinfo == UTC
