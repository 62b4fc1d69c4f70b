"""HC1, the EU Digital COVID Certificate (eHealth Network, "Electronic Health
Certificates" technical specification): the same Base45/zlib/COSE/CWT stack as
CS1, read with the DCC's looser rules.

Differences from CS1, each as the DCC specification has it: zlib optional; tag
18 optional, and may sit inside the CWT tag 61; the kid may be in the
unprotected header when the protected one has none; only ES256 and PS256; the
kid names the signer's certificate, not its key; the health certificate sits
at claim -260, key 1; the signing certificate's extended key usage limits
which certificate types it may sign, and its validity when it may sign.

The steps (unprefix, base45, decompress, cose) are exposed one by one so the
EU conformance suite can check each of its flags on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .._codec import CBORTag, CodecError, b45decode, inflate_if_zlib
from ..algorithms import ALGORITHMS
from ..cose import COSE_SIGN1_TAG, CWT_TAG, HEADER_ALG, HEADER_CRIT, HEADER_KID, CoseSign1, parse_cose_sign1
from ..model import Cause, Fact, Finding, Role, Status, TrustedKey
from . import MalformedSeal, ParsedSeal, TextFormat, cwt_claims

if TYPE_CHECKING:
    from ..trust import TrustStore

PREFIX = "HC1:"
CLAIM_ISS, CLAIM_IAT, CLAIM_EXP, CLAIM_HCERT = 1, 6, 4, -260
MAX_PAYLOAD_CHARS = 8192
#: The DCC allows these two only (eHN spec, section 3.3.2).
DCC_ALGORITHMS = {ALGORITHMS["ES256"].cose: ALGORITHMS["ES256"], ALGORITHMS["PS256"].cose: ALGORITHMS["PS256"]}
#: Extended key usage OIDs that limit a signer to certificate types; some states
#: issued the variant with an extra ".0." arc, which verifiers accept too.
KEY_USAGE = {
    "t": ("1.3.6.1.4.1.1847.2021.1.1", "1.3.6.1.4.1.0.1847.2021.1.1"),
    "v": ("1.3.6.1.4.1.1847.2021.1.2", "1.3.6.1.4.1.0.1847.2021.1.2"),
    "r": ("1.3.6.1.4.1.1847.2021.1.3", "1.3.6.1.4.1.0.1847.2021.1.3"),
}
TYPE_NAMES = {"v": "vaccination", "t": "test", "r": "recovery"}
#: The entry fields shown for each certificate type, with their labels.
ENTRY_LABELS: dict[str, tuple[tuple[str, str], ...]] = {
    "v": (("mp", "Vaccine"), ("dn", "Dose"), ("dt", "Vaccinated on"), ("co", "Country")),
    "t": (
        ("tt", "Test type"),
        ("nm", "Test name"),
        ("tr", "Result"),
        ("sc", "Sample taken"),
        ("tc", "Test centre"),
        ("co", "Country"),
    ),
    "r": (("fr", "First positive test"), ("df", "Valid from"), ("du", "Valid until"), ("co", "Country")),
}
#: The labels of the facts HC1 names itself.
FACT_LABELS = frozenset(
    {"Certificate type", "Issuing state", "Holder", "Date of birth", "Certificate issuer", "Certificate id"}
    | {label for pairs in ENTRY_LABELS.values() for _, label in pairs}
)
ALLOWED_TAGS = {(), (COSE_SIGN1_TAG,), (CWT_TAG, COSE_SIGN1_TAG), (CWT_TAG,)}
#: The EU-authorised vaccines' product codes (DCC value set vaccines-covid-19-names), for the clerk.
VACCINE_NAMES = {
    "EU/1/20/1528": "Comirnaty (BioNTech/Pfizer)",
    "EU/1/20/1507": "Spikevax (Moderna)",
    "EU/1/21/1529": "Vaxzevria (AstraZeneca)",
    "EU/1/20/1525": "Jcovden (Janssen)",
    "EU/1/21/1618": "Nuvaxovid (Novavax)",
}
TEST_TYPES = {"LP6464-4": "NAAT (PCR)", "LP217198-3": "rapid antigen"}
TEST_RESULTS = {"260415000": "not detected (negative)", "260373001": "detected (positive)"}


class HC1(TextFormat):
    """The EU Digital COVID Certificate, prefix 'HC1:'."""

    name = "HC1"
    prefixes: tuple[str, ...] = (PREFIX,)
    fact_labels = FACT_LABELS

    # ---- the steps, each usable on its own (the conformance test checks them one by one)
    @staticmethod
    def unprefix(payload: str) -> str:
        if not payload.startswith(PREFIX):
            raise MalformedSeal("the text does not start with the context identifier HC1:")
        if len(payload) > MAX_PAYLOAD_CHARS:
            raise MalformedSeal(f"certificate text is {len(payload)} characters, more than a QR code holds")
        return payload[len(PREFIX) :]

    @staticmethod
    def base45(text: str) -> bytes:
        try:
            return b45decode(text)
        except CodecError as exc:
            raise MalformedSeal(f"Base45: {exc}") from None

    @staticmethod
    def decompress(data: bytes) -> tuple[bytes, bool]:
        """The COSE bytes, and whether they were zlib-compressed (the DCC allows either)."""
        try:
            return inflate_if_zlib(data)
        except CodecError as exc:
            raise MalformedSeal(f"zlib: {exc}") from None

    @staticmethod
    def cose(data: bytes) -> CoseSign1:
        try:
            cose = parse_cose_sign1(data, decode_payload=True)
        except CodecError as exc:
            raise MalformedSeal(f"COSE: {exc}") from None
        if cose.tags not in ALLOWED_TAGS:
            raise MalformedSeal(f"COSE: unexpected CBOR tags {list(cose.tags)}")
        return cose

    # ---- the plug-in interface
    def key_hints(self, key: TrustedKey) -> Iterable[Hashable]:
        # The DCC kid is SHA-256 over the signer certificate, first 8 bytes; a
        # bare key is named by its SPKI kid (both are in key.kids).
        return key.kids

    def candidate_keys(self, seal: ParsedSeal, trust: TrustStore, at: dt.datetime) -> Sequence[TrustedKey] | Finding:
        # A DCC signer certificate (DSC) given as trust is trusted as given,
        # whatever its basicConstraints: the EU gateway distributes DSCs, not
        # chains. Only entries scoped to HC1 (or to any format) are looked at.
        return trust.index(self.name, self.key_hints, roles=tuple(Role)).get(seal.key_hint, ())

    def parse_text(self, payload: str) -> ParsedSeal:
        cose = self.cose(self.decompress(self.base45(self.unprefix(payload)))[0])
        # The protected kid wins; the unprotected one is a fallback the DCC
        # allows. It is only a hint for finding the key: the signature decides.
        kid = cose.protected.get(HEADER_KID, cose.unprotected.get(HEADER_KID))
        if not isinstance(kid, bytes) or len(kid) != 8:
            raise MalformedSeal("the COSE header needs a kid of 8 bytes")
        # alg only from the protected header: an unsigned alg could be swapped.
        alg_id = cose.protected.get(HEADER_ALG)
        if alg_id is None:
            raise MalformedSeal("no signature algorithm in the protected header", kid=kid)
        if HEADER_CRIT in cose.protected:
            # RFC 9052: labels marked critical must be understood or the message
            # refused; the DCC defines none, so any crit is one we cannot honour.
            raise MalformedSeal("the seal marks header labels critical (crit), which the DCC does not use", kid=kid)
        algorithm = DCC_ALGORITHMS.get(alg_id) if type(alg_id) is int else None
        if algorithm is None:
            raise MalformedSeal(f"signature algorithm {alg_id!r} is not ES256 or PS256", kid=kid)

        claims = cwt_claims(cose.payload, kid, cose.decoded_payload)
        issued_at = _time(claims, CLAIM_IAT, "iat", kid, needed=True)
        expires_at = _time(claims, CLAIM_EXP, "exp", kid, needed=False)
        iss = claims.get(CLAIM_ISS)
        if iss is not None and not isinstance(iss, str):
            raise MalformedSeal("iss is not text", kid=kid)
        container = claims.get(CLAIM_HCERT)
        hcert = container.get(1) if isinstance(container, dict) else None
        if not isinstance(hcert, dict):
            raise MalformedSeal("no health certificate at claim -260/1", kid=kid)
        record = _plain(hcert, kid)
        kinds = [k for k in ("v", "t", "r") if record.get(k)]
        if len(kinds) != 1:
            raise MalformedSeal("the certificate must hold exactly one of vaccination, test or recovery", kid=kid)
        assert issued_at is not None
        return ParsedSeal(
            format=self.name,
            kid=kid,
            key_hint=kid,
            algorithm=algorithm,
            to_be_signed=cose.to_be_signed(),
            signature=cose.signature,
            issued_at=issued_at,
            expires_at=expires_at,
            # iss is optional in the DCC and not always a country code (Georgia
            # names its ministry). A key a bundle binds to one state verifies
            # only seals that name that state: no iss, or a ministry's name,
            # does not match it (the verifier compares them as they are).
            issuer=iss,
            revocation_id=None,
            claims={"iss": iss, "iat": issued_at, "exp": expires_at, "alg": algorithm.name, "type": kinds[0]},
            record=record,
            facts=_facts(record, kinds[0], iss),
        )

    def policy(self, seal: ParsedSeal, key: TrustedKey, trust: TrustStore, at: dt.datetime) -> Sequence[Finding]:
        """The signer certificate's word on this seal: which types it may sign, and when."""
        kind = seal.claims.get("type")
        if not key.certificates or kind not in KEY_USAGE:
            return ()  # a bare public key (a bundle's spki) states no limits
        from ..x509 import extended_key_usage  # only for a key that came with its certificate

        certificate = key.certificates[0]
        findings: list[Finding] = []
        usage = extended_key_usage(certificate)
        if usage is None:
            # An extended key usage we cannot read is not evidence of
            # permission: fail closed rather than guess what it allowed.
            findings.append(
                Finding(
                    Status.UNTRUSTED,
                    Cause.KEY_USAGE,
                    "the signer's certificate has an extended key usage that cannot be read",
                )
            )
        else:
            dcc_usage = usage & {oid for oids in KEY_USAGE.values() for oid in oids}
            # As the reference verifiers read it (the Corona-Warn-App's
            # DscSignatureValidator, the EU's own): a DSC whose EKU names no DCC
            # type may sign every type (Spain's DSCs carry only other OIDs); one
            # that names DCC types may sign only those.
            if dcc_usage and not dcc_usage & set(KEY_USAGE[kind]):
                # The signature is real, but the signer is not authorised for this
                # type of certificate: "signed, but not by anyone trusted to sign
                # this" is untrusted, not forged (nothing was altered).
                allowed = sorted(TYPE_NAMES[k] for k, oids in KEY_USAGE.items() if dcc_usage & set(oids))
                findings.append(
                    Finding(
                        Status.UNTRUSTED,
                        Cause.KEY_USAGE,
                        f"the signer may issue only {' and '.join(allowed)} certificates, "
                        f"not this {TYPE_NAMES[kind]} certificate",
                    )
                )
        # The certificate's validity bounds when its key may sign (iat), the same
        # rule and verdicts as a CS1 key's not_before / not_after (section 6): a
        # DCC signed before its signer existed is back-dated (not_yet_valid); one
        # signed after the signer's end used a retired key (expired). The EU suite
        # agrees: PL/1.3.0/6 expires after its signer and is valid.
        valid_from, valid_until = _validity(certificate)
        assert seal.issued_at is not None  # HC1 requires iat
        if seal.issued_at < valid_from:
            findings.append(
                Finding(
                    Status.NOT_YET_VALID,
                    Cause.KEY_NOT_YET_VALID,
                    f"signed at {seal.issued_at:%Y-%m-%d %H:%M} UTC, before the signer's certificate was valid "
                    f"(from {valid_from:%Y-%m-%d})",
                )
            )
        if seal.issued_at > valid_until:
            findings.append(
                Finding(
                    Status.EXPIRED,
                    Cause.KEY_EXPIRED,
                    f"signed at {seal.issued_at:%Y-%m-%d %H:%M} UTC, after the signer's certificate expired "
                    f"({valid_until:%Y-%m-%d})",
                )
            )
        return findings

    def redact(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        return {k: v for k, v in record.items() if k not in ("nam", "dob")}


@lru_cache(maxsize=256)
def _validity(der: bytes) -> tuple[dt.datetime, dt.datetime]:
    from cryptography import x509

    certificate = x509.load_der_x509_certificate(der)  # loaded once already, when the key was trusted
    return certificate.not_valid_before_utc, certificate.not_valid_after_utc


def _time(claims: Mapping[Any, Any], key: int, what: str, kid: bytes, *, needed: bool) -> dt.datetime | None:
    value = claims.get(key)
    if value is None:
        if needed:
            raise MalformedSeal(f"{what} is missing", kid=kid)
        return None
    if type(value) not in (int, float):
        raise MalformedSeal(f"{what} is not a number", kid=kid)
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedSeal(f"{what} {value} is not a representable time", kid=kid) from None


def _plain(value: Any, kid: bytes) -> Any:
    """CBOR data as JSON-like data: date tags become ISO-8601 text.

    The hcert is read before its signature is checked, so every shape is
    possible here; each that cannot be shown is malformed, never a crash.
    """
    if isinstance(value, CBORTag):
        if value.tag == 0 and isinstance(value.value, str):
            return value.value
        if value.tag == 1 and type(value.value) in (int, float):
            try:
                moment = dt.datetime.fromtimestamp(value.value, dt.UTC)
            except (OverflowError, OSError, ValueError):
                raise MalformedSeal(f"time {value.value} in the certificate is not representable", kid=kid) from None
            return moment.isoformat().replace("+00:00", "Z")
        return _plain(value.value, kid)
    if isinstance(value, dict):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            if str(key) in plain:
                # 1 and "1" would become one JSON key: the record would be ambiguous.
                raise MalformedSeal(f"the certificate has the key {str(key)!r} twice", kid=kid)
            plain[str(key)] = _plain(item, kid)
        return plain
    if isinstance(value, list):
        return [_plain(v, kid) for v in value]
    return value


def _facts(record: Mapping[str, Any], kind: str, iss: str | None) -> tuple[Fact, ...]:
    nam = record.get("nam")
    name: dict[str, Any] = nam if isinstance(nam, dict) else {}
    holder = " ".join(str(name[k]) for k in ("gn", "fn") if name.get(k)) or " ".join(
        str(name[k]) for k in ("gnt", "fnt") if name.get(k)
    )
    facts = [Fact("Certificate type", f"EU Digital COVID Certificate — {TYPE_NAMES[kind]}")]
    if iss:
        facts.append(Fact("Issuing state", iss))
    facts += [
        Fact("Holder", holder or "?", personal=True),
        Fact("Date of birth", str(record.get("dob", "?")), personal=True),
    ]
    entries = record.get(kind)
    entry = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else {}
    labels = ENTRY_LABELS[kind]
    for key, label in labels:
        if key not in entry:
            continue
        value = entry[key]
        if kind == "v" and key == "dn":
            value = f"{entry.get('dn')} of {entry.get('sd', '?')}"
        elif kind == "v" and key == "mp" and str(value) in VACCINE_NAMES:
            value = f"{VACCINE_NAMES[str(value)]}, {value}"
        elif kind == "t" and key == "tr":
            value = TEST_RESULTS.get(str(value), value)
        elif kind == "t" and key == "tt":
            value = TEST_TYPES.get(str(value), value)
        facts.append(Fact(label, str(value)))
    if entry.get("is"):
        facts.append(Fact("Certificate issuer", str(entry["is"])))
    if entry.get("ci"):
        facts.append(Fact("Certificate id", str(entry["ci"])))
    return tuple(facts)
