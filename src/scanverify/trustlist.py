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
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from .algorithms import PrivateKey, algorithm_for_key, kid_of
from .errors import TrustError
from .trust import TrustStore, key_from_public, parse_json, read_trust_file

__all__ = [
    "ROOT_FORMAT",
    "SIGNED_FORMAT",
    "RefusedUpdate",
    "Root",
    "active_store",
    "data_dir",
    "install",
    "load_root",
    "sign_document",
    "verify_document",
]

SIGNED_FORMAT = "scanverify.signed.v1"
ROOT_FORMAT = "scanverify.trust-root.v1"
BUNDLE_TYPE, ROOT_TYPE = "trust-bundle", "trust-root"
INSTALLED_BUNDLE = "trust-bundle.signed.json"


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
        raise TrustError(f"{source}: not a {ROOT_FORMAT} trust root")
    version, threshold, entries = root.get("version"), root.get("threshold", 1), root.get("keys")
    if type(version) is not int or version < 1:
        raise TrustError(f"{source}: root version must be a positive integer")
    if not isinstance(entries, list) or not entries:
        raise TrustError(f"{source}: a root needs at least one key")
    keys = {}
    for i, entry in enumerate(entries):
        where = f"{source}, root key {i + 1}"
        store = TrustStore.from_bundle({"format": "scanverify.trust.v1", "keys": [entry]}, where)
        if store.keys[0].revoked:
            continue  # a root may list a retired key as revoked: it signs nothing
        keys[kid_of(store.keys[0].public_key)] = store.keys[0].public_key
    if not keys:
        raise TrustError(f"{source}: every key of this root is revoked")
    if type(threshold) is not int or not 1 <= threshold <= len(keys):
        raise TrustError(f"{source}: threshold must be between 1 and the number of distinct keys ({len(keys)})")
    return Root(version, keys, threshold, source)


def pinned_root() -> Root:
    data = resources.files("scanverify").joinpath("data/trust_root.json").read_bytes()
    return _parse_root(data, "built-in trust root")


def load_root(path: str | Path | None = None, *, home: Path | None = None) -> Root:
    """The root in force: --root FILE if given, else the pinned one, then the rotations installed after it."""
    root = _parse_root(_read(Path(path)), str(path)) if path is not None else pinned_root()
    folder = _chain_dir(root, home)
    if folder.is_dir():
        for candidate in sorted(folder.glob("root-*.signed.json"), key=_version_of):
            try:
                root = _rotate(root, _read(candidate), str(candidate))
            except TrustError:
                break  # a broken link ends the chain; later roots cannot be trusted
    return root


def _chain_dir(start: Root, home: Path | None) -> Path:
    """Where the rotations that start from root ``start`` are kept.

    Named after the starting root's keys, so that rotations made for a private
    ``--root`` and for the pinned root never overwrite or break each other.
    """
    anchor = hashlib.sha256(b"".join(sorted(start.keys))).hexdigest()[:16]
    return (home or data_dir()) / "roots" / anchor


def _version_of(path: Path) -> int:
    try:
        return int(path.name.split("-")[1].split(".")[0])
    except (IndexError, ValueError):
        return -1


def _rotate(current: Root, envelope: bytes, source: str) -> Root:
    payload = verify_document(envelope, current, ROOT_TYPE, source)
    new = _parse_root(payload, source)
    if new.version <= current.version:
        raise RefusedUpdate(f"{source}: root version {new.version} is not newer than {current.version} (rollback)")
    return new


# ---------------------------------------------------------------- signing and checking
def sign_document(payload: bytes, kind: str, keys: Iterable[PrivateKey]) -> bytes:
    """Wrap exact bytes in a signed envelope, one signature per key."""
    if kind not in (BUNDLE_TYPE, ROOT_TYPE):
        raise TrustError(f"unknown document type {kind!r}")
    signatures = []
    for key in keys:
        algorithm = algorithm_for_key(key.public_key())
        if algorithm is None:
            raise TrustError("the signing key's type is not supported")
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
        raise TrustError(f"{source}: not a signed trust document ({SIGNED_FORMAT})")
    if envelope.get("type") != kind:
        raise RefusedUpdate(f"{source}: is a {envelope.get('type')!r} document, not a {kind}")
    encoded = envelope.get("payload")
    try:
        if not isinstance(encoded, str):
            raise ValueError
        payload = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise TrustError(f"{source}: payload is not valid base64 text") from None
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list):
        raise TrustError(f"{source}: signatures must be a list")
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
            f"{source}: not signed by the trust root ({len(good)} of {root.threshold} required signatures valid)"
        )
    return payload


def _read(path: Path) -> bytes:
    return read_trust_file(path)


def open_signed_bundle(data: bytes, root: Root, source: str) -> tuple[TrustStore, dict[str, Any]]:
    """Check a signed bundle and load it; returns the store and the bundle's JSON."""
    bundle = parse_json(verify_document(data, root, BUNDLE_TYPE, source), f"{source} (signed bundle)")
    if not isinstance(bundle, dict) or bundle.get("expires") is None:
        # A signed list without an end date could be replayed forever.
        raise RefusedUpdate(f"{source}: a signed bundle must say when it expires")
    return TrustStore.from_bundle(bundle, source), bundle


# ---------------------------------------------------------------- the store in use
def built_in_version() -> int:
    return TrustStore.default().versions.get("built-in trust bundle", 0)


def installed(home: Path | None = None, root: Root | None = None) -> tuple[TrustStore, dict[str, Any]] | None:
    """The installed signed bundle, checked again now; None if there is none."""
    path = (home or data_dir()) / INSTALLED_BUNDLE
    if not path.exists():
        return None
    return open_signed_bundle(_read(path), root or load_root(home=home), str(path))


def active_store(root_path: str | Path | None = None, *, home: Path | None = None) -> tuple[TrustStore, list[str]]:
    """The trust in use: the installed signed bundle if valid and newer than the built-in one.

    Returns the store and warnings (e.g. an installed file that no longer checks).
    """
    default = TrustStore.default()
    warnings: list[str] = []
    # A --root the user named and that cannot be read is their error to hear
    # about (TrustError), not a reason to fall back quietly.
    root = load_root(root_path, home=home) if root_path is not None else None
    try:
        found = installed(home, root or load_root(home=home))
    except TrustError as exc:
        return default, [f"installed trust list ignored: {exc.diagnostics()}"]
    if found is not None:
        store, bundle = found
        if bundle.get("version", 0) > built_in_version():
            return store, warnings
    return default, warnings


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
    root = load_root(root_path, home=home)
    kind = _kind_of(data, source)
    if kind == ROOT_TYPE:
        new = _rotate(root, data, source)
        start = _parse_root(_read(Path(root_path)), str(root_path)) if root_path is not None else pinned_root()
        _atomic_write(_chain_dir(start, home) / f"root-{new.version}.signed.json", data)
        return f"trust root version {new.version} installed ({len(new.keys)} keys, threshold {new.threshold})"
    store, bundle = open_signed_bundle(data, root, source)
    version = bundle.get("version", 0)
    if store.expires is not None and store.expires < now:
        raise RefusedUpdate(f"{source}: this trust list expired at {store.expires.isoformat()}")
    floor = built_in_version()
    current = installed(home, root)
    if current is not None:
        floor = max(floor, current[1].get("version", 0))
    if version <= floor:
        raise RefusedUpdate(
            f"{source}: version {version} is not newer than the trust list in use ({floor}): refused as a rollback"
        )
    _atomic_write(home / INSTALLED_BUNDLE, data)
    return f"trust list version {version} installed: {len(store)} keys, expires {store.expires.isoformat() if store.expires else 'never'}"


def _kind_of(data: bytes, source: str) -> str:
    document = parse_json(data, source)
    kind = document.get("type") if isinstance(document, dict) else None
    if kind not in (BUNDLE_TYPE, ROOT_TYPE):
        raise TrustError(f"{source}: not a signed trust document")
    return str(kind)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write whole or not at all: a crash mid-way leaves the old file in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
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
