"""France's 2D-Doc (ANTS) as a seal-format plug-in: ``format: "2D-DOC"``.

Parsing is :mod:`.ddoc_parse` (header, fields by the ANTS tables of
:mod:`.ddoc_tables`, Base32 signature); this module adds what the verifier
asks of a format: the seal's signer, the facts a clerk compares with the
paper (named in French and English), trust and the format's own rules.

Trust. A 2D-Doc names its signer by certification-authority id and
certificate id (``FR03``, ``AV01``). The signer is the X.509 leaf whose
subject CN is the certificate id and whose issuer CN is the CA id (ANTS
names them so: ``FR03_AV01.der`` is CN=AV01 issued by CN=FR03). A leaf given
as a trusted signer (a test certificate such as FR00's) is used as it is; a
leaf given as a certificate to chain must be issued by a CA anchor whose CN
is the CA id, such as those of the ANTS trust-service list
(:class:`.ddoc_tsl.AntsTsl`). The header's signature date must fall inside
the leaf's validity (and the CA's), and CRLs issued by the CA revoke it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from ..errors import TrustError
from ..model import Cause, Fact, Finding, Role, Status, TrustedKey
from ..x509 import certificate_of
from . import BaseFormat, MalformedSeal, ParsedSeal
from .ddoc_parse import Ddoc, DdocError, parse
from .ddoc_tables import DOCUMENT_TYPES, FIELDS
from .ddoc_tsl import AntsTsl

if TYPE_CHECKING:
    from ..trust import TrustStore
    from ..x509 import Certificate, ChainResult

__all__ = ["DDOC", "TEST_AUTHORITY", "facts_of", "record_of"]

FORMAT = "2D-DOC"
#: The certification authority of the ANTS specification's examples ("AC DE TEST").
TEST_AUTHORITY = "FR00"
#: The labels of the facts a 2D-Doc is shown with: the header's, and each field's English name
#: from the ANTS tables (a field id the tables lack stops parsing: its text is "unrecognised").
FACT_LABELS = frozenset(
    {
        "Type de document / Document type",
        "Autorité / Authority",
        "Émis le / Issued on",
        "Signé le / Signed on",
        "Données non reconnues / Unrecognised data",
        "Annexe, non signée / Annex, NOT signed",
    }
    | {definition.en for definition in FIELDS.values()}
)


class DDOC(BaseFormat):
    """The 2D-Doc format (the ``ddoc`` entry point)."""

    name = FORMAT
    fact_labels = FACT_LABELS
    #: Built-in certificates (data/public_certificates.json), loaded when the first seal is verified.
    built_in_trust = "scanverify.formats._builtin_trust:for_ddoc"
    trust_sources = (AntsTsl(),)

    def recognise(self, data: bytes) -> bool:
        # Any code that begins with "DC" claims to be a 2D-Doc; if it then breaks
        # the rules it is malformed, never quietly "not a seal".
        return data.startswith(b"DC")

    def parse(self, data: bytes) -> ParsedSeal:
        try:
            doc = parse(data)
        except DdocError as exc:
            raise MalformedSeal(str(exc)) from None
        header = doc.header
        signed = header.signed or header.emitted
        return ParsedSeal(
            format=FORMAT,
            to_be_signed=doc.signed_data,
            signature=doc.signature,
            key_hint=(header.ca_id, header.cert_id),
            kid_text=f"{header.ca_id}/{header.cert_id}",
            # The header gives a day, no time: the seal counts as signed at its start (UTC).
            issued_at=_midnight(signed) if signed else None,
            expires_at=_expiry(doc),
            not_before=None,
            issuer=None,  # the CA id is matched against the certificates themselves (candidate_keys)
            revocation_id=_revocation_id(doc),
            algorithm=None,  # the signer's curve gives the hash (P-256/SHA-256 ...)
            claims={},  # the fields are in the record, where redact() can reach them (claims are not redacted)
            record=record_of(doc),
            facts=facts_of(doc),
        )

    # ---- trust ----------------------------------------------------------
    def key_hints(self, key: TrustedKey) -> Iterable[Hashable]:
        """A certificate CN=<cert id> issued by CN=<CA id> signs the 2D-Docs naming (CA id, cert id)."""
        names = _names(key)
        return [names] if None not in names else []

    def candidate_keys(self, seal: ParsedSeal, trust: TrustStore, at: datetime) -> Sequence[TrustedKey] | Finding:
        ca_id, cert_id = _hint(seal)
        # Signers are used as given (a test certificate); certificates only through a CA.
        direct = list(trust.index(FORMAT, self.key_hints).get((ca_id, cert_id), ()))
        to_chain = trust.index(FORMAT, self.key_hints, (Role.CERTIFICATE,)).get((ca_id, cert_id), ())
        chained = []
        for key in to_chain:
            link = _chained(key, trust, _signing_day(seal))
            if link is not None:
                chained.append(_with_crl_warnings(key, link[1], trust, at))
        if direct or chained:
            return direct + chained
        if to_chain:
            return Finding(
                Status.UNTRUSTED,
                Cause.CHAIN,
                f"the signer certificate {ca_id}/{cert_id} is not issued by a trusted 2D-Doc"
                f" certification authority {ca_id}",
            )
        return []

    def verify_signature(self, seal: ParsedSeal, key: TrustedKey) -> bool:
        from ..algorithms import ALGORITHMS

        # ECDSA only, as the spec allows; the key's curve picks the hash and the
        # signature length must be that curve's (checked inside verify).
        for name in ("ES256", "ES384", "ES512"):
            algorithm = ALGORITHMS[name]
            if algorithm.fits(key.public_key):
                return algorithm.verify(key.public_key, seal.to_be_signed, seal.signature)
        return False

    def policy(self, seal: ParsedSeal, key: TrustedKey, trust: TrustStore, at: datetime) -> Sequence[Finding]:
        from ..x509 import ChainFailure

        findings: list[Finding] = []
        signed = _signing_day(seal)
        leaf = certificate_of(key)
        link = _chained(key, trust, signed) if key.role is not Role.SIGNER else None
        dated = [(leaf, "signer certificate")]
        if link is not None:
            anchor, ca = link
            dated.append((ca, "certification authority"))
            if anchor.revoked:
                findings.append(
                    Finding(Status.REVOKED, Cause.REVOKED_KEY, f"the 2D-Doc certification authority {anchor.name} is withdrawn")
                )
            if leaf is not None:
                crl = _crl_check(leaf, ca, trust, at)
                if crl.failure is ChainFailure.REVOKED:
                    findings.append(Finding(Status.REVOKED, Cause.REVOKED_KEY, crl.reason))
        if signed is not None:
            # Days against days: the header dates the signature to the day only.
            for certificate, what in dated:
                if certificate is None:
                    continue
                start, end = certificate.not_before.date(), certificate.not_after.date()
                if signed < start:
                    findings.append(
                        Finding(
                            Status.NOT_YET_VALID,
                            Cause.KEY_NOT_YET_VALID,
                            f"signed on {signed}, before its {what} was valid (from {start})",
                        )
                    )
                elif signed > end:
                    findings.append(
                        Finding(Status.EXPIRED, Cause.KEY_EXPIRED, f"signed on {signed}, after its {what} ended ({end})")
                    )
        return findings

    def redact(self, record: Mapping[str, Any]) -> Mapping[str, Any]:
        # Personal fields go; so do text that could not be cut into fields and the
        # annex, since what they hold is unknown.
        personal = {f["id"] for f in record.get("fields", ()) if f.get("personal")}
        out = {k: v for k, v in record.items() if k not in ("unparsed", "annex")}
        out["fields"] = [f for f in record.get("fields", ()) if f["id"] not in personal]
        return out



def _hint(seal: ParsedSeal) -> tuple[str, str]:
    """(CA id, certificate id), as :meth:`DDOC.parse` made it."""
    ca_id, cert_id = cast(tuple[str, str], seal.key_hint)
    return ca_id, cert_id


# ---- record and facts ----------------------------------------------------
def record_of(doc: Ddoc) -> dict[str, Any]:
    header = doc.header
    kind = DOCUMENT_TYPES.get(header.doc_type) if header.effective_perimeter == "01" else None
    record: dict[str, Any] = {
        "version": header.version,
        "ca": header.ca_id,
        "certificate": header.cert_id,
        "emitted": header.emitted.isoformat() if header.emitted else None,
        "signed": header.signed.isoformat() if header.signed else None,
        "document_type": header.doc_type,
        "document_type_name": {"fr": kind.fr, "en": kind.en} if kind else None,
        "perimeter": header.perimeter,
        "country": header.country,
        "fields": [
            {
                "id": f.id,
                "fr": f.definition.fr,
                "en": f.definition.en,
                "value": f.value,
                "raw": f.raw,
                "personal": f.definition.personal,
                **({"truncated": True} if f.truncated else {}),
                **({"invalid": True} if f.invalid else {}),
            }
            for f in doc.fields
        ],
    }
    if doc.unparsed:
        record["unparsed"] = doc.unparsed
    if doc.annex:
        record["annex"] = doc.annex
    return record


def facts_of(doc: Ddoc) -> tuple[Fact, ...]:
    header = doc.header
    kind = DOCUMENT_TYPES.get(header.doc_type) if header.effective_perimeter == "01" else None
    facts = [
        Fact(
            "Type de document / Document type",
            f"{kind.fr} / {kind.en}" if kind else f"type {header.doc_type} (inconnu / unknown)",
        )
    ]
    if header.ca_id == TEST_AUTHORITY:
        facts.append(Fact("Autorité / Authority", "AC DE TEST: spécimen / test authority: SPECIMEN"))
    facts.append(Fact("Émis le / Issued on", _day(header.emitted)))
    if header.signed is None:
        facts.append(Fact("Signé le / Signed on", "inconnu: date d'émission utilisée / unknown: issue date used"))
    else:
        facts.append(Fact("Signé le / Signed on", _day(header.signed)))
    for field in doc.fields:
        # The English name labels the line (short enough for the label column); the
        # spec's French name, often a sentence long, follows the value in brackets (one
        # line: the live view draws each fact on one).
        facts.append(
            Fact(field.definition.en, f"{_show(field)} ({field.definition.fr})", personal=field.definition.personal)
        )
    if doc.unparsed:
        facts.append(Fact("Données non reconnues / Unrecognised data", _printable(doc.unparsed), personal=True))
    if doc.annex:
        facts.append(Fact("Annexe, non signée / Annex, NOT signed", _printable(doc.annex), personal=True))
    return tuple(facts)


def _day(value: date | None) -> str:
    return value.isoformat() if value else "inconnue / unknown"


def _show(field: Any) -> str:
    value = field.value
    if isinstance(value, bool):
        text = "oui / yes" if value else "non / no"
    elif value is None:
        text = "inconnue / unknown"
    else:
        text = _printable(str(value))
    if field.invalid:
        text += " (illisible / unreadable)"
    if field.truncated:
        text += " (tronqué / truncated)"
    return text


def _printable(text: str) -> str:
    """Text from the code as data: control characters shown, never acted on."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def _expiry(doc: Ddoc) -> datetime | None:
    """Field 08, the document's expiry date: the seal is good through that day."""
    for field in doc.fields:
        if field.id == "08" and isinstance(field.value, str) and not field.invalid:
            return _midnight(date.fromisoformat(field.value) + timedelta(days=1))
    return None


def _revocation_id(doc: Ddoc) -> str | None:
    """The document's unique id (field 01), named with its authority, if it has one."""
    for field in doc.fields:
        if field.id == "01" and field.raw:
            return f"{doc.header.ca_id}/{doc.header.cert_id}/{field.raw}"
    return None


# ---- certificates (scanverify.x509) ------------------------------------------
def _signing_day(seal: ParsedSeal) -> date | None:
    text = seal.record.get("signed") or seal.record.get("emitted")
    return date.fromisoformat(text) if text else None



def _names(key: TrustedKey) -> tuple[str | None, str | None]:
    """(issuer CN, subject CN) of a key's certificate: the 2D-Doc (CA id, certificate id)."""
    certificate = certificate_of(key)
    if certificate is None:
        return None, None
    return _issuer_cn(certificate.der), certificate.common_name


def _issuer_cn(der: bytes) -> str | None:
    from asn1crypto import x509 as asn1

    try:
        values = [
            str(attribute["value"].native)
            for rdn in asn1.Certificate.load(der)["tbs_certificate"]["issuer"].chosen
            for attribute in rdn
            if attribute["type"].dotted == "2.5.4.3"
        ]
    except (ValueError, TypeError, KeyError):
        return None
    return values[0] if len(values) == 1 else None


def _inside(moment: datetime, ca: Certificate) -> datetime:
    return min(max(moment, ca.not_before), ca.not_after)


def _chained(key: TrustedKey, trust: TrustStore, signed: date | None) -> tuple[TrustedKey, Certificate] | None:
    """The trusted 2D-Doc CA that issued ``key``'s certificate, and its certificate.

    :func:`scanverify.x509.chain` checks names, CA-ness and the CA's signature on
    the leaf; it is asked at a moment inside each CA's validity, because the
    dates are this format's rule (by day, as the header dates the signature).
    """
    from ..x509 import chain

    leaf = certificate_of(key)
    if leaf is None:
        return None
    moment = _midnight(signed) + timedelta(hours=12) if signed else datetime.now(UTC)
    for anchor in trust.anchors(FORMAT):
        ca = certificate_of(anchor)
        if ca is None or ca.common_name != _issuer_cn(leaf.der):
            continue
        if chain(leaf, [ca], (), _inside(moment, ca)).ok:
            return anchor, ca
    return None


def _crl_check(leaf: Certificate, ca: Certificate, trust: TrustStore, at: datetime) -> ChainResult:
    """``leaf`` against the CA's CRLs among the trust inputs, at the time of checking: revoked or
    not, and the warnings (a CRL past its next update may miss a revocation since; one that names
    the CA but is not signed by it is ignored). Only a CRL the CA itself signed counts (x509.chain)."""
    from ..x509 import Crl, chain, load_crl

    crls: list[Crl] = []
    for crl in trust.crls:
        try:
            crls.append(crl if isinstance(crl, Crl) else load_crl(crl))
        except TrustError:
            continue
    return chain(leaf, [ca], crls, _inside(at, ca))


def _with_crl_warnings(key: TrustedKey, ca: Certificate, trust: TrustStore, at: datetime) -> TrustedKey:
    """``key`` carrying what its CA's CRLs make every verdict on it say: the verifier copies the
    verifying key's warnings into the result, so a stale CRL is said like a stale trust list."""
    leaf = certificate_of(key)
    if leaf is None:
        return key
    warnings = tuple(w for w in _crl_check(leaf, ca, trust, at).warnings if w not in key.warnings)
    return replace(key, warnings=(*key.warnings, *warnings)) if warnings else key
