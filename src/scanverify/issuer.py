"""Issuer tools: make keys, sign consular records into CS1 seals, render QR codes.

>>> from scanverify.issuer import generate_key, sign_record
>>> key = generate_key("ES256")
>>> seal = sign_record({"v": 1, "no": "2026-BJ-1", "t": "apostille", "dt": "2026-11-26",
...                     "au": "Consular Department", "doc": {"ti": "Birth certificate"}},
...                    key, iss="CN")
>>> seal.startswith("CS1:")
True
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cbor2
from cryptography.hazmat.primitives import serialization

from ._codec import b45encode
from .algorithms import ALGORITHMS, Algorithm, PrivateKey, PublicKey, algorithm_for_key, kid_of, spki_der
from .cose import sign_cose_sign1
from .errors import TrustError, UsageError
from .formats.cs1 import CLAIM_EXP, CLAIM_IAT, CLAIM_ISS, CLAIM_RECORD, PREFIX
from .i18n import N_
from .i18n import gettext as _

__all__ = [
    "check_iss",
    "check_output_path",
    "check_validity",
    "generate_key",
    "load_private_key",
    "render_qr",
    "sign_record",
    "trust_entry",
    "write_key_files",
]


def generate_key(alg: str = "ES256") -> PrivateKey:
    """A new private key for one of the seal algorithms (ES256 by default)."""
    return _algorithm(alg).generate()


def _algorithm(alg: str) -> Algorithm:
    try:
        return ALGORITHMS[alg]
    except KeyError:
        raise UsageError(
            _("unknown algorithm {alg} (choose from {choices})").format(alg=repr(alg), choices=", ".join(ALGORITHMS))
        ) from None


def check_iss(iss: str) -> str:
    """``iss`` if it is an ISO 3166-1 alpha-2 code in upper case; else UsageError saying what is wrong."""
    from .countries import is_alpha2

    if not isinstance(iss, str):
        raise UsageError(_("the issuing state must be text, not {type}").format(type=type(iss).__name__))
    if is_alpha2(iss):
        return iss
    if is_alpha2(iss.upper()):
        # Seals carry upper case (seal-format.md): a key bound to "cn" would match no seal.
        raise UsageError(_("issuing state {iss} must be upper case: {upper}").format(iss=repr(iss), upper=iss.upper()))
    raise UsageError(
        _("issuing state {iss} is not an ISO 3166-1 alpha-2 country code (e.g. CN, FR)").format(iss=repr(iss))
    )


#: What check_validity may be asked about, in the reader's language when it says so.
VALIDITY_OF = (N_("the key"), N_("the seal"))


def check_validity(not_before: datetime | None, not_after: datetime | None, *, what: str = "the key") -> None:
    """Refuse a period that contains no moment: start on or after its end."""
    if not_before is not None and not_after is not None and not_before >= not_after:
        raise UsageError(
            _("the start of validity of {what} ({start}) is not before its end ({end})").format(
                what=_(what), start=_iso(not_before), end=_iso(not_after)
            )
        )


def check_output_path(path: str | Path, *, replace: bool = False) -> Path:
    """``path`` if a file can be written there; else UsageError: a missing or
    unwritable directory, or (unless ``replace``) a file already there."""
    path = Path(path)
    folder = path.parent
    if not folder.exists():
        raise UsageError(_("{path}: the directory {folder} does not exist").format(path=path, folder=folder))
    if not folder.is_dir():
        raise UsageError(_("{path}: {folder} is not a directory").format(path=path, folder=folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(_("{path}: the directory {folder} is not writable").format(path=path, folder=folder))
    if path.is_dir():
        raise UsageError(_("{path} is a directory").format(path=path))
    if not replace and (path.exists() or path.is_symlink()):
        raise UsageError(_("{path} already exists; choose another name or move it away first").format(path=path))
    return path


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def trust_entry(
    public_key: PublicKey,
    *,
    name: str = "",
    iss: str | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    specimen: bool = False,
) -> dict[str, Any]:
    """A trust-bundle key entry (seal-format.md section 7) for ``public_key``."""
    if iss is not None:
        check_iss(iss)
    check_validity(not_before, not_after)
    algorithm = algorithm_for_key(public_key)
    entry: dict[str, Any] = {
        "spki": base64.b64encode(spki_der(public_key)).decode(),
        "kid": kid_of(public_key).hex(),
        "name": name,
        "alg": algorithm.name if algorithm else None,
        "status": "active",
        "specimen": specimen,
    }
    if iss:
        entry["iss"] = iss
    for bound, moment in (("not_before", not_before), ("not_after", not_after)):
        if moment is not None:
            entry[bound] = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return entry


def write_key_files(
    private_key: PrivateKey, stem: str | Path, *, passphrase: bytes | None = None, **entry_terms: Any
) -> tuple[Path, Path, Path]:
    """Write STEM.key.pem (mode 0600), STEM.pub.pem and STEM.trust.json; return their paths.

    With ``passphrase`` the private key is encrypted (PKCS#8, the best scheme
    `cryptography` offers); without it, it is written in the clear, as before.
    Existing files are never overwritten: a lost private key cannot be re-made.
    Every check (paths, the trust entry's terms) is made before any file is written.
    """
    stem = Path(stem)
    paths = (Path(f"{stem}.key.pem"), Path(f"{stem}.pub.pem"), Path(f"{stem}.trust.json"))
    for path in paths:
        check_output_path(path)
    public_key = private_key.public_key()
    entry = trust_entry(public_key, **entry_terms)
    if passphrase is not None and not passphrase:
        raise UsageError(_("the passphrase is empty; give one, or none to write the key unencrypted"))
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    private_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    # The private key file is created 0600 from the start (no window in which
    # it is readable by others), and O_EXCL refuses to follow or reuse a file.
    fd = os.open(paths[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
    os.chmod(paths[0], 0o600)
    paths[1].write_bytes(
        public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    bundle = {
        "format": "scanverify.trust.v1",
        "version": 1,
        "keys": [entry],
        "revoked_seals": [],
    }
    paths[2].write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


def load_private_key(path: str | Path, passphrase: bytes | None = None) -> PrivateKey:
    """The private key in the PEM file ``path``, decrypted with ``passphrase`` if it is encrypted."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TrustError(_("{path}: cannot read private key ({error})").format(path=path, error=exc.strerror or exc)) from None
    encrypted = b"ENCRYPTED" in data.split(b"\n", 1)[0]
    if encrypted and not passphrase:
        raise TrustError(
            _("{path}: the private key is encrypted; give its passphrase (--passphrase-env or --passphrase-prompt)").format(
                path=path
            )
        )
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if encrypted else None)
    except TypeError:
        # A passphrase given for a key written in the clear: use it as it is (nothing to decrypt).
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError as exc:
        if encrypted:
            raise TrustError(_("{path}: the passphrase does not decrypt this private key").format(path=path)) from None
        raise TrustError(_("{path}: not a PEM private key ({error})").format(path=path, error=exc)) from None
    if algorithm_for_key(key.public_key()) is None:  # type: ignore[arg-type]
        raise TrustError(
            _("{path}: key type is not usable for seals (EC P-256/384/521, RSA >= 2048, Ed25519)").format(path=path)
        )
    return key  # type: ignore[return-value]


def sign_record(
    record: Mapping[str, Any],
    private_key: PrivateKey,
    *,
    iss: str,
    issued_at: datetime | None = None,
    expires_at: datetime | None = None,
    alg: str | None = None,
) -> str:
    """Sign a consular record into CS1 seal text ('CS1:...').

    The record is checked against the spec first, so an issuer cannot make a
    seal that every verifier would call malformed.
    """
    from .formats import MalformedSeal
    from .formats.cs1 import CS1, _check_record

    public_key = private_key.public_key()
    algorithm = _algorithm(alg) if alg else algorithm_for_key(public_key)
    if algorithm is None or not algorithm.fits(public_key):
        raise UsageError(_("algorithm {alg} does not fit this key").format(alg=alg))
    check_iss(iss)
    issued_at = issued_at or datetime.now(UTC)
    if expires_at is not None and expires_at <= issued_at:
        raise UsageError(
            _("the seal would expire ({end}) before it is signed ({start})").format(end=_iso(expires_at), start=_iso(issued_at))
        )
    claims: dict[int, Any] = {CLAIM_ISS: iss, CLAIM_IAT: int(issued_at.timestamp()), CLAIM_RECORD: dict(record)}
    if expires_at is not None:
        claims[CLAIM_EXP] = int(expires_at.timestamp())
    try:
        _check_record(dict(record), b"")
    except MalformedSeal as exc:
        raise UsageError(str(exc)) from None
    cose = sign_cose_sign1(cbor2.dumps(claims), private_key, algorithm, kid_of(public_key))
    text = PREFIX + b45encode(zlib.compress(cose, 9))
    CS1().parse_text(text)  # refuses iss and times the format cannot carry
    return text


def render_qr(text: str, path: str | Path | None = None, *, scale: int = 8, border: int = 4) -> Any:
    """Render seal text as a QR code (error correction Q); write PNG or SVG if ``path`` is given.

    Returns the segno QRCode.
    """
    import segno

    # The Base45 alphabet is QR's alphanumeric set, so segno picks that mode
    # and the code stays small; Q survives a stamp or crease over a quarter of it.
    qr = segno.make_qr(text, error="q", boost_error=True)
    if path is not None:
        path = Path(path)
        if path.suffix.lower() not in (".png", ".svg"):
            raise UsageError(_("{path}: the QR image must be .png or .svg").format(path=path))
        qr.save(str(path), scale=scale, border=border)
    return qr
