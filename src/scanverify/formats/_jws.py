"""JOSE pieces for the formats that use them (SMART Health Cards): compact JWS and JWK.

Two libraries could do this: `jwcrypto` and `joserfc`. They are used here
for what they do well, and not for what a seal verifier must do more strictly
(docs/formats-shc.md says why):

- JWK import and the RFC 7638 thumbprint come from `jwcrypto` (maintained, it
  checks that the point lies on the curve). The members SMART Health Cards
  demand (kty EC, crv P-256, alg ES256, use sig, no private part, full-length
  coordinates) are checked here first, so a key a library would accept but the
  specification refuses is refused.
- Compact JWS is split and checked here, and the ES256 signature verified by
  :mod:`scanverify.algorithms`: only raw r||s of 64 bytes is a signature (a
  DER one is refused, not reinterpreted), r and s are range-checked, and the
  DEFLATE payload is inflated with a hard bound, which no JOSE library offers.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ScanverifyError
from ..model import quick_init

__all__ = ["CompactJws", "JoseError", "JwkKey", "b64url_decode", "b64url_encode", "import_jwk", "split_compact"]

_B64URL_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: bytes.translate, not str.translate: a table lookup in C rather than a dict per character
#: (a card's payload is over a kilobyte of base64url).
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
#: A P-256 coordinate is 32 bytes: 43 base64url characters without padding.
_P256_COORD_CHARS = 43
#: JWK members that hold private key material; a trust file must never carry them.
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k", "oth")


class JoseError(ScanverifyError):
    """A JWS or JWK that breaks its rules; the message says which."""


def b64url_decode(text: str | bytes, what: str) -> bytes:
    """Unpadded base64url (RFC 7515 section 2), strictly: no padding, no other characters."""
    try:
        raw = text.encode("ascii") if isinstance(text, str) else bytes(text)
    except UnicodeEncodeError:
        raise JoseError(f"{what} is not base64url") from None
    # Deleting every base64url character must leave nothing (a C loop, not a regex).
    if raw.translate(None, _B64URL_ALPHABET) or len(raw) % 4 == 1:
        raise JoseError(f"{what} is not base64url")
    try:
        # The alphabet was checked above, so the translated text is plain base64.
        return binascii.a2b_base64(raw.translate(_TO_STANDARD) + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise JoseError(f"{what} is not base64url") from None


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@quick_init
@dataclass(frozen=True)
class CompactJws:
    """The three parts of a compact JWS, decoded; ``signing_input`` is what the signature covers."""

    header_b64: str
    header: bytes
    payload: bytes
    signature: bytes
    signing_input: bytes


def split_compact(text: str) -> CompactJws:
    """Split ``header.payload.signature``; each part must be base64url (the header is parsed by the caller)."""
    parts = text.split(".")
    if len(parts) != 3:
        raise JoseError(f"a compact JWS has 3 parts separated by '.', this one has {len(parts)}")
    header_b64, payload_b64, signature_b64 = parts
    header = b64url_decode(header_b64, "the JWS header")
    payload = b64url_decode(payload_b64, "the JWS payload")
    signature = b64url_decode(signature_b64, "the JWS signature")
    # The signing input is the text as it came, never re-encoded (RFC 7515 section 5.2).
    return CompactJws(header_b64, header, payload, signature, f"{header_b64}.{payload_b64}".encode("ascii"))


@dataclass(frozen=True)
class JwkKey:
    """A public JWK that passed the checks: its thumbprint and a `cryptography` key."""

    kid: str
    """The RFC 7638 SHA-256 thumbprint, base64url; the JWK's own kid equals it."""
    public_key: Any
    jwk: Mapping[str, Any]


def import_jwk(jwk: Any, where: str, *, required: Mapping[str, str]) -> JwkKey:
    """Import a public JWK, refusing any member that differs from ``required``
    (e.g. ``{"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig"}``) and
    any ``kid`` that is not the key's RFC 7638 thumbprint."""
    from jwcrypto import common as jwcrypto_common
    from jwcrypto import jwk as jwcrypto_jwk

    if not isinstance(jwk, dict):
        raise JoseError(f"{where}: a JWK is a JSON object")
    for member in _PRIVATE_MEMBERS:
        if member in jwk:
            # A private key in a trust file is a leak to stop for, never a key to use.
            raise JoseError(f"{where}: holds a private key member {member!r}; give the public key only")
    for member, value in required.items():
        if jwk.get(member) != value:
            raise JoseError(f"{where}: {member} must be {value!r}, not {jwk.get(member)!r}")
    for coordinate in ("x", "y"):
        text = jwk.get(coordinate)
        # RFC 7518 section 6.2.1.2: full-length coordinates. A shortened one
        # names the same point but gives another thumbprint.
        if not isinstance(text, str) or len(text) != _P256_COORD_CHARS:
            raise JoseError(f"{where}: {coordinate} must be a 32-byte base64url coordinate")
        b64url_decode(text, f"{where}: {coordinate}")
    kid = jwk.get("kid")
    if not isinstance(kid, str):
        raise JoseError(f"{where}: kid is missing")
    try:
        key = jwcrypto_jwk.JWK(**{m: jwk[m] for m in ("kty", "crv", "x", "y")})
        public_key = key.get_op_key("verify")
        thumbprint = key.thumbprint()
    except (ValueError, TypeError, jwcrypto_common.JWException) as exc:
        raise JoseError(f"{where}: not a usable EC public key ({exc})") from None
    # The kid is what a card names its key by; one that is not the thumbprint
    # could make two keys answer to one name, so the key is refused.
    if kid != thumbprint:
        raise JoseError(f"{where}: kid {kid!r} is not the key's RFC 7638 thumbprint ({thumbprint})")
    return JwkKey(kid=thumbprint, public_key=public_key, jwk=jwk)
