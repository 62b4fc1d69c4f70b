"""CS1, the consular seal format (../shared/design/seal-format.md, normative)."""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from .._codec import CodecError, b45decode, inflate_if_zlib
from ..algorithms import BY_COSE
from ..cose import COSE_SIGN1_TAG, HEADER_ALG, HEADER_CRIT, HEADER_KID, parse_cose_sign1
from ..model import Fact, LazyFacts, TrustedKey
from . import MalformedSeal, ParsedSeal, TextFormat, cwt_claims

PREFIX = "CS1:"
CLAIM_ISS, CLAIM_IAT, CLAIM_EXP, CLAIM_RECORD = 1, 6, 4, -65537
KINDS_OF_ACT = ("legalization", "apostille", "attestation", "visa", "notarial")
MAX_TEXT = 200
#: A QR code holds at most 4296 alphanumeric characters; more is not from one.
MAX_PAYLOAD_CHARS = 8192

_COUNTRY = re.compile(r"[A-Z]{2}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

RECORD_LABELS = {
    "no": "Certificate number",
    "t": "Kind of act",
    "dt": "Date of act",
    "au": "Authority",
    "pl": "Place",
    "of": "Officer",
    "dst": "For use in",
}
DOC_LABELS = {"ti": "Document", "hn": "Holder", "pg": "Pages", "h": "Document SHA-256"}


class CS1(TextFormat):
    """The CS1 seal: Base45(zlib(COSE_Sign1(CWT claims with a consular record)))."""

    name = "CS1"
    prefixes: tuple[str, ...] = (PREFIX,)
    fact_labels = frozenset({"Issuing state", "Sealed at", "Valid until", *RECORD_LABELS.values(), *DOC_LABELS.values()})

    def key_hints(self, key: TrustedKey) -> Iterable[Hashable]:
        # The kid is the first 8 bytes of SHA-256 over the key's SPKI (section 2).
        return key.kids

    def parse_text(self, payload: str) -> ParsedSeal:
        if len(payload) > MAX_PAYLOAD_CHARS:
            raise MalformedSeal(f"seal text is {len(payload)} characters, more than a QR code holds")
        try:
            raw = b45decode(payload[len(PREFIX) :])
            cose_bytes, _ = inflate_if_zlib(raw)
            cose = parse_cose_sign1(cose_bytes, decode_payload=True)
        except CodecError as exc:
            raise MalformedSeal(str(exc)) from None

        if cose.tags != (COSE_SIGN1_TAG,):
            raise MalformedSeal("the COSE_Sign1 structure must carry exactly the CBOR tag 18")
        protected, unprotected = cose.protected, cose.unprotected
        kid = protected.get(HEADER_KID)
        if not isinstance(kid, bytes) or len(kid) != 8:
            raise MalformedSeal("the protected header needs a kid of 8 bytes")
        if HEADER_CRIT in protected:
            raise MalformedSeal("the seal marks header labels critical (crit), which CS1 does not allow", kid=kid)
        alg_id = protected.get(HEADER_ALG)
        if type(alg_id) is not int:
            raise MalformedSeal("the protected header needs an alg (integer)", kid=kid)
        algorithm = BY_COSE.get(alg_id)
        if algorithm is None:
            raise MalformedSeal(f"unknown signature algorithm {alg_id}", kid=kid)
        if HEADER_ALG in unprotected or HEADER_KID in unprotected:
            # Unprotected headers are not signed: alg or kid there could be
            # swapped by anyone, so CS1 forbids them outright.
            raise MalformedSeal("alg or kid in the unprotected header", kid=kid)

        claims = cwt_claims(cose.payload, kid, cose.decoded_payload)
        iss = _need(claims, CLAIM_ISS, str, "iss (issuing state)", kid)
        if not _COUNTRY.fullmatch(iss):
            raise MalformedSeal(f"iss {iss!r} is not an ISO 3166-1 alpha-2 code", kid=kid)
        iat = _need(claims, CLAIM_IAT, int, "iat (time of signing)", kid)
        exp = claims.get(CLAIM_EXP)
        if exp is not None and type(exp) is not int:
            raise MalformedSeal("exp is not an integer time", kid=kid)
        record = _check_record(_need(claims, CLAIM_RECORD, dict, "the consular record", kid), kid)
        issued_at, expires_at = _epoch(iat, "iat", kid), None if exp is None else _epoch(exp, "exp", kid)

        return ParsedSeal(
            format=self.name,
            kid=kid,
            key_hint=kid,
            algorithm=algorithm,
            to_be_signed=cose.to_be_signed(),
            signature=cose.signature,
            issued_at=issued_at,
            expires_at=expires_at,
            issuer=iss,
            revocation_id=f"{iss}/{record['no']}",
            claims={"iss": iss, "iat": issued_at, "exp": expires_at, "alg": algorithm.name},
            record=record,
            # Built when first shown: a verdict, or a JSON line, never reads them.
            facts=LazyFacts(partial(_facts, iss, issued_at, expires_at, record)),
            document_sha256=record["doc"].get("h"),
        )

    def redact(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        doc = {k: v for k, v in record.get("doc", {}).items() if k != "hn"}
        return {**record, "doc": doc}


def _need(mapping: Mapping[Any, Any], key: Any, kind: type, what: str, kid: bytes | None) -> Any:
    if key not in mapping:
        raise MalformedSeal(f"{what} is missing", kid=kid)
    value = mapping[key]
    # type(), not isinstance(): CBOR true is not the integer 1.
    if type(value) is not kind:
        raise MalformedSeal(f"{what} has the wrong type", kid=kid)
    return value


def _epoch(seconds: int, what: str, kid: bytes) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedSeal(f"{what} {seconds} is not a representable time", kid=kid) from None


def _check_record(record: dict[Any, Any], kid: bytes) -> dict[str, Any]:
    def fail(why: str) -> MalformedSeal:
        return MalformedSeal(f"consular record: {why}", kid=kid)

    _check_texts(record, fail)
    version = record.get("v")
    if type(version) is not int or version != 1:
        raise fail(f"schema version v must be 1, not {version!r}")
    for key in ("no", "t", "dt", "au"):
        if type(record.get(key)) is not str or not record[key]:
            raise fail(f"{key} is missing or not text")
    if record["t"] not in KINDS_OF_ACT:
        raise fail(f"unknown kind of act {record['t']!r}")
    if not _DATE.fullmatch(record["dt"]) or not _valid_date(record["dt"]):
        raise fail(f"date of act {record['dt']!r} is not a YYYY-MM-DD date")
    for key in ("pl", "of"):
        if key in record and type(record[key]) is not str:
            raise fail(f"{key} is not text")
    if "dst" in record and not (type(record["dst"]) is str and _COUNTRY.fullmatch(record["dst"])):
        raise fail("dst is not an ISO 3166-1 alpha-2 code")
    doc = record.get("doc")
    if type(doc) is not dict:
        raise fail("doc (the document) is missing or not a map")
    if type(doc.get("ti")) is not str or not doc["ti"]:
        raise fail("doc.ti (document title) is missing or not text")
    if "hn" in doc and type(doc["hn"]) is not str:
        raise fail("doc.hn is not text")
    if "pg" in doc and (type(doc["pg"]) is not int or doc["pg"] < 0):
        raise fail("doc.pg is not an unsigned integer")
    if "h" in doc and (type(doc["h"]) is not bytes or len(doc["h"]) != 32):
        raise fail("doc.h is not a 32-byte SHA-256")
    return record


def _check_texts(value: Any, fail: Any) -> None:
    """Every map in the record has text keys; every text is at most 200 characters.

    Depth first, in the record's order (the first fault found is the one
    named). A text key or value is checked where it is met, without a call of
    its own: a record is mostly texts (issue 15).
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str:
                raise fail(f"key {key!r} is not text")
            if type(item) is str:
                if len(item) > MAX_TEXT:
                    raise fail(f"a text value is {len(item)} characters, more than {MAX_TEXT}")
            elif isinstance(item, (dict, list, str)):
                _check_texts(item, fail)
    elif isinstance(value, list):
        for item in value:
            _check_texts(item, fail)
    elif isinstance(value, str) and len(value) > MAX_TEXT:
        raise fail(f"a text value is {len(value)} characters, more than {MAX_TEXT}")


def _valid_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _facts(iss: str, issued_at: datetime, expires_at: datetime | None, record: Mapping[str, Any]) -> tuple[Fact, ...]:
    facts = [Fact("Issuing state", iss)]
    for key, label in RECORD_LABELS.items():
        if key in record:
            facts.append(Fact(label, str(record[key])))
    doc = record["doc"]
    for key, label in DOC_LABELS.items():
        if key in doc:
            value = doc[key].hex() if isinstance(doc[key], bytes) else str(doc[key])
            facts.append(Fact(label, value, personal=key == "hn"))
    known_doc = set(DOC_LABELS)
    facts += [Fact(f"doc.{k}", _show(v)) for k, v in doc.items() if k not in known_doc]
    known = set(RECORD_LABELS) | {"v", "doc"}
    # Unknown keys are shown, never dropped: the clerk may need them.
    facts += [Fact(k, _show(v)) for k, v in record.items() if k not in known]
    facts.append(Fact("Sealed at", issued_at.strftime("%Y-%m-%d %H:%M UTC")))
    if expires_at is not None:
        facts.append(Fact("Valid until", expires_at.strftime("%Y-%m-%d %H:%M UTC")))
    return tuple(facts)


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
