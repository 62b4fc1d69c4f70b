"""The ASGI application of `scanverify serve`: the verification page and the HTTP API.

Stateless: a request's answer depends only on the request, the trust in use and
the clock, so any number of processes (``--workers``, or one per node behind a
load balancer) answer alike. What a process keeps is read-only: the verifier
(its trust store, reloaded when `scanverify trust update` installs a newer list)
and the page's files.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.schemas import SchemaGenerator

from .. import __version__
from ..errors import ImageError, ScanverifyError

__all__ = ["ENV_CONFIG", "ServeConfig", "app_from_environment", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: How worker processes (uvicorn --workers) get the command line's options.
ENV_CONFIG = "SCANVERIFY_SERVE_CONFIG"
#: At most this many payloads in one JSON request: a clerk's batch, not an archive (use Dask).
MAX_PAYLOADS = 100
#: A payload longer than this is no code's content (the largest QR code holds under 3 KB).
MAX_PAYLOAD_CHARS = 64 << 10
#: Up to this many payloads are verified on the event loop; more go to a worker thread.
INLINE_PAYLOADS = 4
#: At most this many lookups wait on the database at once per process (the rest queue on the loop).
LOOKUP_THREADS = 8
#: How often (seconds) a process looks whether `scanverify trust update` installed a new list.
TRUST_RECHECK = 2.0

#: The page's files, served from the package (no external resource: works offline).
STATIC_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "messages.json": "application/json",
    "icon.svg": "image/svg+xml",
}

#: Sent with every response. The page's script and style are files of our own
#: origin: no inline script can run (an injected one would be refused), no
#: other origin is contacted, and nothing may frame the page (clickjacking).
#: blob:/mediastream: let the page show the camera and draw frames.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob: mediastream:; connect-src 'self'; manifest-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    # Never guess a type: an uploaded image's bytes are never echoed, but a
    # response must not be sniffed into HTML by an old browser.
    "x-content-type-options": "nosniff",
    # The page's URL may carry a LAN address; other sites need not learn it.
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    # Only this page may ask for the camera; no microphone, no location.
    "permissions-policy": "camera=(self), microphone=(), geolocation=()",
}


@dataclass(frozen=True)
class ServeConfig:
    """What every server process needs to build the same verifier: the verification options."""

    trust_files: tuple[str, ...] = ()
    no_default_trust: bool = False
    at: str | None = None
    """ISO-8601 (already checked by the command line), or None for the clock."""
    effort: str = "normal"
    redact: bool = False
    root: str | None = None
    max_body: int = 20 << 20
    cors: tuple[str, ...] = ()
    decode_threads: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    """How many images one process decodes at once (CPU-bound, off the event loop)."""
    registry: str | None = None
    """The registry URL for GET /api/lookup (docs/registry.md); None: no lookup on this server."""
    lookup_limit: int = 60
    """Lookups per client in any sliding minute (per server process)."""

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, text: str) -> ServeConfig:
        data = json.loads(text)
        data["trust_files"] = tuple(data.get("trust_files", ()))
        data["cors"] = tuple(data.get("cors", ()))
        return cls(**data)

    def verifier(self) -> tuple[Any, list[str]]:
        """A new verifier for these options, and the warnings loading its trust gave."""
        from ..trust import TrustStore
        from ..trustlist import active_store
        from ..verifier import Verifier

        stores = []
        warnings: list[str] = []
        if not self.no_default_trust:
            store, warnings = active_store(self.root)
            stores.append(store)
        stores += [TrustStore.from_file(path) for path in self.trust_files]
        verifier = Verifier(trust=TrustStore.combine(stores), effort=self.effort)
        if self.at is not None:
            verifier.clock = _FixedClock(datetime.fromisoformat(self.at))
        return verifier, warnings


@dataclass(frozen=True)
class _FixedClock:
    """--at: every verdict as of this moment (a picklable clock, for worker processes)."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


class TrustHolder:
    """The verifier in use, rebuilt when `scanverify trust update` installs a new list.

    Each node gets its lists by running `scanverify trust update` (cron, a
    systemd timer); a running server picks the new list up within
    TRUST_RECHECK seconds, with no restart, by watching the installed file.
    """

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.verifier, self.warnings = config.verifier()
        self._stamp = self._installed_stamp()
        self._checked = time.monotonic()

    def _installed_stamp(self) -> tuple[int, int] | None:
        if self.config.no_default_trust:
            return None
        from ..trustlist import INSTALLED_BUNDLE, data_dir

        try:
            stat = (data_dir() / INSTALLED_BUNDLE).stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def current(self) -> Any:
        now = time.monotonic()
        if now - self._checked >= TRUST_RECHECK:
            self._checked = now
            stamp = self._installed_stamp()
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self.verifier, self.warnings = self.config.verifier()
                except ScanverifyError as exc:
                    # Keep the verifier that worked; say why on /api/trust.
                    self.warnings = [f"new trust list not loaded: {exc.diagnostics()}"]
        return self.verifier


# ---------------------------------------------------------------- errors
class InputProblem(HTTPException):
    """Bad input: a JSON error with a 4xx status, never a 500, never a trace."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status_code=status, detail=message)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers={"cache-control": "no-store"})


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "request refused"
    response = _error(exc.status_code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _internal_error(_request: Request, _exc: Exception) -> Response:
    # A bug, not the input: no trace or exception text goes to the client
    # (it may quote a file path or memory layout); the server's log has it.
    return _error(500, "internal error (please report this)")


# ---------------------------------------------------------------- middleware
def security_headers(app: ASGIApp) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


def body_limit(app: ASGIApp, limit: int) -> ASGIApp:
    """Refuse a body over `limit` bytes with 413, before reading it when its length is declared.

    A declared Content-Length over the limit is answered at once and the body is
    never read (the server then closes the connection); a chunked body is counted
    as it arrives and refused when it passes the limit: memory stays bounded.
    """

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await _error(400, "bad Content-Length")(scope, receive, send)
                    return
                if declared > limit:
                    await _too_large(limit)(scope, receive, send)
                    return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise InputProblem(413, _too_large_text(limit))
            return message

        await app(scope, counted, send)

    return wrapped


def _too_large_text(limit: int) -> str:
    return f"request body over the limit of {limit} bytes"


def _too_large(limit: int) -> JSONResponse:
    response = _error(413, _too_large_text(limit))
    response.headers["connection"] = "close"
    return response


# ---------------------------------------------------------------- the API
class Api:
    def __init__(self, config: ServeConfig) -> None:
        import anyio

        self.config = config
        self.trust = TrustHolder(config)
        # Decoding is CPU-bound: it runs in worker threads, at most this many
        # at once, so the event loop keeps answering (health checks, payloads).
        self.limiter = anyio.CapacityLimiter(config.decode_threads)

    async def verify(self, request: Request) -> Response:
        """
        summary: Verify the seals in an image, or one or more payloads.
        description: >
          Send a photo (multipart/form-data field `image`, or a raw `image/*` body) or JSON
          `{"payload": "..."}` / `{"payloads": ["...", ...]}`. Every verdict comes back as the
          object `scanverify --json` prints, plus `facts` (what the seal certifies, as label and
          value) and `verdict` (the status as a clerk reads it). Those fields are English; the
          words for a person come beside them in the language asked for (`?lang=zh|en`, else
          Accept-Language, else English; named in the body's `lang`): `verdict_text`,
          `reason_text`, `warnings_text` and each fact's `label_text` and `value_text`. A verdict
          that is not genuine is still a 200: it is the answer, not an error.
        requestBody:
          content:
            multipart/form-data:
              schema: {type: object, properties: {image: {type: string, format: binary}}, required: [image]}
            image/*:
              schema: {type: string, format: binary}
            application/json:
              schema:
                type: object
                properties:
                  payload: {type: string}
                  payloads: {type: array, items: {type: string}, maxItems: 100}
        responses:
          200: {description: 'a JSON object {"results": [...]}: one object per code found (or per payload)'}
          400: {description: bad JSON or a request that is not one of the three forms}
          413: {description: body over the limit (--max-body, 20 MB by default)}
          415: {description: not multipart, an image or JSON}
          422: {description: the image cannot be read, or the JSON has no payload}
        """
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        verifier = self.trust.current()
        try:
            if kind == "application/json":
                payloads = _payloads(await request.body())
                if len(payloads) <= INLINE_PAYLOADS:
                    # Well under a millisecond each: a hop to a thread would cost
                    # about as much, and add a queue (the p99) under load.
                    results = _verify_payloads(verifier, payloads)
                else:
                    results = await self._in_thread(_verify_payloads, verifier, payloads)
            elif kind == "multipart/form-data":
                data = await self._uploaded(request)
                results = await self._in_thread(_verify_image, verifier, data)
            elif kind.startswith("image/"):
                data = await request.body()
                if not data:
                    raise InputProblem(422, "empty image body")
                results = await self._in_thread(_verify_image, verifier, data)
            else:
                raise InputProblem(415, "send an image (multipart field 'image' or an image/* body) or JSON")
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is left to read it
        redact = self.config.redact
        lang = _language_of(request)
        body = {"lang": lang, "results": [_public(result, redact, lang) for result in results]}
        response = _json(body)
        response.headers["vary"] = "accept-language"
        return response

    async def _uploaded(self, request: Request) -> bytes:
        from starlette.datastructures import UploadFile

        try:
            # One file and a few fields: a form with thousands of parts is refused.
            async with request.form(max_files=1, max_fields=8, max_part_size=64 << 10) as form:
                image = form.get("image")
                if not isinstance(image, UploadFile):
                    raise InputProblem(422, "no file in the multipart field 'image'")
                data = await image.read()
        except HTTPException:
            raise
        except ClientDisconnect:
            raise
        except Exception as exc:  # the multipart parser's own errors: bad input
            raise InputProblem(400, f"bad multipart body: {type(exc).__name__}") from None
        if not data:
            raise InputProblem(422, "the uploaded image is empty")
        return data

    async def _in_thread(self, function: Callable[..., list[Any]], *args: Any) -> list[Any]:
        import anyio

        try:
            return await anyio.to_thread.run_sync(function, *args, limiter=self.limiter)
        except ImageError as exc:
            raise InputProblem(422, f"not a readable image: {exc.diagnostics()}") from None

    async def health(self, _request: Request) -> Response:
        """
        summary: Liveness and readiness.
        responses:
          200: {description: 'a JSON object {"status": "ok", "version": "..."}'}
        """
        return _json({"status": "ok", "version": __version__})

    async def trust_info(self, _request: Request) -> Response:
        """
        summary: The trust in use.
        description: Each trusted key (name, issuer, kid, role, formats, specimen, revoked, source), the
          version of each bundle, when the list expires and whether it is out of date now.
        responses:
          200: {description: the trust in use}
        """
        verifier = self.trust.current()
        store = verifier.trust
        now = verifier.clock()
        body = {
            "scanverify": __version__,
            "versions": dict(store.versions),
            "sources": list(store.sources),
            "expires": _iso(store.expires) if store.expires is not None else None,
            "stale": bool(store.stale_at(now)),
            "checked_at": _iso(now),
            "warnings": [*self.trust.warnings, *store.warnings],
            "revoked_seals": len(store.revoked_seals),
            "keys": [key.describe() for key in store],
        }
        return _json(body)


def _json(body: Any, *, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    # Results, trust state and lookups are per-request answers: never cached by
    # a browser or a proxy (a cached "genuine" or "valid" must not outlive a revocation).
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(
        text, status_code=status_code, media_type="application/json", headers={"cache-control": "no-store", **(headers or {})}
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _payloads(body: bytes) -> list[str]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise InputProblem(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise InputProblem(422, 'JSON must be an object: {"payload": "..."} or {"payloads": [...]}')
    if "payload" in data:
        payloads = [data["payload"]]
    elif "payloads" in data and isinstance(data["payloads"], list):
        payloads = data["payloads"]
    else:
        raise InputProblem(422, 'JSON must have "payload" (a string) or "payloads" (a list of strings)')
    if not payloads:
        raise InputProblem(422, '"payloads" is empty')
    if len(payloads) > MAX_PAYLOADS:
        raise InputProblem(413, f"at most {MAX_PAYLOADS} payloads in one request")
    for payload in payloads:
        if not isinstance(payload, str):
            raise InputProblem(422, "every payload must be a string")
        if len(payload) > MAX_PAYLOAD_CHARS:
            raise InputProblem(413, f"a payload longer than {MAX_PAYLOAD_CHARS} characters is no code's content")
    return payloads


def _verify_payloads(verifier: Any, payloads: Sequence[str]) -> list[Any]:
    source = "<text>" if len(payloads) == 1 else None
    return [verifier.verify_payload(p, source=source or f"<text>:{n}") for n, p in enumerate(payloads, 1)]


def _verify_image(verifier: Any, data: bytes) -> list[Any]:
    """The verdicts on one uploaded image, through the library's batch API when it has one."""
    verify_many = getattr(verifier, "verify_many", None)
    if verify_many is not None:
        results: list[Any] = []
        for _source, found in verify_many([data], workers=1, sources=["<upload>"]):
            results += found
        return results
    return list(verifier.verify_image(data, source="<upload>"))


def _language_of(request: Request) -> str:
    """The language the page asked for: ``?lang=zh|en``, else the Accept-Language header, else English."""
    from ..i18n import language_from_accept, normalise

    return normalise(request.query_params.get("lang")) or language_from_accept(request.headers.get("accept-language")) or "en"


def _public(result: Any, redact: bool, lang: str = "en") -> dict[str, Any]:
    """The --json object (redacted with --redact), plus what the page shows: facts and the verdict words.

    The --json fields stay English and stable whatever the language; the words for a person
    come beside them in ``lang``: ``verdict_text``, ``reason_text``, ``warnings_text`` and each
    fact's ``label_text`` / ``value_text`` (times in the server's local time, with the zone)."""
    from ..i18n import using
    from ..model import Status
    from ..reasons import reason_text, warning_text
    from ..render import fact_lines, verdict_words

    if result.status is Status.ERROR:
        # verify_many reports an unreadable image as an error row: for the API that is the input's fault.
        raise InputProblem(422, f"not a readable image: {result.reason}")
    public = result.redacted() if redact else result
    out: dict[str, Any] = public.to_json()
    out["verdict"] = public.verdict_text
    facts = out.setdefault("facts", [])  # to_json gives a seal's facts; the page reads the key on every row
    with using(lang):
        shown = fact_lines(public.format, public.facts)
        out["verdict_text"] = verdict_words(public)
        out["reason_text"] = reason_text(public)
        out["warnings_text"] = [warning_text(w) for w in public.warnings]
    # Beside each fact's English label and value (the JSON's own), the words the page shows.
    for fact, (label, value) in zip(facts, shown, strict=False):
        fact["label_text"], fact["value_text"] = label, value
    return out


# ---------------------------------------------------------------- the online query
class Lookup:
    """GET /api/lookup on a server started with a registry (docs/registry.md), and GET /api/config.

    The registry is opened once, when the process builds its app: a server
    whose database is missing or at another schema version never starts.
    """

    def __init__(self, config: ServeConfig) -> None:
        import anyio

        self.redact = config.redact
        self.registry: Any = None
        if config.registry is not None:
            from ..registry import RateLimiter, Registry

            self.registry = Registry.open(config.registry)
            self.limiter = RateLimiter(config.lookup_limit)
        # Database calls block: they run in worker threads of their own, so a
        # slow database never holds the threads that decode photos, nor the loop.
        self.threads = anyio.CapacityLimiter(LOOKUP_THREADS)

    def close(self) -> None:
        if self.registry is not None:
            self.registry.close()

    async def lookup(self, request: Request) -> Response:
        """
        summary: Look a certificate up in the issuing office's registry.
        description: >
          The certificate number and the date of the act, both as printed on the certificate.
          `{"found": true, "status": "valid"|"revoked", "record": {...}}` when a seal has that
          number and that date; `{"found": false}` otherwise, the same answer after the same work
          whether the number is unknown or the date wrong (numbers cannot be walked into holders'
          names). At most a fixed number of lookups per client a minute (60 by default).
        parameters:
          - {name: 'no', in: query, required: true, schema: {type: string, maxLength: 200}, description: the certificate number}
          - {name: dt, in: query, required: true, schema: {type: string, format: date}, description: the date of the act, YYYY-MM-DD}
        responses:
          200: {description: '{"found": true, "status": "valid"|"revoked", "record": {...}} or {"found": false}'}
          400: {description: no or dt missing, repeated or malformed}
          404: {description: this server has no registry (started without --registry)}
          429: {description: too many lookups from this client; Retry-After says how many seconds to wait}
          503: {description: the registry cannot be reached now}
        """
        import anyio

        from ..registry import lookup_answer
        from ..registry.lookup import too_many

        if self.registry is None:
            raise InputProblem(404, "this server has no registry: no lookup here (scanverify serve --registry URL)")
        client = _client_key(request)
        # Counted on the event loop: a flood past the limit is refused before
        # it takes a thread or touches the database.
        if not self.limiter.allow(client):
            status, body = too_many(self.limiter, client)
        else:
            params = {name: request.query_params.getlist(name) for name in request.query_params}
            status, body = await anyio.to_thread.run_sync(
                lookup_answer, self.registry, params, client, None, limiter=self.threads
            )
        if status != 200:
            headers = {"retry-after": str(body.pop("retry_after"))} if status == 429 else {}
            return _json({**body, "status": status}, status_code=status, headers=headers)
        if self.redact and body.get("found"):
            body = {**body, "record": _redacted_record(body["record"])}
        return _json(body)

    async def config(self, _request: Request) -> Response:
        """
        summary: What this server offers the page.
        responses:
          200: {description: '{"lookup": true|false}: whether GET /api/lookup answers here'}
        """
        return _json({"lookup": self.registry is not None})


def _client_key(request: Request) -> str:
    """Who a rate limit counts: the client's address, an IPv6 client's /64.

    An IPv6 host usually holds a whole /64 and can take a new address from it
    for every request: counted per address, it would never meet the limit.
    Behind a reverse proxy the address is the one uvicorn takes from
    X-Forwarded-For, which it believes only from --forwarded-allow-ips
    (127.0.0.1 by default), so a client cannot choose its own.
    """
    import ipaddress

    host = request.client.host if request.client is not None else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _redacted_record(record: Any) -> Any:
    """--redact: the record without the holder's name (what `scanverify --redact` hides of a CS1 seal)."""
    if not isinstance(record, dict) or not isinstance(record.get("doc"), dict):
        return record
    return {**record, "doc": {k: v for k, v in record["doc"].items() if k != "hn"}}


# ---------------------------------------------------------------- the page
class Page:
    def __init__(self) -> None:
        folder = resources.files("scanverify.serve").joinpath("static")
        self.files = {name: folder.joinpath(name).read_bytes() for name in STATIC_TYPES}

    async def index(self, _request: Request) -> Response:
        return self._file("index.html")

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.files or name == "index.html":
            raise InputProblem(404, "not found")
        return self._file(name)

    def _file(self, name: str) -> Response:
        # no-cache: revalidated each time, so a node updated with a new page never serves a stale script.
        return Response(self.files[name], media_type=STATIC_TYPES[name], headers={"cache-control": "no-cache"})


# ---------------------------------------------------------------- assembly
def create_app(config: ServeConfig | None = None) -> ASGIApp:
    """The ASGI application for these options (the default trust, now, normal effort when None)."""
    config = config or ServeConfig()
    api = Api(config)
    lookup = Lookup(config)
    page = Page()
    schemas = SchemaGenerator(
        {
            "openapi": "3.0.3",
            "info": {"title": "scanverify", "version": __version__, "description": "Verify signed seals, offline."},
        }
    )

    schema: list[Any] = []

    async def openapi(request: Request) -> Response:
        if not schema:  # made once, from the routes' docstrings
            schema.append(schemas.get_schema(routes=request.app.routes))
        return _json(schema[0])

    routes = [
        Route("/", page.index, methods=["GET"], include_in_schema=False),
        Route("/static/{name}", page.static, methods=["GET"], include_in_schema=False),
        Route("/api/verify", api.verify, methods=["POST"]),
        Route("/api/trust", api.trust_info, methods=["GET"]),
        # Described in /openapi.json only where it answers.
        Route("/api/lookup", lookup.lookup, methods=["GET"], include_in_schema=lookup.registry is not None),
        Route("/api/config", lookup.config, methods=["GET"]),
        Route("/healthz", api.health, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            lookup.close()  # the registry's connections, when the server stops

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
        lifespan=lifespan,
    )
    asgi: ASGIApp = app
    if config.cors:
        from starlette.middleware.cors import CORSMiddleware

        # Only the origins named with --cors may call the API from a browser;
        # without it, no CORS header is sent and other sites' pages cannot read answers.
        asgi = CORSMiddleware(asgi, allow_origins=list(config.cors), allow_methods=["GET", "POST"], allow_headers=["content-type"])
    asgi = body_limit(asgi, config.max_body)
    return security_headers(asgi)


def app_from_environment() -> ASGIApp:
    """The factory uvicorn's worker processes call (`--workers`): options from $SCANVERIFY_SERVE_CONFIG."""
    text = os.environ.get(ENV_CONFIG)
    return create_app(ServeConfig.from_env(text) if text else None)
