"""The VCI's signed issuer directory snapshot: checked, installed, and the one in use.

The VCI publishes ``vci_snapshot.json`` daily with a detached ``vci_snapshot.sig``:
ECDSA P-521 with SHA-512 over the file's exact bytes, DER-encoded, by the key of
``vci_snapshot.crt`` (CN=vci.org), which is pinned in the package. A snapshot
ships in the package (data/, see data/VCI_SNAPSHOT_NOTICE.md) so real issuers
verify offline; ``install_snapshot`` takes a newer one, refusing a bad signature
and a rollback (a ``time`` not after the one in use).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import TrustError
from ..trustlist import RefusedUpdate

__all__ = [
    "SNAPSHOT_NAME",
    "RefusedSnapshot",
    "Snapshot",
    "active_snapshot",
    "built_in_snapshot",
    "install_snapshot",
    "install_snapshot_file",
    "is_snapshot",
    "open_snapshot",
    "verify_snapshot_signature",
]

SNAPSHOT_NAME = "vci_snapshot.json"
SIGNATURE_NAME = "vci_snapshot.sig"
#: Where an installed snapshot lives, under scanverify's data directory.
INSTALLED_DIR = "shc"


class RefusedSnapshot(RefusedUpdate):
    """A snapshot that was checked and refused: bad signature, rollback, unreadable."""


@dataclass(frozen=True)
class Snapshot:
    """A checked snapshot: its time, its trust store and where it came from."""

    time: datetime
    store: Any
    source: str


def _pinned_certificate() -> Any:
    from cryptography import x509

    pem = resources.files("scanverify").joinpath("data/vci_snapshot.crt").read_bytes()
    return x509.load_pem_x509_certificate(pem)


def verify_snapshot_signature(data: bytes, signature: bytes, *, at: datetime | None = None) -> None:
    """Raise RefusedSnapshot unless ``signature`` is the VCI's over exactly ``data``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    certificate = _pinned_certificate()
    public_key = certificate.public_key()
    # The pinned key is checked for what the VCI uses, so a package edited to
    # pin a weaker key is caught here rather than trusted.
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp521r1":
        raise RefusedSnapshot("the pinned VCI certificate does not hold a P-521 key")
    moment = at or datetime.now(UTC)
    if moment > certificate.not_valid_after_utc:
        raise RefusedSnapshot(
            f"the pinned VCI certificate expired at {certificate.not_valid_after_utc:%Y-%m-%d}: update scanverify"
        )
    try:
        # Over the bytes as they are: JSON is never re-serialised before checking.
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA512()))
    except (InvalidSignature, ValueError):
        raise RefusedSnapshot("the VCI snapshot's signature does not verify with the pinned VCI certificate") from None


def open_snapshot(data: bytes, signature: bytes, source: str, *, at: datetime | None = None) -> Snapshot:
    """Check the signature, then load every issuer (a broken key or CRL is left out and noted)."""
    from .shc import load_directory

    verify_snapshot_signature(data, signature, at=at)
    store = load_directory(data, source, strict=False, now=at or datetime.now(UTC))
    [seconds] = store.versions.values()
    return Snapshot(datetime.fromtimestamp(seconds, UTC), store, source)


def is_snapshot(data: bytes) -> bool:
    """True for a file that looks like an issuer directory snapshot (for `trust update` to route it)."""
    from .shc import DirectorySource

    return DirectorySource().sniff(data)


def built_in_snapshot() -> Snapshot:
    folder = resources.files("scanverify").joinpath("data")
    return open_snapshot(
        folder.joinpath(SNAPSHOT_NAME).read_bytes(),
        folder.joinpath(SIGNATURE_NAME).read_bytes(),
        "built-in VCI issuer directory",
    )


def _installed_dir(home: Path | None) -> Path:
    from ..trustlist import data_dir

    return (home or data_dir()) / INSTALLED_DIR


def installed_snapshot(home: Path | None = None) -> Snapshot | None:
    folder = _installed_dir(home)
    if not (folder / SNAPSHOT_NAME).exists():
        return None
    return open_snapshot(
        (folder / SNAPSHOT_NAME).read_bytes(), (folder / SIGNATURE_NAME).read_bytes(), str(folder / SNAPSHOT_NAME)
    )


def active_snapshot(home: Path | None = None) -> tuple[Snapshot, list[str]]:
    """The snapshot in use: the installed one if it still checks and is newer, else the built-in one.
    Returns it and warnings (an installed snapshot that no longer checks)."""
    built_in = built_in_snapshot()
    try:
        found = installed_snapshot(home)
    except TrustError as exc:
        return built_in, [f"installed VCI snapshot ignored: {exc.diagnostics()}"]
    if found is not None and found.time > built_in.time:
        return found, []
    return built_in, []


def install_snapshot(
    data: bytes, signature: bytes, source: str, *, home: Path | None = None, now: datetime | None = None
) -> str:
    """Check a snapshot and its signature and install it; nothing changes on refusal.
    Returns a one-line description of what was installed."""
    from ..trustlist import _atomic_write, _install_lock, data_dir

    now = now or datetime.now(UTC)
    new = open_snapshot(data, signature, source, at=now)
    if new.time > now:
        raise RefusedSnapshot(f"{source}: the snapshot is dated {new.time:%Y-%m-%d %H:%M} UTC, in the future")
    root = home or data_dir()
    with _install_lock(root):
        current, _ = active_snapshot(home)
        # The time orders snapshots: one not after the snapshot in use could
        # bring back a key removed since (a rollback), so it is refused.
        if new.time <= current.time:
            raise RefusedSnapshot(
                f"{source}: the snapshot of {new.time:%Y-%m-%d %H:%M} UTC is not newer than the one in use "
                f"({current.time:%Y-%m-%d %H:%M} UTC): refused as a rollback"
            )
        folder = _installed_dir(home)
        # The signature first, then the snapshot: a crash in between leaves a
        # pair that does not check, which is ignored (built-in used), never trusted.
        _atomic_write(folder / SIGNATURE_NAME, signature)
        _atomic_write(folder / SNAPSHOT_NAME, data)
    issuers = len({k.iss for k in new.store.keys})
    return f"VCI issuer directory of {new.time:%Y-%m-%d %H:%M} UTC installed: {issuers} issuers, {len(new.store.keys)} keys"


def install_snapshot_file(path: str | Path, *, home: Path | None = None, now: datetime | None = None) -> str:
    """`scanverify trust update vci_snapshot.json`: the detached signature is ``vci_snapshot.sig`` beside it
    (the same name with .sig)."""
    from ..trust import read_trust_file

    path = Path(path)
    signature_path = path.with_suffix(".sig")
    if not signature_path.exists():
        raise RefusedSnapshot(f"{path}: no detached signature {signature_path.name} beside it")
    return install_snapshot(read_trust_file(path), read_trust_file(signature_path), str(path), home=home, now=now)


def active_store() -> Any:
    """The snapshot in use as a TrustStore, its warnings with it: the SHC format's deferred
    built-in trust (loaded the first time a card is verified, not at every start)."""
    from dataclasses import replace

    snapshot, warnings = active_snapshot()
    return replace(snapshot.store, warnings=(*snapshot.store.warnings, *warnings))


class SnapshotUpdate:
    """`scanverify trust update vci_snapshot.json`: the VCI's signed directory snapshot."""

    name = "a VCI issuer directory snapshot (with its detached .sig beside it)"

    def sniff(self, data: bytes) -> bool:
        return is_snapshot(data)

    def install(self, path: str | Path, *, home: Path | None = None) -> str:
        return install_snapshot_file(path, home=home)
