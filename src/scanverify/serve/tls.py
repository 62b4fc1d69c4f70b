"""`scanverify serve --self-signed`: a certificate for the counter's network, made once and cached.

Browsers give a page the camera only over HTTPS (or on localhost): a phone on the
counter's Wi-Fi needs the server to speak TLS. A self-signed certificate is
enough for that once the clerk has accepted it on the phone; its SHA-256
fingerprint is printed so it can be compared with what the phone shows.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["SelfSigned", "fingerprint", "self_signed"]

#: Browsers refuse server certificates valid for more than 398 days.
VALIDITY = timedelta(days=397)
#: A cached certificate this close to its end is made again.
RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class SelfSigned:
    cert: Path
    key: Path
    fingerprint: str
    made: bool
    """True when it was made now, False when the cached one was used."""


def fingerprint(cert_pem: bytes) -> str:
    """The SHA-256 fingerprint as browsers show it: colon-separated upper-case hex."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    digest = x509.load_pem_x509_certificate(cert_pem).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


def self_signed(folder: Path, names: list[str], *, now: datetime | None = None) -> SelfSigned:
    """The cached certificate in `folder` if it covers `names` and is not near its end, else a new one.

    `names` are host names and IP addresses the phones will use (the URL's host).
    """
    now = now or datetime.now(UTC)
    cert_path, key_path = folder / "self-signed.crt.pem", folder / "self-signed.key.pem"
    if cert_path.exists() and key_path.exists() and _still_good(cert_path.read_bytes(), names, now):
        return SelfSigned(cert_path, key_path, fingerprint(cert_path.read_bytes()), made=False)
    cert_pem, key_pem = _make(names, now)
    folder.mkdir(parents=True, exist_ok=True)
    # The private key is readable by its owner only, and written before the
    # certificate so a certificate on disk always has its key beside it.
    _write(key_path, key_pem, 0o600)
    _write(cert_path, cert_pem, 0o644)
    return SelfSigned(cert_path, key_path, fingerprint(cert_pem), made=True)


def _write(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def _alt_names(names: list[str]) -> list[object]:
    from cryptography import x509

    out: list[object] = []
    for name in dict.fromkeys(["localhost", "127.0.0.1", "::1", *names]):
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


def _still_good(cert_pem: bytes, names: list[str], now: datetime) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        present = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    if cert.not_valid_after_utc - RENEW_BEFORE < now or cert.not_valid_before_utc > now:
        return False
    return all(name in list(present) for name in _alt_names(names))


def _make(names: list[str], now: datetime) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scanverify serve (self-signed)")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(_alt_names(names)), critical=False)  # type: ignore[arg-type]
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem
