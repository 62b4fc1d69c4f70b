"""`scanverify trust ...`: sign, check, install and show signed trust lists."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from .display import REASON_LIMIT, echo, json_line, shown
from .errors import TrustError
from .i18n import N_
from .i18n import gettext as _

#: A trust document that was read and checked, and refused (signature, rollback, expiry).
EXIT_REFUSED = 4
#: The sources scanverify names itself (trust.py, trustlist.py): said in the reader's language;
#: a file name is the file's own and shown as it is. JSON keeps the English.
OWN_SOURCES = frozenset({N_("built-in trust bundle"), N_("built-in trust root")})


def _source(source: str) -> str:
    return _(source) if source in OWN_SOURCES else shown(source).text


def _regular(_ctx: Any, _param: Any, value: str | None) -> str | None:
    from .cli_common import refuse_special_file

    refuse_special_file(value)  # a FIFO or device would hang the read
    return value


root_option = click.option(
    "--root",
    "root_path",
    type=click.Path(dir_okay=False),
    callback=_regular,
    default=None,
    metavar="FILE",
    help="Check against this trust root instead of the pinned one (tests, private deployments).",
)


def _refused(exc: TrustError) -> None:
    echo(_("scanverify: refused: "), shown(exc.diagnostics(), REASON_LIMIT), err=True)
    sys.exit(EXIT_REFUSED)


@click.group()
def trust() -> None:
    """Signed trust lists: sign (authority), verify, update, show."""


@trust.command("sign")
@click.argument("document", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--key",
    "key_files",
    required=True,
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The trust-list signing key (PEM). Repeat for a threshold root.",
)
@click.option(
    "--type",
    "kind",
    type=click.Choice(["bundle", "root"]),
    default="bundle",
    show_default=True,
    help="A trust bundle, or a new root (signed with the current root's key).",
)
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="Where to write the signed file.")
def sign_command(document: str, key_files: tuple[str, ...], kind: str, out: str) -> None:
    """Sign a trust bundle (or a new root) for distribution."""
    from .cli_common import refuse_special_file
    from .issuer import load_private_key
    from .trust import TrustStore, parse_json, read_trust_file
    from .trustlist import BUNDLE_TYPE, ROOT_TYPE, _parse_root, sign_document

    for path in (document, *key_files):
        refuse_special_file(path)  # a FIFO would hang the read
    # The exact bytes read are the bytes signed: nothing is re-serialised.
    data = read_trust_file(document)
    if kind == "bundle":
        bundle = parse_json(data, document)
        TrustStore.from_bundle(bundle, document)  # refuse to sign what no verifier would load
        if bundle.get("expires") is None:
            raise TrustError(_("{path}: a bundle to be signed needs an 'expires' time").format(path=document))
    else:
        _parse_root(data, document)
    signed = sign_document(
        data, BUNDLE_TYPE if kind == "bundle" else ROOT_TYPE, [load_private_key(k) for k in key_files]
    )
    try:
        Path(out).write_bytes(signed)
    except OSError as exc:
        raise TrustError(_("{path}: cannot write ({error})").format(path=out, error=exc.strerror or exc)) from None
    echo(_("wrote {path}").format(path=shown(out).text))


@trust.command("verify")
@click.argument("file", type=click.Path(dir_okay=False))
@root_option
def verify_command(file: str, root_path: str | None) -> None:
    """Check a signed trust list (or root) without installing it."""
    from .cli_common import refuse_special_file
    from .trustlist import BUNDLE_TYPE, _kind_of, _read, _rotate, load_root, open_signed_bundle

    refuse_special_file(file)  # a FIFO would hang the check
    data = _read(Path(file))
    root = load_root(root_path)
    try:
        if _kind_of(data, file) == BUNDLE_TYPE:
            store, bundle = open_signed_bundle(data, root, file)
            expired = store.expires is not None and store.expires < datetime.now(UTC)
            said = _("{path}: signature good; version {version}, {keys} keys, expires {expires}").format(
                path=shown(file).text,
                version=bundle.get("version", 0),
                keys=len(store),
                expires=store.expires.isoformat() if store.expires else _("never"),
            )
            echo(said + (_(" (EXPIRED)") if expired else ""))
            if expired:
                from .trustlist import RefusedUpdate

                assert store.expires is not None
                raise RefusedUpdate(
                    _("{path}: this trust list expired at {end}").format(path=file, end=store.expires.isoformat())
                )
        else:
            new = _rotate(root, data, file)
            echo(_("{path}: a valid rotation to root version {version}").format(path=shown(file).text, version=new.version))
    except TrustError as exc:
        from .trustlist import RefusedUpdate

        if isinstance(exc, RefusedUpdate):
            _refused(exc)
        raise


@trust.command("update")
@click.argument("file", type=click.Path(dir_okay=False))
@root_option
def update_command(file: str, root_path: str | None) -> None:
    """Check a signed trust list (or root) and install it for this user."""
    from .cli_common import check_home_writable, refuse_special_file
    from .errors import UsageError
    from .trustlist import RefusedUpdate, _read, data_dir, install

    refuse_special_file(file)  # a FIFO would hang the update
    check_home_writable()
    data = _read(Path(file))
    try:
        # A format may bring its own signed trust (the VCI's issuer directory),
        # checked by its own rules; anything else is a scanverify signed list.
        updater = _format_update_for(data)
        message = updater.install(file) if updater is not None else install(data, file, root_path=root_path)
        echo(shown(message, REASON_LIMIT))
    except RefusedUpdate as exc:
        _refused(exc)
    except OSError as exc:
        # The folder cannot be written (read-only, /proc, full disk): the
        # user's set-up, said in one line, not an internal error.
        raise UsageError(
            _("cannot install into {path}: {error}").format(path=data_dir(), error=exc.strerror or exc)
        ) from None


def _format_update_for(data: bytes) -> Any:
    from .formats import formats

    for fmt in formats():
        for updater in getattr(fmt, "trust_updates", ()):
            if updater.sniff(data):
                return updater
    return None


@trust.command("show")
@root_option
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def show_command(root_path: str | None, as_json: bool) -> None:
    """The keys in use, their bundle's version, age and source."""
    from .i18n import local_time, ngettext
    from .reasons import warning_text
    from .trustlist import active_store, data_dir, load_root

    store, warnings = active_store(root_path)
    root = load_root(root_path)
    now = datetime.now(UTC)
    installed_at = _installed_at(store.sources)
    info: dict[str, Any] = {
        "sources": list(store.sources),
        "versions": dict(store.versions),
        "installed_at": installed_at.isoformat() if installed_at else None,
        "age_days": (now - installed_at).days if installed_at else None,
        "expires": store.expires.isoformat() if store.expires else None,
        "stale": store.stale_at(now),
        "root": {"version": root.version, "keys": [k.hex() for k in root.keys], "source": root.source},
        "data_dir": str(data_dir()),
        "keys": [
            k.describe() | {"alg": k.alg, "not_before": _iso(k.not_before), "not_after": _iso(k.not_after)}
            for k in store
        ],
        "revoked_seals": sorted(store.revoked_seals),
        "warnings": warnings,
    }
    if as_json:
        for line in json_line(info, indent=2).splitlines():  # echo is one line at a time
            echo(line)
        return
    for warning in warnings:
        echo(_("warning: "), shown(warning_text(warning), REASON_LIMIT), err=True)
    sources = ", ".join(_source(source) for source in store.sources)
    versions = ", ".join(map(str, store.versions.values()))
    echo(_("trust in use: {sources} (version {version})").format(sources=sources, version=versions))
    if installed_at:
        echo(
            ngettext("installed: {time} ({days} day ago)", "installed: {time} ({days} days ago)", info["age_days"]).format(
                time=local_time(installed_at), days=info["age_days"]
            )
        )
    if store.expires:
        if info["stale"]:
            echo(_("expires: OUT OF DATE — update it"))
        else:
            echo(_("expires: valid until {time}").format(time=local_time(store.expires)))
    echo(_("root: version {version} from {source}").format(version=root.version, source=_source(root.source)))
    for key in store:
        flags = [f for f, on in ((_("SPECIMEN"), key.specimen), (_("REVOKED"), key.revoked)) if on]
        # Names and states come from the bundle: shown through the boundary, cut at 200.
        iss, name = shown(key.iss or "--").text, shown(key.name).text
        echo(f"  {key.kid_hex}  {iss}  {key.alg or '':<6} {name} {' '.join(flags)}".rstrip())
    echo(_("revoked seals: {count}").format(count=len(store.revoked_seals)))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _installed_at(sources: tuple[str, ...]) -> datetime | None:
    """When the installed signed list in use was written (None for the built-in one)."""
    from .trustlist import INSTALLED_BUNDLE

    for source in sources:
        if source.endswith(INSTALLED_BUNDLE):
            try:
                return datetime.fromtimestamp(Path(source).stat().st_mtime, UTC)
            except OSError:
                return None
    return None
