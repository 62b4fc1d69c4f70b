"""Signed trust lists: bundles an authority signs, checked against a pinned root.

A signed document is an envelope around the exact bytes that were signed:

    {"format": "scanverify.signed.v1", "type": "trust-bundle" | "trust-root",
     "payload": "<base64 of the exact JSON bytes>",
     "signatures": [{"kid": "<16 hex>", "sig": "<base64>"}]}

The signature covers ``b"scanverify.signed.v1\\0" + type + b"\\0" + payload``,
so a signature made for one type of document can never be replayed as the
other, and nothing is ever re-serialised before checking (JSON has no
canonical form: checking re-encoded JSON is how such schemes get broken).

The root (``data/trust_root.json``, or ``--root FILE``) lists the keys that
may sign bundles and how many of them must (threshold). A new root is taken
only when it is signed by the current one, with a higher version; the chain
of accepted roots is kept beside the installed bundle, in a folder named after
the root it starts from (so a private deployment's ``--root`` chain and the
pinned root's chain never mix), and replayed link by link at every start.

Beside the installed bundle, ``trust-bundle.state.json`` records which root
version accepted it (so a rotation never drops the list in force), its version
(the rollback floor survives a broken installed file) and every revocation
ever installed (so no fallback can trust a key or seal a list once revoked).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._files import package_data
from .algorithms import algorithm_for_key, kid_of
from .errors import TrustError
from .i18n import gettext as _
from .i18n import using
from .reasons import TRUST_FALLBACK, TRUST_RECORD_UNUSABLE
from .trust import BUNDLE_FORMAT, FORMATS_BUILT_IN, TrustStore, key_from_public, parse_json, read_trust_file

if TYPE_CHECKING:
    from .algorithms import PrivateKey

__all__ = [
    "ROOT_FORMAT",
    "SIGNED_FORMAT",
    "RefusedUpdate",
    "Root",
    "active_store",
    "data_dir",
    "install",
    "load_chain",
    "load_root",
    "sign_document",
    "verify_document",
]

SIGNED_FORMAT = "scanverify.signed.v1"
ROOT_FORMAT = "scanverify.trust-root.v1"
BUNDLE_TYPE, ROOT_TYPE = "trust-bundle", "trust-root"
INSTALLED_BUNDLE = "trust-bundle.signed.json"
STATE_FILE = "trust-bundle.state.json"
STATE_FORMAT = "scanverify.trust-state.v1"


class RefusedUpdate(TrustError):
    """A trust update that was checked and refused: bad signature, rollback, expired."""


@dataclass(frozen=True)
class Root:
    """The keys that may sign trust documents, and how many signatures are needed."""

    version: int
    keys: Mapping[bytes, Any]
    """Public keys by kid."""
    threshold: int
    source: str


def _message(kind: str, payload: bytes) -> bytes:
    return SIGNED_FORMAT.encode() + b"\0" + kind.encode() + b"\0" + payload


def data_dir() -> Path:
    """Where `trust update` installs: $SCANVERIFY_HOME, else $XDG_DATA_HOME/scanverify, else ~/.local/share."""
    if os.environ.get("SCANVERIFY_HOME"):
        return Path(os.environ["SCANVERIFY_HOME"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "scanverify"


# ---------------------------------------------------------------- roots
def _parse_root(data: bytes, source: str) -> Root:
    root = parse_json(data, source)
    if not isinstance(root, dict) or root.get("format") != ROOT_FORMAT:
        raise TrustError(_("{source}: not a {format} trust root").format(source=source, format=ROOT_FORMAT))
    version, threshold, entries = root.get("version"), root.get("threshold", 1), root.get("keys")
    if type(version) is not int or version < 1:
        raise TrustError(_("{source}: root version must be a positive integer").format(source=source))
    if not isinstance(entries, list) or not entries:
        raise TrustError(_("{source}: a root needs at least one key").format(source=source))
    keys = {}
    for i, entry in enumerate(entries):
        where = _("{source}, root key {number}").format(source=source, number=i + 1)
        store = TrustStore.from_bundle({"format": "scanverify.trust.v1", "keys": [entry]}, where)
        if store.keys[0].revoked:
            continue  # a root may list a retired key as revoked: it signs nothing
        keys[kid_of(store.keys[0].public_key)] = store.keys[0].public_key
    if not keys:
        raise TrustError(_("{source}: every key of this root is revoked").format(source=source))
    if type(threshold) is not int or not 1 <= threshold <= len(keys):
        raise TrustError(
            _("{source}: threshold must be between 1 and the number of distinct keys ({count})").format(
                source=source, count=len(keys)
            )
        )
    return Root(version, keys, threshold, source)


def pinned_root() -> Root:
    data = package_data("trust_root.json")
    return _parse_root(data, _("built-in trust root"))


def load_root(path: str | Path | None = None, *, home: Path | None = None) -> Root:
    """The root in force: --root FILE if given, else the pinned one, then the rotations installed after it."""
    return load_chain(path, home=home)[-1]


def load_chain(path: str | Path | None = None, *, home: Path | None = None) -> tuple[Root, ...]:
    """Every root from the starting one (--root FILE, else the pinned one) to the one in force, in order."""
    chain = [_parse_root(_read(Path(path)), str(path)) if path is not None else pinned_root()]
    folder = _chain_dir(chain[0], home)
    if folder.is_dir():
        for candidate in sorted(folder.glob("root-*.signed.json"), key=_version_of):
            try:
                chain.append(_rotate(chain[-1], _read(candidate), str(candidate)))
            except TrustError:
                break  # a broken link ends the chain; later roots cannot be trusted
    return tuple(chain)


def _chain_id(start: Root) -> str:
    """A chain's name: its starting root's keys."""
    return hashlib.sha256(b"".join(sorted(start.keys))).hexdigest()[:16]


def _chain_dir(start: Root, home: Path | None) -> Path:
    """Where the rotations that start from root ``start`` are kept.

    Named after the starting root's keys, so that rotations made for a private
    ``--root`` and for the pinned root never overwrite or break each other.
    """
    return (home or data_dir()) / "roots" / _chain_id(start)


def _version_of(path: Path) -> int:
    try:
        return int(path.name.split("-")[1].split(".")[0])
    except (IndexError, ValueError):
        return -1


def _rotate(current: Root, envelope: bytes, source: str) -> Root:
    payload = verify_document(envelope, current, ROOT_TYPE, source)
    new = _parse_root(payload, source)
    if new.version <= current.version:
        raise RefusedUpdate(
            _("{source}: root version {version} is not newer than {current} (rollback)").format(
                source=source, version=new.version, current=current.version
            )
        )
    return new


# ---------------------------------------------------------------- signing and checking
def sign_document(payload: bytes, kind: str, keys: Iterable[PrivateKey]) -> bytes:
    """Wrap exact bytes in a signed envelope, one signature per key."""
    if kind not in (BUNDLE_TYPE, ROOT_TYPE):
        raise TrustError(_("unknown document type {kind}").format(kind=repr(kind)))
    signatures = []
    for key in keys:
        algorithm = algorithm_for_key(key.public_key())
        if algorithm is None:
            raise TrustError(_("the signing key's type is not supported"))
        signature = algorithm.sign(key, _message(kind, payload))
        signatures.append(
            {
                "kid": kid_of(key.public_key()).hex(),
                "alg": algorithm.name,
                "sig": base64.b64encode(signature).decode(),
            }
        )
    envelope = {
        "format": SIGNED_FORMAT,
        "type": kind,
        "payload": base64.b64encode(payload).decode(),
        "signatures": signatures,
    }
    return (json.dumps(envelope, indent=1) + "\n").encode()


def verify_document(data: bytes, root: Root, kind: str, source: str) -> bytes:
    """The signed payload bytes, if enough distinct root keys signed them; else RefusedUpdate."""
    envelope = parse_json(data, source)
    if not isinstance(envelope, dict) or envelope.get("format") != SIGNED_FORMAT:
        raise TrustError(_("{source}: not a signed trust document ({format})").format(source=source, format=SIGNED_FORMAT))
    if envelope.get("type") != kind:
        raise RefusedUpdate(
            _("{source}: is a {type} document, not a {kind}").format(
                source=source, type=repr(envelope.get("type")), kind=kind
            )
        )
    encoded = envelope.get("payload")
    try:
        if not isinstance(encoded, str):
            raise ValueError
        payload = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise TrustError(_("{source}: payload is not valid base64 text").format(source=source)) from None
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list):
        raise TrustError(_("{source}: signatures must be a list").format(source=source))
    message = _message(kind, payload)
    good: set[bytes] = set()
    for entry in signatures:
        if not isinstance(entry, dict):
            continue
        kid_text, sig_text = entry.get("kid"), entry.get("sig")
        if not (isinstance(kid_text, str) and isinstance(sig_text, str)):
            continue
        try:
            kid = bytes.fromhex(kid_text)
            signature = base64.b64decode(sig_text, validate=True)
        except (binascii.Error, ValueError):
            continue
        key = root.keys.get(kid)
        # The kid only picks the key; the algorithm comes from the key itself,
        # never from the envelope, so it cannot be swapped.
        algorithm = algorithm_for_key(key) if key is not None else None
        if algorithm is not None and algorithm.verify(key, message, signature):
            good.add(kid)  # each root key counts once, however often it signed
    if len(good) < root.threshold:
        raise RefusedUpdate(
            _("{source}: not signed by the trust root ({valid} of {required} required signatures valid)").format(
                source=source, valid=len(good), required=root.threshold
            )
        )
    return payload


def _read(path: Path) -> bytes:
    return read_trust_file(path)


def open_signed_bundle(data: bytes, root: Root, source: str) -> tuple[TrustStore, dict[str, Any]]:
    """Check a signed bundle and load it; returns the store and the bundle's JSON."""
    bundle = parse_json(verify_document(data, root, BUNDLE_TYPE, source), _("{source} (signed bundle)").format(source=source))
    if not isinstance(bundle, dict) or bundle.get("expires") is None:
        # A signed list without an end date could be replayed forever.
        raise RefusedUpdate(_("{source}: a signed bundle must say when it expires").format(source=source))
    return TrustStore.from_bundle(bundle, source), bundle


# ---------------------------------------------------------------- the store in use
def built_in_version() -> int:
    return TrustStore.default().versions.get("built-in trust bundle", 0)


@dataclass(frozen=True)
class _State:
    """What is known of the installed list, kept beside it in ``trust-bundle.state.json``.

    Only `trust update` writes it, atomically and before the list itself, so
    that a crash in between leaves a record that is, if anything, stricter.
    """

    chain: str
    """The chain (its starting root) the list was installed under."""
    root_version: int
    """The root version in force when the list was installed: the one it is checked against."""
    digest: str
    """SHA-256 of the installed file this record describes."""
    version: int
    """The highest list version ever installed: the rollback floor, even when the file breaks."""
    revoked: TrustStore
    """Every key and seal an installed list ever revoked: what a fallback keeps."""

    def to_json(self) -> bytes:
        document = {
            "format": STATE_FORMAT,
            "chain": self.chain,
            "root_version": self.root_version,
            "digest": self.digest,
            "version": self.version,
            "revoked_keys": _revoked_entries(self.revoked),
            "revoked_seals": sorted(self.revoked.revoked_seals),
        }
        return (json.dumps(document, indent=1) + "\n").encode()


#: How the kept revocations are named among a fallback store's sources.
KEPT_REVOCATIONS = "revocations kept from installed trust lists"


def _revoked_entries(store: TrustStore) -> list[dict[str, Any]]:
    """Bundle entries for the revoked keys of ``store``, once per key.

    Only the SPKI is kept: a key is revoked wherever its SPKI appears
    (TrustStore.is_revoked_key), whatever kid, iss or certificate names it.
    """
    entries: dict[str, dict[str, Any]] = {}
    for key in store.keys:
        if key.revoked:
            spki = base64.b64encode(key.spki).decode()
            entries.setdefault(spki, {"spki": spki, "status": "revoked", "name": key.name})
    return list(entries.values())


def _revocations(*stores: TrustStore) -> TrustStore:
    """The union of the revocations in ``stores``, as a store of revoked keys and seals."""
    entries: dict[str, dict[str, Any]] = {}
    seals: set[str] = set()
    for store in stores:
        for entry in _revoked_entries(store):
            entries.setdefault(entry["spki"], entry)
        seals |= store.revoked_seals
    bundle = {"format": BUNDLE_FORMAT, "keys": list(entries.values()), "revoked_seals": sorted(seals)}
    return replace(TrustStore.from_bundle(bundle, KEPT_REVOCATIONS), versions={})


def _read_state(home: Path) -> _State | None:
    """The record beside the installed list; None if there is none, TrustError if it is unusable."""
    path = home / STATE_FILE
    if not path.exists():
        return None
    document = parse_json(_read(path), str(path))
    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        raise TrustError(_("{path}: not a {format} record").format(path=path, format=STATE_FORMAT))
    chain, root_version, digest = document.get("chain"), document.get("root_version"), document.get("digest")
    version, keys, seals = document.get("version"), document.get("revoked_keys"), document.get("revoked_seals")
    if not (isinstance(chain, str) and isinstance(digest, str)):
        raise TrustError(_("{path}: chain and digest must be text").format(path=path))
    if type(root_version) is not int or root_version < 1 or type(version) is not int or version < 0:
        raise TrustError(_("{path}: root_version and version must be integers").format(path=path))
    bundle = {"format": BUNDLE_FORMAT, "keys": keys, "revoked_seals": seals}
    revoked = replace(TrustStore.from_bundle(bundle, KEPT_REVOCATIONS), versions={})
    if not all(key.revoked for key in revoked.keys):
        # The record only ever holds revoked keys: an active one here was put
        # there by hand and must not become trusted through a fallback.
        raise TrustError(_("{path}: holds a key that is not revoked").format(path=path))
    return _State(chain, root_version, digest, version, revoked)


@dataclass(frozen=True)
class _Installed:
    """The installed list, checked."""

    store: TrustStore
    version: int
    root_version: int
    digest: str
    payload: bytes


def _check_installed(home: Path, chain: tuple[Root, ...], state: _State | None) -> _Installed | None:
    """The installed signed list, checked again now; None if there is none, TrustError if unusable.

    It is checked against the root that accepted it when the record beside it
    describes this very file (a rotation since then must not drop it: the new
    root's list replaces it by an update), else against the root in force.
    """
    path = home / INSTALLED_BUNDLE
    if not path.exists():
        return None
    data = _read(path)
    digest = hashlib.sha256(data).hexdigest()
    root = chain[-1]
    if state is not None and state.chain == _chain_id(chain[0]) and state.digest == digest:
        accepted = [r for r in chain if r.version == state.root_version]
        if not accepted:
            raise TrustError(
                _("{path}: was accepted by root version {version}, which the root chain in use does not reach").format(
                    path=path, version=state.root_version
                )
            )
        root = accepted[0]
    store, bundle = open_signed_bundle(data, root, str(path))
    return _Installed(store, bundle.get("version", 0), root.version, digest, _payload(data))


def _payload(envelope: bytes) -> bytes:
    """The payload bytes of an envelope that verify_document has already accepted."""
    return base64.b64decode(json.loads(envelope)["payload"], validate=True)


def active_store(root_path: str | Path | None = None, *, home: Path | None = None) -> tuple[TrustStore, list[str]]:
    """The trust in use: the installed signed bundle if valid and newer than the built-in one.

    Returns the store and warnings (e.g. an installed file that no longer
    checks). A fallback never trusts what an installed list revoked, and its
    warning is also on the store, so that every verdict made with it says so.
    """
    store, warnings = _active_bundle(root_path, home=home or data_dir())
    # Built-in trust of the formats that is too large to load at every start
    # (the VCI issuer directory): loaded when a seal of that format is seen.
    # It is refreshed by its own signed updates, whichever bundle is in use.
    # Which formats have some is asked only then (FORMATS_BUILT_IN), so that no
    # format plug-in is loaded at start for it.
    if FORMATS_BUILT_IN in store.deferred:
        return store, warnings
    return replace(store, deferred=(*store.deferred, FORMATS_BUILT_IN)), warnings


def _active_bundle(root_path: str | Path | None, *, home: Path) -> tuple[TrustStore, list[str]]:
    default = TrustStore.default()
    # A --root the user named and that cannot be read is their error to hear
    # about (TrustError), not a reason to fall back quietly.
    chain = load_chain(root_path, home=home)
    warnings: list[str] = []
    # English whatever the reader's language: these warnings go on the store and so
    # into every verdict's JSON; a person reads them through reasons.warning_text.
    with using("en"):
        try:
            state = _read_state(home)
        except TrustError as exc:
            state = None
            warnings.append(TRUST_RECORD_UNUSABLE.format(detail=exc.diagnostics()))
        try:
            current = _check_installed(home, chain, state)
        except TrustError as exc:
            return _fallback(default, state, warnings, detail=exc.diagnostics())
        if current is None:
            if state is not None or warnings:  # a list was installed here once
                return _fallback(default, state, warnings, path=str(home / INSTALLED_BUNDLE))
            return default, warnings
        if current.version > built_in_version():
            return current.store, warnings
        return default, warnings


def _fallback(
    default: TrustStore, state: _State | None, warnings: list[str], *, path: str | None = None, detail: str = ""
) -> tuple[TrustStore, list[str]]:
    """The built-in bundle with every revocation installed before, said loudly.

    With no usable record of what the lost list revoked, falling back could
    trust a key it revoked again (the issue-9 rotation bug): nothing is trusted.
    """
    count = 0 if state is None else len(state.revoked.keys) + len(state.revoked.revoked_seals)
    # English, whatever the reader's language (see _active_bundle): a template of reasons.py.
    message = TRUST_FALLBACK[path is not None, state is not None].format(path=path, detail=detail, count=count)
    if state is None:
        return TrustStore(warnings=(message,)), [*warnings, message]
    store = replace(default + state.revoked, warnings=(message,))
    return store, [*warnings, message]


def install(
    data: bytes,
    source: str,
    *,
    root_path: str | Path | None = None,
    home: Path | None = None,
    now: datetime | None = None,
) -> str:
    """Check a signed bundle or root and install it; the installed set is untouched on refusal.

    Returns a one-line description of what was installed.
    """
    home = home or data_dir()
    with _install_lock(home):
        return _install(data, source, root_path=root_path, home=home, now=now)


@contextlib.contextmanager
def _install_lock(home: Path) -> Iterator[None]:
    """One install at a time: two racing updates must not both pass the
    version check and leave the lower one installed (a rollback)."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".install.lock", "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: os.replace keeps each write whole; no lock
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _install(data: bytes, source: str, *, root_path: str | Path | None, home: Path, now: datetime | None) -> str:
    now = now or datetime.now(UTC)
    chain = load_chain(root_path, home=home)
    root = chain[-1]
    kind = _kind_of(data, source)
    notes: list[str] = []
    # Neither a broken record nor a broken installed list blocks an update:
    # the update is checked on its own; what is broken is said and replaced.
    try:
        state = _read_state(home)
    except TrustError as exc:
        state = None
        notes.append(_("the record beside the installed list was unusable ({error})").format(error=exc.diagnostics()))
    try:
        current = _check_installed(home, chain, state)
    except TrustError as exc:
        current = None
        notes.append(_("the installed trust list was unusable ({error})").format(error=exc.diagnostics()))
    said = "".join(_("; warning: {note}").format(note=note) for note in notes)
    kept = [s.revoked for s in (state,) if s is not None] + [c.store for c in (current,) if c is not None]

    if kind == ROOT_TYPE:
        new = _rotate(root, data, source)
        message = _("trust root version {version} installed ({keys} keys, threshold {threshold})").format(
            version=new.version, keys=len(new.keys), threshold=new.threshold
        )
        if current is not None:
            # The list in force stays in force across the rotation: record the
            # root that accepted it, so that it is not re-checked against the
            # new root (and dropped) until a list the new root signed replaces it.
            floor = max(current.version, state.version if state is not None else 0)
            record = _State(_chain_id(chain[0]), current.root_version, current.digest, floor, _revocations(*kept))
            _atomic_write(home / STATE_FILE, record.to_json())
            message += _(
                "; the installed trust list (version {version}) stays in force until one signed by the new root replaces it"
            ).format(version=current.version)
        _atomic_write(_chain_dir(chain[0], home) / f"root-{new.version}.signed.json", data)
        return message + said

    store, bundle = open_signed_bundle(data, root, source)
    version = bundle.get("version", 0)
    if store.expires is not None and store.expires < now:
        raise RefusedUpdate(
            _("{source}: this trust list expired at {end}").format(source=source, end=store.expires.isoformat())
        )
    digest = hashlib.sha256(data).hexdigest()
    floor = max(
        built_in_version(),
        state.version if state is not None else 0,
        current.version if current is not None else 0,
    )
    # The list in force, re-signed unchanged by a newer root: the same trust, now
    # under the root in force (the step docs/trust.md asks for after a rotation).
    resigned = (
        current is not None
        and version == current.version
        and root.version > current.root_version
        and _payload(data) == current.payload
    )
    # The very document the record was written for, whose install was cut short
    # before the list itself was written: finish it.
    unfinished = state is not None and state.digest == digest and (current is None or current.digest != digest)
    if version <= floor and not (resigned or unfinished):
        raise RefusedUpdate(
            _("{source}: version {version} is not newer than the trust list in use ({floor}): refused as a rollback").format(
                source=source, version=version, floor=floor
            )
        )
    record = _State(_chain_id(chain[0]), root.version, digest, max(version, floor), _revocations(*kept, store))
    # The record first: if the list's own write then fails, the record is, if
    # anything, stricter (more revocations, a higher floor) than the list.
    _atomic_write(home / STATE_FILE, record.to_json())
    _atomic_write(home / INSTALLED_BUNDLE, data)
    if resigned:
        message = _("trust list version {version} re-signed by root version {root}: {keys} keys, expires {end}")
    elif store.expires is not None:
        message = _("trust list version {version} installed: {keys} keys, expires {end}")
    else:
        message = _("trust list version {version} installed: {keys} keys, never expires")
    expires = store.expires.isoformat() if store.expires else ""
    return message.format(version=version, root=root.version, keys=len(store), end=expires) + said


def _kind_of(data: bytes, source: str) -> str:
    document = parse_json(data, source)
    kind = document.get("type") if isinstance(document, dict) else None
    if kind not in (BUNDLE_TYPE, ROOT_TYPE):
        raise TrustError(_("{source}: not a signed trust document").format(source=source))
    return str(kind)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write whole or not at all: a crash mid-way leaves the old file in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # here: only an install writes a file (cold start)

    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def root_document(public_keys: Iterable[Any], version: int, threshold: int = 1) -> bytes:
    """The JSON of a trust root listing these public keys."""
    entries = []
    for key in public_keys:
        entries.append({"spki": base64.b64encode(key_from_public(key).spki).decode(), "kid": kid_of(key).hex()})
    return (
        json.dumps({"format": ROOT_FORMAT, "version": version, "threshold": threshold, "keys": entries}, indent=1)
        + "\n"
    ).encode()
