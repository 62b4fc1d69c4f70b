"""`scanverify serve`: the verification page for phones and the HTTP API (docs/deploy.md)."""

from __future__ import annotations

import os
import re
import sys
from typing import Any

import click

from .cli_common import options_from, verification_options
from .display import echo, fancy, json_line, shown
from .errors import UsageError
from .i18n import N_
from .i18n import gettext as _

__all__ = ["serve"]

EXTRA_MISSING = N_("scanverify serve needs the 'serve' extra: pip install 'scanverify[serve]'")
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)


def _size(_ctx: Any, _param: Any, value: str) -> int:
    match = _SIZE.match(value)
    if not match:
        raise click.BadParameter(_("{value} is not a size, e.g. 20MB, 512k or 1000000").format(value=repr(value)))
    number = int(match.group(1)) << {"": 0, "k": 10, "m": 20, "g": 30}[match.group(2).lower()]
    if number < 1024:
        raise click.BadParameter(_("at least 1 KB: a photo needs room"))
    return number


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, metavar="N", help="Server processes.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), default=None, metavar="PEM", help="HTTPS certificate.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), default=None, metavar="PEM", help="Its private key.")
@click.option("--self-signed", is_flag=True, help="HTTPS with a certificate made once and kept in the data directory.")
@click.option("--max-body", callback=_size, default="20MB", show_default=True, metavar="SIZE", help="Largest request body.")
@click.option("--cors", multiple=True, metavar="ORIGIN", help="Let pages from ORIGIN call the API (repeatable).")
@click.option(
    "--registry",
    "registry_url",
    envvar="SCANVERIFY_REGISTRY",
    default=None,
    metavar="URL",
    help="Answer GET /api/lookup from this registry (docs/registry.md; default: $SCANVERIFY_REGISTRY, else no lookup).",
)
@click.option(
    "--lookup-limit",
    type=click.IntRange(1, 100_000),
    default=60,
    show_default=True,
    metavar="N",
    help="Lookups per client a minute, per server process.",
)
@verification_options
def _serve(
    host: str,
    port: int,
    workers: int,
    tls_cert: str | None,
    tls_key: str | None,
    self_signed: bool,
    max_body: int,
    cors: tuple[str, ...],
    registry_url: str | None,
    lookup_limit: int,
    **kwargs: Any,
) -> None:
    """Serve the verification page (GET /) and the HTTP API (POST /api/verify).

    \b
      scanverify serve                               this computer only, http://127.0.0.1:8000/
      scanverify serve --host 0.0.0.0 --self-signed  phones on the counter's network (HTTPS: the camera needs it)
      scanverify serve --workers 4 --redact          four processes; no names or payloads in answers
      scanverify serve --registry URL                also the lookup by certificate number and date

    Takes the same verification options as image verification (--trust, --at, --effort,
    --redact, ...); --json prints the start-up line (URLs, fingerprint) as JSON; --quiet
    prints no QR code. Browsers give a page the camera only over HTTPS or on localhost.
    """
    options = options_from(kwargs)
    if not extra_installed():
        raise UsageError(_(EXTRA_MISSING))
    import uvicorn

    from .serve.app import ENV_CONFIG, ServeConfig

    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError(_("--tls-cert and --tls-key go together"))
    if self_signed and tls_cert is not None:
        raise click.UsageError(_("give --tls-cert/--tls-key or --self-signed, not both"))
    for origin in cors:
        if not re.fullmatch(r"https?://[^/\s]+", origin):
            raise click.UsageError(_("--cors takes an origin like https://kiosk.example, not {origin}").format(origin=repr(origin)))

    options.verifier()  # bad trust files end here, with exit 2, before any port is opened
    if registry_url is not None:
        from .registry import Registry

        # A registry that is missing, not a registry, at another schema
        # version, or the extra not installed: one line and exit 2 here,
        # before any port is opened (each server process opens it again).
        Registry.open(registry_url).close()
    config = ServeConfig(
        trust_files=options.trust_files,
        no_default_trust=options.no_default_trust,
        at=options.at.isoformat() if options.at is not None else None,
        effort=options.effort,
        redact=options.redact,
        root=options.root,
        max_body=max_body,
        cors=cors,
        registry=registry_url,
        lookup_limit=lookup_limit,
    )
    addresses = _addresses(host)
    fingerprint = None
    if self_signed:
        from .serve.tls import self_signed as make
        from .trustlist import data_dir

        made = make(data_dir() / "serve", [a for a in addresses if a not in ("127.0.0.1", "::1")])
        tls_cert, tls_key, fingerprint = str(made.cert), str(made.key), made.fingerprint
    scheme = "https" if tls_cert else "http"
    urls = [f"{scheme}://{_url_host(a)}:{port}/" for a in addresses]
    wide = not _loopback(host)
    _announce(urls, fingerprint, wide, scheme, options.as_json, options.quiet)

    # Every process (one, or uvicorn's --workers) builds its app from the same options.
    os.environ[ENV_CONFIG] = config.to_env()
    uvicorn.run(
        "scanverify.serve.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        log_level="warning",
        access_log=False,  # a line per request costs time; a reverse proxy keeps the access log
        server_header=False,  # the software and its version are nobody's business
        date_header=True,
        timeout_keep_alive=5,
        # The request line and headers are bounded by the HTTP parser; the body by --max-body.
        h11_max_incomplete_event_size=64 << 10,
    )


serve: click.Command = _serve


def extra_installed() -> bool:
    """Whether the 'serve' extra's packages are there (python-multipart is imported as python_multipart or multipart)."""
    from importlib.util import find_spec

    try:
        multipart = find_spec("python_multipart") is not None or find_spec("multipart") is not None
        return multipart and all(find_spec(name) is not None for name in ("starlette", "uvicorn"))
    except (ImportError, ValueError):
        return False


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _addresses(host: str) -> list[str]:
    """The addresses to print as URLs: the host, or, for a wildcard bind, this machine's own addresses."""
    import ipaddress
    import socket  # here, not at the top: only `serve` needs them (cold start of every command)

    if host not in ("0.0.0.0", "::", ""):
        return [host]
    found: list[str] = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, proto=socket.IPPROTO_TCP):
            address = str(info[4][0])
            if (host == "::" or ":" not in address) and not ipaddress.ip_address(address).is_loopback:
                found.append(address)
    except (OSError, ValueError):
        pass
    return [*dict.fromkeys(found), "127.0.0.1"]


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _announce(urls: list[str], fingerprint: str | None, wide: bool, scheme: str, as_json: bool, quiet: bool) -> None:
    if as_json:
        sys.stdout.write(json_line({"urls": urls, "tls_fingerprint_sha256": fingerprint, "wide_bind": wide}) + "\n")
        sys.stdout.flush()
    if wide:
        # Anyone on the network can reach a wide bind: say so every time.
        warning = _("listening beyond this computer: anyone on the network can reach this server")
        if scheme == "http":
            warning += _("; without TLS, photos and verdicts cross the network in clear and phones get no camera")
        echo(_("scanverify: warning: "), warning, err=True)
    if as_json:
        return
    echo(_("scanverify serve: open "), ", ".join(shown(u).text for u in urls))
    if fingerprint is not None:
        echo(_("TLS certificate SHA-256 fingerprint (compare it with what the phone shows): "), fingerprint)
    if not quiet and fancy(sys.stdout):
        import segno

        # The first URL a phone can reach (a LAN address before localhost).
        segno.make(urls[0], error="m").terminal(out=sys.stdout, compact=True, border=2)
    echo(_("Ctrl-C stops the server."))
