"""Trust: the public keys a verdict of `genuine` may rest on.

Sources are trust bundles (seal-format.md section 7), PEM files holding a
public key or an X.509 certificate, and DER certificates. The default bundle
ships inside the package and holds public keys only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from .algorithms import ALGORITHMS, kid_of, spki_der
from .errors import TrustError
from .model import TrustedKey

__all__ = ["BUNDLE_FORMAT", "TrustStore", "key_from_public", "parse_time"]

BUNDLE_FORMAT = "scanverify.trust.v1"
#: Trust files are small; a larger one is refused before it is parsed.
MAX_TRUST_FILE_BYTES = 8 * 1024 * 1024
_COUNTRY = re.compile(r"[A-Z]{2}")


def parse_time(text: Any, what: str) -> datetime:
    """An ISO-8601 time with a zone; naive times are refused, not guessed."""
    if not isinstance(text, str):
        raise TrustError(f"{what} is not an ISO-8601 time string")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise TrustError(f"{what} is not an ISO-8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise TrustError(f"{what} has no time zone: {text!r} (add Z for UTC)")
    return moment


def key_from_public(public_key: Any, **terms: Any) -> TrustedKey:
    """A TrustedKey for a `cryptography` public key, refusing types no algorithm uses."""
    if not any(a.fits(public_key) for a in ALGORITHMS.values()):
        raise TrustError(
            f"unsupported public key type {type(public_key).__name__}"
            " (supported: EC P-256/P-384/P-521, RSA >= 2048 bits, Ed25519)"
        )
    certificates: tuple[bytes, ...] = terms.pop("certificates", ())
    kids = {kid_of(public_key)}
    # EU DCC names a signer by the first 8 bytes of SHA-256 over its certificate.
    kids.update(hashlib.sha256(der).digest()[:8] for der in certificates[:1])
    return TrustedKey(
        public_key=public_key,
        spki=spki_der(public_key),
        kids=frozenset(kids),
        certificates=certificates,
        **terms,
    )


def _key_from_certificate(der: bytes, source: str, **terms: Any) -> TrustedKey:
    try:
        certificate = x509.load_der_x509_certificate(der)
        public_key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise TrustError(f"{source}: not a readable X.509 certificate ({exc})") from None
    # The certificate's own validity is not made the key's time bounds: a PEM
    # or DER certificate is "one key, active, no time bounds" (seal-format.md
    # section 7). Formats that give it meaning (HC1) read it from the certificate.
    if not terms.get("name"):
        names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        terms["name"] = str(names[0].value) if names else certificate.subject.rfc4514_string()
    return key_from_public(public_key, certificates=(der,), source=source, **terms)


@dataclass(frozen=True)
class TrustStore:
    """An immutable set of trusted keys and revoked seals; `+` merges two."""

    keys: tuple[TrustedKey, ...] = ()
    revoked_seals: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()
    versions: Mapping[str, int] = field(default_factory=dict)
    """The version of each bundle loaded, by source."""
    expires: datetime | None = None
    """The earliest ``expires`` of the bundles loaded: past it, the keys may be stale."""
    warnings: tuple[str, ...] = ()
    """Said with every verdict made with this store (e.g. a fallback from an unusable installed list)."""

    # ---- building -------------------------------------------------------
    @classmethod
    def default(cls) -> TrustStore:
        """The bundle that ships inside the package (public keys only)."""
        text = resources.files("scanverify").joinpath("data/default_trust.json").read_text("utf-8")
        return cls.from_bundle(json.loads(text), source="built-in trust bundle")

    @classmethod
    def from_file(cls, path: str | Path) -> TrustStore:
        """A trust bundle (.json), a PEM public key or certificate, or a DER certificate."""
        return cls.from_bytes(read_trust_file(path), source=str(path))

    @classmethod
    def from_bytes(cls, data: bytes, source: str) -> TrustStore:
        stripped = data.lstrip()
        if stripped.startswith(b"{"):
            return cls.from_bundle(parse_json(data, source), source=source)
        if b"-----BEGIN" in data:
            return cls(keys=tuple(_keys_from_pem(data, source)), sources=(source,))
        return cls(keys=(_key_from_certificate(data, source),), sources=(source,))

    @classmethod
    def from_bundle(cls, bundle: Any, source: str) -> TrustStore:
        """Load a trust bundle already parsed from JSON, checking every field."""
        if not isinstance(bundle, dict):
            raise TrustError(f"{source}: a trust bundle is a JSON object")
        # A bundle names its format; one that does not is read as this format
        # (every field is still checked), one that names another is refused.
        if bundle.get("format", BUNDLE_FORMAT) != BUNDLE_FORMAT:
            raise TrustError(f"{source}: not a {BUNDLE_FORMAT} trust bundle (format is {bundle.get('format')!r})")
        version = bundle.get("version", 0)
        if type(version) is not int or version < 0:
            raise TrustError(f"{source}: version must be a non-negative integer")
        entries = bundle.get("keys", [])
        if not isinstance(entries, list):
            raise TrustError(f"{source}: keys must be a list")
        keys = tuple(_key_from_entry(entry, f"{source}, key {i + 1}") for i, entry in enumerate(entries))
        revoked = bundle.get("revoked_seals", [])
        if not isinstance(revoked, list) or not all(isinstance(r, str) for r in revoked):
            raise TrustError(f"{source}: revoked_seals must be a list of 'ISS/NO' strings")
        expires = parse_time(bundle["expires"], f"{source}: expires") if bundle.get("expires") is not None else None
        return cls(
            keys=keys,
            revoked_seals=frozenset(revoked),
            sources=(source,),
            versions={source: version},
            expires=expires,
        )

    def __add__(self, other: TrustStore) -> TrustStore:
        return TrustStore(
            keys=self.keys + other.keys,
            revoked_seals=self.revoked_seals | other.revoked_seals,
            sources=self.sources + other.sources,
            versions={**self.versions, **other.versions},
            expires=min((e for e in (self.expires, other.expires) if e is not None), default=None),
            warnings=tuple(dict.fromkeys(self.warnings + other.warnings)),
        )

    @classmethod
    def combine(cls, stores: Iterable[TrustStore]) -> TrustStore:
        result = cls()
        for store in stores:
            result = result + store
        return result

    # ---- using ----------------------------------------------------------
    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def candidates(self, kid: bytes) -> list[TrustedKey]:
        """Every trusted key named by ``kid``.

        The kid is an unauthenticated hint taken from the seal: it only picks
        which keys to try, and a collision just means trying more than one.
        """
        return [key for key in self.keys if kid in key.kids]

    def stale_at(self, moment: datetime) -> bool:
        """True when a bundle in use is past its ``expires`` at ``moment``."""
        return self.expires is not None and moment > self.expires

    def is_revoked_key(self, key: TrustedKey) -> bool:
        """A key is revoked if any source that lists it says so."""
        return key.revoked or any(k.revoked and k.spki == key.spki for k in self.keys)


def read_trust_file(path: str | Path) -> bytes:
    """A trust file's bytes; refused past MAX_TRUST_FILE_BYTES before it is all read."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TRUST_FILE_BYTES + 1)
    except OSError as exc:
        raise TrustError(f"{path}: cannot read trust file ({exc.strerror or exc})") from None
    if len(data) > MAX_TRUST_FILE_BYTES:
        raise TrustError(f"{path}: trust file is larger than {MAX_TRUST_FILE_BYTES >> 20} MiB")
    return data


def parse_json(data: bytes, source: str) -> Any:
    """JSON from untrusted bytes, every failure a one-line TrustError.

    A key given twice in one object is refused: parsers disagree on which one
    counts, so a list reviewed with one tool could be read otherwise here.
    """
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_unique_keys)
    # ValueError too: an integer of over 4300 digits is refused by int() with a
    # plain ValueError, not a JSONDecodeError (found in review, see
    # tests/test_security.py::test_huge_json_integer_is_a_trust_error).
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise TrustError(f"{source}: not valid JSON ({exc})") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _keys_from_pem(data: bytes, source: str) -> Iterator[TrustedKey]:
    blocks = re.findall(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", data, re.S)
    if not blocks:
        raise TrustError(f"{source}: no complete PEM block found")
    found = 0
    for match in re.finditer(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", data, re.S):
        label, block = match.group(1), match.group(0)
        if label == b"CERTIFICATE":
            try:
                der = x509.load_pem_x509_certificate(block).public_bytes(serialization.Encoding.DER)
            except ValueError as exc:
                raise TrustError(f"{source}: unreadable certificate ({exc})") from None
            yield _key_from_certificate(der, source)
        elif label == b"PUBLIC KEY":
            try:
                public_key = serialization.load_pem_public_key(block)
            except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
                raise TrustError(f"{source}: unreadable public key ({exc})") from None
            yield key_from_public(public_key, source=source, name=Path(source).stem)
        elif b"PRIVATE KEY" in label:
            # A private key handed in as trust is a mistake worth stopping for:
            # it should never be copied to a verifying machine.
            raise TrustError(f"{source}: holds a PRIVATE key; give the public key (.pub.pem) instead")
        else:
            continue
        found += 1
    if not found:
        raise TrustError(f"{source}: no PUBLIC KEY or CERTIFICATE in the PEM file")


def _key_from_entry(entry: Any, where: str) -> TrustedKey:
    if not isinstance(entry, dict):
        raise TrustError(f"{where}: a key entry is a JSON object")
    terms: dict[str, Any] = {"source": where.rsplit(", key", 1)[0]}
    name = entry.get("name", "")
    if not isinstance(name, str):
        raise TrustError(f"{where}: name must be text")
    terms["name"] = name
    iss = entry.get("iss")
    if iss is not None and not (isinstance(iss, str) and _COUNTRY.fullmatch(iss)):
        raise TrustError(f"{where}: iss must be an ISO 3166-1 alpha-2 code like 'CN'")
    terms["iss"] = iss
    alg = entry.get("alg")
    # isinstance first: a list or object here is unhashable, and must be a
    # TrustError, not a crash (found by benchmarks/fuzz, target bundle).
    if alg is not None and (not isinstance(alg, str) or alg not in ALGORITHMS):
        raise TrustError(f"{where}: unknown alg {alg!r} (known: {', '.join(ALGORITHMS)})")
    terms["alg"] = alg
    for bound in ("not_before", "not_after"):
        if entry.get(bound) is not None:
            terms[bound] = parse_time(entry[bound], f"{where}: {bound}")
    status = entry.get("status", "active")
    if status not in ("active", "revoked"):
        raise TrustError(f"{where}: status must be 'active' or 'revoked', not {status!r}")
    terms["revoked"] = status == "revoked"
    specimen = entry.get("specimen", False)
    if not isinstance(specimen, bool):
        raise TrustError(f"{where}: specimen must be true or false")
    terms["specimen"] = specimen

    if "spki" in entry:
        der = _b64(entry["spki"], f"{where}: spki")
        try:
            public_key = serialization.load_der_public_key(der)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise TrustError(f"{where}: spki is not a readable public key ({exc})") from None
        key = key_from_public(public_key, **terms)
    elif "x5c" in entry:
        chain = entry["x5c"]
        if not isinstance(chain, list) or not chain:
            raise TrustError(f"{where}: x5c must be a non-empty list of base64 certificates")
        ders = [_b64(c, f"{where}: x5c") for c in chain]
        key = _key_from_certificate(ders[0], **terms)
        key = replace(key, certificates=tuple(ders))
    else:
        raise TrustError(f"{where}: needs spki or x5c")

    if alg is not None and not ALGORITHMS[alg].fits(key.public_key):
        raise TrustError(f"{where}: alg {alg} does not fit this key's type")
    # A stated kid must be a computed one (the key's, or with x5c the EU DCC
    # kid of the certificate); a mismatch means the entry was edited by hand
    # or is for another key, and is not used.
    stated = entry.get("kid")
    if "kid" in entry and (not isinstance(stated, str) or stated.lower() not in {k.hex() for k in key.kids}):
        computed = " or ".join(sorted(k.hex() for k in key.kids))
        raise TrustError(f"{where}: kid {stated!r} does not match the key (computed {computed})")
    return key


def _b64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise TrustError(f"{what} must be base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TrustError(f"{what} is not valid base64") from None
