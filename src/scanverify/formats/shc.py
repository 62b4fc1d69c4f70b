"""SMART Health Cards (``shc:/…``): numeric QR, compact JWS (ES256, DEFLATE), FHIR bundle.

Specification: https://spec.smarthealth.cards (v1). The steps, in order:

1. ``shc:/`` then digits, two a character (value + 45); the deprecated
   multi-code form ``shc:/N/M/`` splits one card over M codes, joined here
   (:func:`assemble`, :meth:`SHC.chunk`, :meth:`SHC.join`).
2. A compact JWS whose header is ``{"zip":"DEF","alg":"ES256","kid":…}``; the
   signature is raw r||s (64 bytes), never DER.
3. The payload, raw DEFLATE inflated with a bound, is strict JSON:
   ``iss`` (https URL), ``nbf`` (seconds, a float allowed), optional ``exp``,
   ``vc.type`` (must name ``https://smarthealth.cards#health-card``),
   ``vc.credentialSubject.fhirBundle``, optional ``vc.rid`` (revocation id).

Trust comes from JWKS files (keys trusted for any iss), VCI issuer directory
snapshots (each key bound to its iss and named) and SMART CRLs (``rid``
revocation): see :data:`TRUST_SOURCES` and docs/formats-shc.md.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from itertools import pairwise, product
from typing import Any

from .._codec import CodecError, inflate_raw
from ..algorithms import Algorithm
from ..errors import TrustError
from ..model import Cause, Fact, Finding, LazyFacts, Status, quick_init
from ..trust import parse_json
from . import BaseFormat, MalformedSeal, ParsedSeal
from . import Chunk as FormatChunk
from ._jws import JoseError, import_jwk, split_compact

__all__ = [
    "CVX_NAMES",
    "PREFIX",
    "SHC",
    "TRUST_SOURCES",
    "Assembled",
    "Card",
    "Chunk",
    "CrlSource",
    "DirectorySource",
    "JwksSource",
    "assemble",
    "load_directory",
    "load_jwks",
    "numeric_decode",
    "numeric_encode",
    "parse_card",
    "thumbprint",
]

PREFIX = b"shc:/"
FORMAT = "SHC"
#: A version 40 QR code holds 7089 digits; a card of many codes is refused past
#: this many digits in all (about 10 KB of JWS), before anything is decoded.
MAX_DIGITS = 20000
#: The spec's largest chunked card uses a handful of codes; more is not a card.
MAX_CHUNKS = 20
#: The FHIR bundle of a card is a few KB; a bomb stops here (like zlib in CS1).
MAX_PAYLOAD_BYTES = 64 * 1024
HEALTH_CARD = "https://smarthealth.cards#health-card"
KIND_NAMES = {
    "https://smarthealth.cards#immunization": "immunization",
    "https://smarthealth.cards#laboratory": "laboratory result",
}
#: What SMART Health Cards allow of a signing key (spec: "Generating and resolving cryptographic keys").
KEY_TERMS = {"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig"}
#: A rid is at most 24 base64url characters; the time-bound form adds "." and seconds.
_RID = re.compile(r"([A-Za-z0-9_-]{1,24})(?:\.(\d{1,12}))?")
_CHUNKED = re.compile(rb"shc:/(\d{1,4})/(\d{1,4})/(.*)", re.S)
#: A directory snapshot older than this is said to be out of date, like a trust list past its expiry.
SNAPSHOT_MAX_AGE = timedelta(days=30)
#: Revocation entries in TrustStore.revoked_seals: "SHC:<kid>:<rid>" or "SHC:<kid>:<rid>.<seconds>".
REVOKED_PREFIX = "SHC:"

#: CDC CVX codes of the vaccines most often on cards (https://www2a.cdc.gov/vaccines/iis/iisstandards/vaccines.asp).
CVX_NAMES = {
    "207": "Moderna COVID-19 (mRNA, 100 mcg)",
    "208": "Pfizer-BioNTech COVID-19 (mRNA, 30 mcg)",
    "210": "AstraZeneca COVID-19 (ChAdOx1)",
    "211": "Novavax COVID-19",
    "212": "Janssen (J&J) COVID-19 (Ad26)",
    "213": "COVID-19 vaccine, unspecified",
    "217": "Pfizer-BioNTech COVID-19 (mRNA, 30 mcg, tris-sucrose)",
    "218": "Pfizer-BioNTech COVID-19 (mRNA, 10 mcg, ages 5-11)",
    "219": "Pfizer-BioNTech COVID-19 (mRNA, 3 mcg, ages 6m-4y)",
    "221": "Moderna COVID-19 (mRNA, 50 mcg)",
    "228": "Moderna COVID-19 (mRNA, 25 mcg, ages 6m-5y)",
    "229": "Moderna COVID-19 bivalent (mRNA, 50 mcg)",
    "230": "Moderna COVID-19 bivalent (mRNA, 10 mcg)",
    "300": "Pfizer-BioNTech COVID-19 bivalent (mRNA, 30 mcg)",
    "301": "Pfizer-BioNTech COVID-19 bivalent (mRNA, 10 mcg)",
    "500": "COVID-19 vaccine, non-US, unspecified",
    "502": "Covaxin (Bharat Biotech)",
    "505": "Sputnik V (Gamaleya)",
    "510": "Sinopharm BIBP COVID-19",
    "511": "CoronaVac (Sinovac)",
    "88": "Influenza, unspecified",
    "141": "Influenza, seasonal, injectable",
}
CVX_SYSTEM = "http://hl7.org/fhir/sid/cvx"


def _malformed(reason: str, kid: str | None = None) -> MalformedSeal:
    # The kid (text) is shown in the reason's context by the caller; MalformedSeal.kid is for byte kids.
    return MalformedSeal(reason)


# ---------------------------------------------------------------- numeric mode
#: Two decimal digits "ab" read as hexadecimal (bytes.fromhex) are the byte 16a + b; this
#: table turns it into the character 10a + b + 45, or 0xFF when 10a + b is above 77.
_PAIRS = bytes(
    10 * (byte >> 4) + (byte & 15) + 45 if (byte >> 4) < 10 and (byte & 15) < 10 and 10 * (byte >> 4) + (byte & 15) <= 77 else 0xFF
    for byte in range(256)
)
_ALLOWED = bytes(range(45, 45 + 78))


def numeric_decode(digits: bytes) -> str:
    """The text of ``shc:/`` digits: two digits a character, value + 45.

    Done with whole-string operations in C (this is on the hot path): the
    digits, checked to be ASCII digits only, are read two at a time as
    hexadecimal, and a table turns each pair into its character.
    """
    if not digits:
        raise _malformed("the card holds no digits after shc:/")
    if not digits.isdigit():  # bytes.isdigit: ASCII 0-9 only
        raise _malformed("the numeric part holds characters other than digits")
    if len(digits) % 2:
        raise _malformed(f"the numeric part has an odd number of digits ({len(digits)})")
    values = bytes.fromhex(digits.decode("ascii")).translate(_PAIRS)
    # Deleting every allowed character leaves only the pairs above 77.
    if values.translate(None, _ALLOWED):
        position = values.index(0xFF)
        raise _malformed(f"digit pair {int(digits[2 * position : 2 * position + 2])} at character {position + 1} is above 77")
    return values.decode("ascii")


def numeric_encode(text: str) -> str:
    """``shc:/`` digits for a JWS (for tests and the benchmark)."""
    return "".join(f"{ord(c) - 45:02d}" for c in text)


# ---------------------------------------------------------------- chunks
@dataclass(frozen=True)
class Chunk:
    """One code of a multi-code card: ``shc:/index/total/digits``."""

    index: int
    total: int
    digits: bytes

    @property
    def group(self) -> Hashable:
        """Chunks that may belong to one card: the same total (a card carries no other id)."""
        return (FORMAT, self.total)


def chunk_of(data: bytes) -> Chunk | None:
    """The chunk ``data`` is, or None when it is not of the ``shc:/N/M/`` form with M > 1."""
    match = _CHUNKED.fullmatch(data)
    if match is None:
        return None
    index, total = int(match.group(1)), int(match.group(2))
    if total < 2 or index < 1:
        return None
    return Chunk(index, total, match.group(3))


@dataclass(frozen=True)
class Assembled:
    """One card from the chunks given to :func:`assemble`: joined, or why not."""

    members: tuple[int, ...]
    """Positions in the input of the chunks it is made of (or that could not be placed)."""
    data: bytes | None
    """The joined ``shc:/digits`` payload; None when the card could not be assembled."""
    problem: str | None = None
    """Why it could not be assembled, naming the missing or extra chunks."""


def assemble(parts: Sequence[bytes], *, merge_repeats: bool = False) -> list[Assembled]:
    """Group multi-code chunks into cards; a pure function.

    ``parts`` are the payloads of the chunked codes found together (in one
    image, or over frames in live mode); parts that are not chunks are ignored.
    Chunks are grouped by their total M (a card carries no other id). A group
    with each index 1..M once is one card. A group in which an index appears
    with two different contents holds several cards: each choice of one chunk
    per index that joins into a well-formed JWS is a card. Every other group
    is one result with a problem naming the missing, repeated or out-of-range
    chunks. ``merge_repeats``: the same chunk seen twice (over live frames) is
    one chunk; in a single image a repeated index is reported.
    """
    groups: dict[int, list[tuple[int, Chunk]]] = {}
    for position, data in enumerate(parts):
        found = chunk_of(data)
        if found is not None:
            groups.setdefault(found.total, []).append((position, found))
    results: list[Assembled] = []
    for total, members in sorted(groups.items()):
        results.extend(_assemble_group(total, members, merge_repeats))
    return results


def _assemble_group(total: int, members: list[tuple[int, Chunk]], merge_repeats: bool) -> list[Assembled]:
    everyone = tuple(p for p, _ in members)
    if total > MAX_CHUNKS:
        return [
            Assembled(everyone, None, f"a card of {total} codes is more than {MAX_CHUNKS}: not a SMART Health Card")
        ]
    by_index: dict[int, dict[bytes, list[int]]] = {}
    for position, chunk in members:
        by_index.setdefault(chunk.index, {}).setdefault(chunk.digits, []).append(position)
    extra = sorted(i for i in by_index if i > total)
    missing = [i for i in range(1, total + 1) if i not in by_index]
    repeated = [i for i, seen in sorted(by_index.items()) if not merge_repeats and sum(map(len, seen.values())) > 1]
    problems = []
    if missing:
        problems.append(f"{_list(missing)} of {total} {'is' if len(missing) == 1 else 'are'} missing")
    if extra:
        problems.append(f"{_list(extra)} of {total} {'is' if len(extra) == 1 else 'are'} out of range")
    if repeated and all(len(by_index[i]) == 1 for i in repeated):
        problems.append(f"{_list(repeated)} of {total} appear{'s' if len(repeated) == 1 else ''} twice")
    if problems:
        return [
            Assembled(
                everyone, None, f"a card of {total} codes cannot be assembled: chunk " + "; chunk ".join(problems)
            )
        ]
    choices = [list(by_index[i].items()) for i in range(1, total + 1)]
    if all(len(c) == 1 for c in choices):
        return [Assembled(everyone, _join_digits([c[0][0] for c in choices]))]
    # Several cards with the same number of codes: the combinations that join
    # into a well-formed JWS are the cards (bounded: a photo holds few cards).
    cards: list[Assembled] = []
    used: set[int] = set()
    combinations = 1
    for c in choices:
        combinations *= len(c)
    if combinations <= 256:
        for combination in product(*choices):
            positions = [p for _, ps in combination for p in ps]
            if used.intersection(positions):
                continue
            data = _join_digits([digits for digits, _ in combination])
            if _well_formed(data):
                cards.append(Assembled(tuple(sorted(positions)), data))
                used.update(positions)
    left = tuple(p for p in everyone if p not in used)
    if left:
        cards.append(
            Assembled(left, None, f"{len(left)} chunk(s) of a card of {total} codes do not join into any card")
        )
    return cards


def _list(indexes: Sequence[int]) -> str:
    return ", ".join(map(str, indexes))


def _join_digits(digits: Iterable[bytes]) -> bytes:
    return PREFIX + b"".join(digits)


def _well_formed(data: bytes) -> bool:
    try:
        parse_card(data)
    except Exception:
        return False
    return True


def join_chunks(parts: Sequence[bytes]) -> bytes:
    """The card made of exactly these chunks (any order); MalformedSeal naming what is missing otherwise."""
    assembled = assemble(parts)
    if len(assembled) != 1 or assembled[0].data is None or len(assembled[0].members) != len(parts):
        problems = "; ".join(a.problem for a in assembled if a.problem) or "they are not the chunks of one card"
        raise _malformed(problems)
    return assembled[0].data


# ---------------------------------------------------------------- the card
@quick_init
@dataclass(frozen=True)
class Card:
    """A decoded card, before any trust: what the signature covers and what it says."""

    kid: str
    signing_input: bytes
    signature: bytes
    iss: str
    nbf: datetime
    exp: datetime | None
    rid: str | None
    types: tuple[str, ...]
    claims: Mapping[str, Any]
    record: Mapping[str, Any]
    facts: Sequence[Fact]


def parse_card(data: bytes) -> Card:
    """Decode a ``shc:/`` payload (one code, or chunks already joined); MalformedSeal on any broken rule."""
    if not data.startswith(PREFIX):
        raise _malformed("a SMART Health Card starts with shc:/")
    body = data[len(PREFIX) :]
    if len(body) > MAX_DIGITS + 10:
        raise _malformed(f"{len(body)} digits is more than a card holds ({MAX_DIGITS})")
    match = _CHUNKED.fullmatch(data)
    if match is not None:
        index, total = int(match.group(1)), int(match.group(2))
        if (index, total) != (1, 1):
            if not 1 <= index <= total:
                raise _malformed(f"chunk {index} of {total}: the chunk index is out of range")
            raise _malformed(f"chunk {index} of {total} of a card of several codes, found without the others")
        body = match.group(3)
    text = numeric_decode(body)
    try:
        jws = split_compact(text)
    except JoseError as exc:
        raise _malformed(f"JWS: {exc}") from None
    header = _json(jws.header, "the JWS header")
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    _check_header(header, kid)
    assert kid is not None
    # Refused before inflating: a signature of another size (DER is 70-72
    # bytes) can never verify, and nothing unsigned is worth decompressing.
    if len(jws.signature) != 64:
        raise _malformed(
            f"the signature is {len(jws.signature)} bytes, not the 64 of raw ES256 r||s"
            + (" (it looks DER-encoded)" if jws.signature[:1] == b"\x30" else ""),
            kid,
        )
    try:
        payload_bytes = inflate_raw(jws.payload, MAX_PAYLOAD_BYTES)
    except CodecError as exc:
        raise _malformed(f"the payload: {exc}", kid) from None
    payload = _json(payload_bytes, "the JWS payload", kid)
    return _card(payload, kid, jws.signing_input, jws.signature)


def _json(data: bytes, what: str, kid: str | None = None) -> dict[str, Any]:
    try:
        # Strict: UTF-8, no key twice in an object (parsers disagree on which wins).
        value = parse_json(data, what)
    except TrustError as exc:
        raise _malformed(str(exc), kid) from None
    if not isinstance(value, dict):
        raise _malformed(f"{what} is not a JSON object", kid)
    return value


def _check_header(header: Mapping[str, Any], kid: str | None) -> None:
    for member, wanted in (("alg", "ES256"), ("zip", "DEF")):
        if member not in header:
            raise _malformed(f"the JWS header has no {member!r} (SMART Health Cards need {wanted!r})", kid)
        if header[member] != wanted:
            raise _malformed(f"the JWS header's {member} is {header[member]!r}, not {wanted!r}", kid)
    if kid is None or not 1 <= len(kid) <= 128:
        raise _malformed("the JWS header has no kid naming the issuer's key")
    if "crit" in header or "b64" in header:
        # Header parameters marked critical must be understood or the JWS
        # refused (RFC 7515 4.1.11); SMART Health Cards define none.
        raise _malformed("the JWS header has crit or b64, which SMART Health Cards do not use", kid)


def _time(value: Any, what: str, kid: str) -> datetime:
    if type(value) not in (int, float):
        raise _malformed(f"{what} is not a number of seconds", kid)
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        # Past year 9999 (a time in milliseconds, say): the far future, not an
        # error to hide; nbf there is not yet valid, exp there never expires.
        if value > 0:
            return datetime.max.replace(tzinfo=UTC)
        raise _malformed(f"{what} {value} is not a representable time", kid) from None


def _card(payload: dict[str, Any], kid: str, signing_input: bytes, signature: bytes) -> Card:
    iss = payload.get("iss")
    if not isinstance(iss, str) or not iss:
        raise _malformed("the payload has no iss", kid)
    # The spec: iss is an https URL without a trailing "/" (keys are at iss + "/.well-known/jwks.json").
    if not iss.startswith("https://") or iss.endswith("/"):
        raise _malformed(f"iss {iss!r} is not an https URL without a trailing '/'", kid)
    if "nbf" not in payload:
        raise _malformed("the payload has no nbf", kid)
    nbf = _time(payload["nbf"], "nbf", kid)
    exp = _time(payload["exp"], "exp", kid) if payload.get("exp") is not None else None
    vc = payload.get("vc")
    if not isinstance(vc, dict):
        raise _malformed("the payload has no vc object", kid)
    types = vc.get("type")
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise _malformed("vc.type is not a list of strings", kid)
    if HEALTH_CARD not in types:
        raise _malformed(f"vc.type does not name {HEALTH_CARD}", kid)
    subject = vc.get("credentialSubject")
    bundle = subject.get("fhirBundle") if isinstance(subject, dict) else None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise _malformed("vc.credentialSubject.fhirBundle is not a FHIR Bundle", kid)
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        raise _malformed("the FHIR Bundle has no entry list", kid)
    rid = vc.get("rid")
    if rid is not None and not (isinstance(rid, str) and _RID.fullmatch(rid) and "." not in rid):
        raise _malformed("vc.rid is not a base64url revocation id of at most 24 characters", kid)
    resources: list[dict[str, Any]] = [
        e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    ]
    kind = next((KIND_NAMES[t] for t in types if t in KIND_NAMES), None)
    record = {"iss": iss, "nbf": payload["nbf"], "exp": payload.get("exp"), "vc": vc}
    claims = {"iss": iss, "nbf": nbf, "exp": exp, "kid": kid, "type": list(types), "rid": rid}
    # The facts are built when first shown: a verdict, or a JSON line, never reads them.
    facts = LazyFacts(partial(_facts, resources, kind, iss))
    return Card(kid, signing_input, signature, iss, nbf, exp, rid, tuple(types), claims, record, facts)


# ---------------------------------------------------------------- facts for the clerk
#: The labels of the facts a card is shown with (all named here, none taken from the card).
FACT_LABELS = frozenset({"Card type", "Issuer", "Holder", "Date of birth", "Vaccination", "Lab result"})


def _facts(resources: list[dict[str, Any]], kind: str | None, iss: str) -> tuple[Fact, ...]:
    facts = [Fact("Card type", "SMART Health Card" + (f" — {kind}" if kind else "")), Fact("Issuer", iss)]
    for patient in (r for r in resources if r.get("resourceType") == "Patient"):
        facts.append(Fact("Holder", _name(patient.get("name")), personal=True))
        facts.append(Fact("Date of birth", _text(patient.get("birthDate")), personal=True))
    for resource in resources:
        kind_of = resource.get("resourceType")
        if kind_of == "Immunization":
            facts.append(Fact("Vaccination", _immunization(resource)))
        elif kind_of == "Observation":
            facts.append(Fact("Lab result", _observation(resource)))
    return tuple(facts)


def _text(value: Any, default: str = "?") -> str:
    return value if isinstance(value, str) and value else default


def _name(names: Any) -> str:
    first = names[0] if isinstance(names, list) and names and isinstance(names[0], dict) else {}
    given = first.get("given")
    parts = [g for g in given if isinstance(g, str)] if isinstance(given, list) else []
    if isinstance(first.get("family"), str):
        parts.append(first["family"])
    return " ".join(parts) or _text(first.get("text"))


def _codings(concept: Any) -> list[dict[str, Any]]:
    coding = concept.get("coding") if isinstance(concept, dict) else None
    return [c for c in coding if isinstance(c, dict)] if isinstance(coding, list) else []


def _concept(concept: Any) -> str:
    for coding in _codings(concept):
        code = coding.get("code")
        if coding.get("system") == CVX_SYSTEM and isinstance(code, str):
            name = CVX_NAMES.get(code) or _text(coding.get("display"), "vaccine")
            return f"{name} (CVX {code})"
    for coding in _codings(concept):
        code, display = _text(coding.get("code"), ""), _text(coding.get("display"), "")
        if display or code:
            return f"{display} ({code})" if display and code else display or code
    return _text(concept.get("text") if isinstance(concept, dict) else None)


def _immunization(resource: Mapping[str, Any]) -> str:
    parts = [
        _text(resource.get("occurrenceDateTime") or resource.get("occurrenceString")),
        _concept(resource.get("vaccineCode")),
    ]
    if isinstance(resource.get("lotNumber"), str):
        parts.append(f"lot {resource['lotNumber']}")
    performers = resource.get("performer")
    if isinstance(performers, list):
        names = [
            p["actor"].get("display") for p in performers if isinstance(p, dict) and isinstance(p.get("actor"), dict)
        ]
        names = [n for n in names if isinstance(n, str)]
        if names:
            parts.append("by " + ", ".join(names))
    if resource.get("status") not in (None, "completed"):
        parts.append(f"status {resource.get('status')}")
    return ", ".join(parts)


def _observation(resource: Mapping[str, Any]) -> str:
    value = resource.get("valueCodeableConcept")
    shown = _concept(value) if value is not None else None
    quantity = resource.get("valueQuantity")
    if shown is None and isinstance(quantity, dict):
        shown = f"{quantity.get('value')} {_text(quantity.get('unit'), '')}".strip()
    if shown is None:
        shown = _text(resource.get("valueString"))
    return f"{_text(resource.get('effectiveDateTime'))}, {_concept(resource.get('code'))}: {shown}"


def redact_record(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The record without the holder's name, birth date and other identifying fields."""
    out = copy.deepcopy(dict(record))
    vc = out.get("vc")
    subject = vc.get("credentialSubject") if isinstance(vc, dict) else None
    bundle = subject.get("fhirBundle") if isinstance(subject, dict) else None
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            for personal in ("name", "birthDate", "identifier", "telecom", "address", "photo", "contact"):
                resource.pop(personal, None)
    return out


# ---------------------------------------------------------------- keys and trust
@lru_cache(maxsize=4096)
def _thumbprint_cached(spki: bytes) -> str:
    from cryptography.hazmat.primitives import serialization
    from jwcrypto import jwk

    return str(jwk.JWK.from_pyca(serialization.load_der_public_key(spki)).thumbprint())


def thumbprint(key: Any) -> str:
    """The RFC 7638 thumbprint (a card's kid) of a TrustedKey's public key."""
    return _thumbprint_cached(key.spki)


def _hints(key: Any) -> tuple[str, ...]:
    """How cards name a key: its RFC 7638 thumbprint (the JWS header's kid)."""
    return (thumbprint(key),)


def _trusted_key(public_key: Any, **terms: Any) -> Any:
    from ..model import Role
    from ..trust import key_from_public

    # Scoped to SMART Health Cards: a JWKS key never verifies a CS1 or HC1 seal by accident.
    return key_from_public(public_key, role=Role.SIGNER, formats=frozenset({FORMAT}), **terms)


def _check_x5c(chain: Any, public_key: Any, iss: str | None, where: str) -> tuple[bytes, ...]:
    """The x5c chain's DER certificates, checked: the leaf holds this key, each certificate is
    signed by the next, and the leaf names ``iss`` as a URI subjectAltName (when iss is known)."""
    import base64
    import binascii

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    if not isinstance(chain, list) or not chain or not all(isinstance(c, str) for c in chain):
        raise TrustError(f"{where}: x5c must be a non-empty list of base64 certificates")
    try:
        ders = tuple(base64.b64decode(c, validate=True) for c in chain)
        certificates = [x509.load_der_x509_certificate(der) for der in ders]
    except (binascii.Error, ValueError) as exc:
        raise TrustError(f"{where}: x5c holds an unreadable certificate ({exc})") from None
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if certificates[0].public_key().public_bytes(*spki) != public_key.public_bytes(*spki):
        raise TrustError(f"{where}: the x5c certificate is for another key than the JWK's")
    for child, parent in pairwise(certificates):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, Exception) as exc:  # InvalidSignature is not a ValueError
            raise TrustError(
                f"{where}: the x5c chain is broken at {child.subject.rfc4514_string()} ({exc or 'bad signature'})"
            ) from None
    if iss is not None:
        try:
            names = certificates[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            uris = names.get_values_for_type(x509.UniformResourceIdentifier)
        except (x509.ExtensionNotFound, ValueError):
            uris = []
        if iss not in uris:
            raise TrustError(f"{where}: the x5c certificate does not name the issuer {iss} as its subjectAltName URI")
    return ders


def _key_entry(
    jwk: Any,
    where: str,
    *,
    iss: str | None,
    name: str,
    source: str,
    notes: list[str] | None = None,
    warnings: tuple[str, ...] = (),
) -> Any:
    """A TrustedKey for one JWK. ``notes`` given (the VCI snapshot): an x5c chain that fails
    its checks is dropped and noted, and the key kept, since the directory's binding of the
    key to its iss is what it is trusted on, and x5c is optional; otherwise the key is refused."""
    try:
        imported = import_jwk(jwk, where, required=KEY_TERMS)
    except JoseError as exc:
        raise TrustError(str(exc)) from None
    certificates: tuple[bytes, ...] = ()
    if "x5c" in jwk:
        try:
            certificates = _check_x5c(jwk["x5c"], imported.public_key, iss, where)
        except TrustError as exc:
            if notes is None:
                raise
            notes.append(f"{exc.diagnostics()} (x5c ignored, key kept)")
    return _trusted_key(
        imported.public_key,
        iss=iss,
        name=name,
        alg="ES256",
        source=source,
        certificates=certificates,
        warnings=warnings,
    )


def _crl_version(value: Any, where: str) -> int:
    # Some issuers publish the counter as a string ("1"): read as the number it names.
    if type(value) is int and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 12:
        return int(value)
    raise TrustError(f"{where}: must be a non-negative integer, not {value!r}")


def crl_entries(crl: Any, where: str, *, crl_version: int | None = None) -> frozenset[str]:
    """The revoked_seals entries of a SMART CRL ``{"kid","method":"rid","ctr","rids"}``, checked
    (the validator's REVOCATION_ERROR cases): method, rid syntax and length, duplicates, and its
    ctr against the key's crlVersion when known."""
    if not isinstance(crl, dict):
        raise TrustError(f"{where}: a CRL is a JSON object")
    kid = crl.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TrustError(f"{where}: the CRL names no kid")
    if crl.get("method") != "rid":
        raise TrustError(f"{where}: CRL method {crl.get('method')!r} is not 'rid'")
    ctr = _crl_version(crl.get("ctr"), f"{where}: ctr")
    if crl_version is not None and ctr != crl_version:
        raise TrustError(f"{where}: the CRL's ctr {ctr} does not match the key's crlVersion {crl_version}")
    rids = crl.get("rids")
    if not isinstance(rids, list):
        raise TrustError(f"{where}: rids must be a list")
    seen: set[str] = set()
    entries = set()
    for rid in rids:
        match = _RID.fullmatch(rid) if isinstance(rid, str) else None
        if match is None:
            raise TrustError(f"{where}: {rid!r} is not a rid (base64url, at most 24 characters, optional .seconds)")
        if match.group(1) in seen:
            raise TrustError(f"{where}: rid {match.group(1)!r} is listed twice")
        seen.add(match.group(1))
        entries.add(f"{REVOKED_PREFIX}{kid}:{rid}")
    return frozenset(entries)


def _store(**parts: Any) -> Any:
    from ..trust import TrustStore

    return TrustStore(**parts)


def _document(data: bytes, source: str) -> Any:
    from ..trust import parse_json

    return parse_json(data, source)


def load_jwks(data: bytes, source: str, *, specimen: bool = False) -> Any:
    """A JWKS ``{"keys":[JWK…]}``: each key trusted for cards of any iss."""
    document = _document(data, source)
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not keys:
        raise TrustError(f"{source}: a JWKS is an object with a non-empty 'keys' list")
    name = source.rsplit("/", 1)[-1]
    trusted = tuple(
        replace(_key_entry(jwk, f"{source}, key {i + 1}", iss=None, name=name, source=source), specimen=specimen)
        for i, jwk in enumerate(keys)
    )
    return _store(keys=trusted, sources=(source,))


def load_crl(data: bytes, source: str) -> Any:
    """One SMART CRL file (an issuer's /.well-known/crl/<kid>.json)."""
    return _store(revoked_seals=crl_entries(_document(data, source), source), sources=(source,))


def load_directory(data: bytes, source: str, *, strict: bool = True, now: datetime | None = None) -> Any:
    """A VCI issuer directory snapshot: each key bound to its issuer's iss and named.

    ``strict``: a key or CRL that breaks a rule refuses the whole file (a
    file the user hands in); otherwise (the VCI's signed snapshot) that key or
    CRL is left out and counted, so one issuer's mistake does not take 650
    others offline. Which ones were left out is in the store's sources line.

    Its ``time`` ages it like a trust list: past :data:`SNAPSHOT_MAX_AGE` at
    ``now``, every verdict resting on one of its keys says the trust list is
    out of date (a key warning, so verdicts of other formats are not touched).
    """
    from ..model import STALE_TRUST
    from ..trust import parse_time

    document = _document(data, source)
    if not isinstance(document, dict) or not isinstance(document.get("issuerInfo"), list):
        raise TrustError(f"{source}: an issuer directory is an object with an 'issuerInfo' list")
    time = parse_time(document.get("time"), f"{source}: time")
    label = f"{source} (issuer directory of {time:%Y-%m-%d})"
    stale: tuple[str, ...] = ()
    if now is not None and now > time + SNAPSHOT_MAX_AGE:
        stale = (
            f"{STALE_TRUST} (the issuer directory is of {time:%Y-%m-%d}, more than "
            f"{SNAPSHOT_MAX_AGE.days} days old); update it: scanverify trust update vci_snapshot.json",
        )
    keys: list[Any] = []
    revoked: set[str] = set()
    skipped: list[str] = []
    for i, info in enumerate(document["issuerInfo"]):
        where = f"{source}, issuer {i + 1}"
        issuer = info.get("issuer") if isinstance(info, dict) else None
        iss = issuer.get("iss") if isinstance(issuer, dict) else None
        if not isinstance(issuer, dict) or not isinstance(iss, str) or not iss.startswith("https://"):
            raise TrustError(f"{where}: issuer.iss must be an https URL")
        name: str = issuer["name"] if isinstance(issuer.get("name"), str) else iss
        jwks = info.get("keys", [])
        if not isinstance(jwks, list):
            raise TrustError(f"{where}: keys must be a list")
        versions: dict[str, int | None] = {}
        for j, jwk in enumerate(jwks):
            try:
                key = _key_entry(
                    jwk,
                    f"{where} ({iss}), key {j + 1}",
                    iss=iss,
                    name=name,
                    source=label,
                    notes=None if strict else skipped,
                    warnings=stale,
                )
                versions[thumbprint(key)] = (
                    _crl_version(jwk["crlVersion"], f"{where}, key {j + 1}: crlVersion")
                    if "crlVersion" in jwk
                    else None
                )
            except TrustError as exc:
                if strict:
                    raise
                skipped.append(exc.diagnostics())
                continue
            keys.append(key)
        crls = info.get("crls", [])
        for j, crl in enumerate(crls if isinstance(crls, list) else [None]):
            try:
                kid = crl.get("kid") if isinstance(crl, dict) else None
                if kid not in versions:
                    raise TrustError(f"{where}, CRL {j + 1}: for kid {kid!r}, which is not one of this issuer's keys")
                revoked |= crl_entries(crl, f"{where}, CRL {j + 1}", crl_version=versions[kid])
            except TrustError as exc:
                if strict:
                    raise
                skipped.append(exc.diagnostics())
    notes = (
        (f"{label}: {len(skipped)} problem(s), the keys or CRLs concerned left out: " + "; ".join(skipped),)
        if skipped
        else ()
    )
    return _store(
        keys=tuple(keys),
        revoked_seals=frozenset(revoked),
        sources=(label, *notes),
        versions={label: int(time.timestamp())},
    )


def _object_with(data: bytes, member: str) -> dict[str, Any] | None:
    if member.encode() not in data or not data.lstrip().startswith(b"{"):
        return None  # cheap: most files are not this kind
    try:
        document = _document(data, "sniff")
    except TrustError:
        return None
    return document if isinstance(document, dict) and member in document else None


@dataclass(frozen=True)
class JwksSource:
    """``--trust jwks.json``: ``{"keys":[{"kty":…},…]}`` (not a scanverify bundle, which names its format)."""

    name: str = "JWKS"

    def sniff(self, data: bytes) -> bool:
        document = _object_with(data, "keys")
        keys = document.get("keys") if document is not None and "format" not in document else None
        return isinstance(keys, list) and bool(keys) and all(isinstance(k, dict) and "kty" in k for k in keys)

    def load(self, data: bytes, source: str) -> Any:
        return load_jwks(data, source)


@dataclass(frozen=True)
class DirectorySource:
    """``--trust vci_snapshot.json``: an issuer directory snapshot (``"issuerInfo"``)."""

    name: str = "VCI issuer directory"

    def sniff(self, data: bytes) -> bool:
        return _object_with(data, "issuerInfo") is not None

    def load(self, data: bytes, source: str) -> Any:
        return load_directory(data, source, now=datetime.now(UTC))


@dataclass(frozen=True)
class CrlSource:
    """``--trust <kid>.json``: a SMART Health Cards revocation list (``"method":"rid"``)."""

    name: str = "SMART Health Cards CRL"

    def sniff(self, data: bytes) -> bool:
        document = _object_with(data, "rids")
        return document is not None and "method" in document and "kid" in document

    def load(self, data: bytes, source: str) -> Any:
        return load_crl(data, source)


TRUST_SOURCES = (JwksSource(), DirectorySource(), CrlSource())


@lru_cache(maxsize=8)
def _time_bound_revocations(revoked: frozenset[str]) -> Mapping[tuple[str, str], int | None]:
    """(kid, rid) -> the time before which cards are revoked (None: all); built once per store."""
    index: dict[tuple[str, str], int | None] = {}
    for entry in revoked:
        if entry.startswith(REVOKED_PREFIX):
            kid, _, rid = entry[len(REVOKED_PREFIX) :].rpartition(":")
            base, _, seconds = rid.partition(".")
            index[(kid, base)] = int(seconds) if seconds else None
    return index


def revocation(card_kid: str, rid: str | None, nbf: datetime, revoked: frozenset[str]) -> str | None:
    """Why this card is revoked by a loaded CRL, or None. ``rid.seconds`` revokes the
    cards with that rid issued (nbf) before that time; a bare rid revokes them all."""
    if rid is None:
        return None
    index = _time_bound_revocations(revoked)
    key = (card_kid, rid)
    if key not in index:
        return None
    until = index[key]
    if until is None:
        return f"this card (rid {rid}) has been revoked by its issuer"
    if nbf.timestamp() < until:
        return f"this card (rid {rid}) has been revoked by its issuer: cards issued before {_fmt(until)} are void"
    return None


def _fmt(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# ---------------------------------------------------------------- the plug-in
class SHC(BaseFormat):
    """SMART Health Cards, ``shc:/``. Keys are found by the card's kid (their RFC 7638
    thumbprint); the verifier holds a key bound to another iss against the card."""

    name = FORMAT
    fact_labels = FACT_LABELS
    trust_sources: tuple[Any, ...] = TRUST_SOURCES
    #: The VCI's directory of real issuers ships with the package; 650 issuers take about
    #: half a second to load, so they are loaded when the first card is verified.
    built_in_trust = "scanverify.formats.shc_directory:active_store"

    @property
    def trust_updates(self) -> tuple[Any, ...]:
        from .shc_directory import SnapshotUpdate

        return (SnapshotUpdate(),)

    def recognise(self, data: bytes) -> bool:
        return data.startswith(PREFIX)

    def parse(self, data: bytes) -> ParsedSeal:
        card = parse_card(data)
        return ParsedSeal(
            format=self.name,
            to_be_signed=card.signing_input,
            signature=card.signature,
            key_hint=card.kid,
            kid_text=card.kid,
            # A card has no signing time (no iat): nbf is its own start of validity.
            issued_at=None,
            not_before=card.nbf,
            expires_at=card.exp,
            issuer=card.iss,
            revocation_id=f"{REVOKED_PREFIX}{card.kid}:{card.rid}" if card.rid else None,
            algorithm=_es256(),
            claims=card.claims,
            record=card.record,
            facts=card.facts,
        )

    def key_hints(self, key: Any) -> tuple[str, ...]:
        return _hints(key)

    def policy(self, seal: ParsedSeal, key: Any, trust: Any, at: datetime) -> Sequence[Finding]:
        # The bare rid is matched by the verifier (revocation_id); the
        # time-bound "rid.seconds" form needs the card's nbf, so it is here.
        assert seal.not_before is not None
        reason = revocation(str(seal.key_hint), seal.claims.get("rid"), seal.not_before, trust.revoked_seals)
        return [Finding(Status.REVOKED, Cause.REVOKED_SEAL, reason)] if reason else []

    def redact(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        return redact_record(record)

    def chunk(self, data: bytes) -> FormatChunk | None:
        found = chunk_of(data)
        return FormatChunk(found.group, found.index, found.total) if found is not None else None

    def join(self, parts: Sequence[bytes]) -> bytes:
        return join_chunks(parts)


def _es256() -> Algorithm:
    from ..algorithms import ALGORITHMS

    return ALGORITHMS["ES256"]


def verify_card_signature(signing_input: bytes, signature: bytes, key: Any) -> bool:
    """ES256 over the JWS signing input with raw r||s only (range-checked in algorithms.py)."""
    if key.alg is not None and key.alg != "ES256":
        return False
    return _es256().verify(key.public_key, signing_input, signature)
