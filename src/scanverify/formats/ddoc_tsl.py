"""The ANTS 2D-Doc trust-service list (ETSI TS 119 612 XML, XAdES-signed) as a trust input.

``scanverify --trust tsl_signed.xml`` gives the certification authorities
(FR01, FR03 ...) that may issue 2D-Doc signer certificates: each becomes an
anchor for the "2D-DOC" format, named by its CN (the CA id in 2D-Doc headers).

The XML signature is checked with `signxml` (a maintained XML-DSig/XAdES
library), never by hand. How trust in the list's signer is established: the
list is signed by ANTS's "ANTS CACHET 2DDOC" certificate, issued by an ANTS
CA that is in no store we ship. We **pin** that signer: the SHA-256 of its
SubjectPublicKeyInfo, as read from the list ANTS published on 2025-08-25
(sequence 22). A list signed by any other key is refused, so a forged or
re-signed list cannot add an authority; when ANTS changes its signing key,
a scanverify release (or ``AntsTsl(pins=...)``) must add the new pin.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import TrustError

if TYPE_CHECKING:
    from ..trust import TrustStore

__all__ = ["ANTS_TSL_SIGNER_PINS", "AntsTsl"]

#: SHA-256 of the SubjectPublicKeyInfo of the certificates that may sign the ANTS
#: 2D-Doc list: "CN=ANTS CACHET 2DDOC, O=Agence Nationale des Titres Sécurisés"
#: (valid 2024-03-26 to 2027-03-26), from the list of 2025-08-25.
ANTS_TSL_SIGNER_PINS = frozenset({"fc740c49ee8acd05956b74608c49aca2ce7b79ac8a0bba126ece370423d0d2de"})

TSL = "http://uri.etsi.org/02231/v2#"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
FILTER2 = "http://www.w3.org/2002/06/xmldsig-filter2"
#: Statuses under which a listed CA is trusted (ETSI TS 119 612 and its 1999/93 forebears).
GOOD_STATUS = ("/inaccord", "/granted", "/accredited", "/undersupervision", "/recognisedatnationallevel")
MAX_TSL_BYTES = 4 * 1024 * 1024
FORMAT = "2D-DOC"


class AntsTsl:
    """A TrustSource: the ANTS 2D-Doc trust-service list."""

    name = "ANTS TSL"

    def __init__(self, pins: Iterable[str] = ANTS_TSL_SIGNER_PINS) -> None:
        self.pins = frozenset(pins)

    def sniff(self, data: bytes) -> bool:
        head = data[:16384]
        return b"TrustServiceStatusList" in head and b"2d-doc" in head.lower()

    def load(self, data: bytes, source: str) -> TrustStore:
        from ..trust import TrustStore, parse_time

        if len(data) > MAX_TSL_BYTES:
            raise TrustError(f"{source}: {len(data)} bytes is too large for a trust-service list")
        root = _verified_list(data, source, self.pins)
        keys = []
        for service in root.iter(f"{{{TSL}}}TSPService"):
            keys.append(_anchor(service, source))
        if not keys:
            raise TrustError(f"{source}: the trust-service list names no certification authority")
        sequence = root.findtext(f"{{{TSL}}}SchemeInformation/{{{TSL}}}TSLSequenceNumber")
        next_update = root.findtext(f"{{{TSL}}}SchemeInformation/{{{TSL}}}NextUpdate/{{{TSL}}}dateTime")
        return TrustStore(
            keys=tuple(keys),
            sources=(source,),
            versions={source: int(sequence)} if sequence and sequence.strip().isdigit() else {},
            # Past NextUpdate the list may be stale: the verifier warns beside every verdict.
            expires=parse_time(next_update.strip(), f"{source}: NextUpdate") if next_update else None,
        )


def _verified_list(data: bytes, source: str, pins: frozenset[str]) -> Any:
    """The list element as its signature covers it (never the unsigned document)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from lxml import etree
    from signxml.exceptions import SignXMLException
    from signxml.util import _remove_sig
    from signxml.verifier import SignatureConfiguration, XMLVerifier

    # No entities, no network, no huge trees: the file is data from outside.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=False)
    try:
        document = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise TrustError(f"{source}: not well-formed XML ({exc})") from None
    signatures = document.findall(f".//{{{DSIG}}}Signature")
    if len(signatures) != 1:
        raise TrustError(f"{source}: the trust-service list must carry exactly one XML signature")
    certs = signatures[0].findall(f"{{{DSIG}}}KeyInfo/{{{DSIG}}}X509Data/{{{DSIG}}}X509Certificate")
    if len(certs) != 1:
        raise TrustError(f"{source}: the list's signature must name exactly one signing certificate")
    try:
        signer = x509.load_der_x509_certificate(base64.b64decode("".join((certs[0].text or "").split())))
        spki = signer.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except (ValueError, binascii.Error):
        raise TrustError(f"{source}: the list's signing certificate is unreadable") from None
    if hashlib.sha256(spki).hexdigest() not in pins:
        raise TrustError(f"{source}: the list is signed by a key that is not ANTS's pinned list-signing key")

    class Verifier(XMLVerifier):
        # ANTS signs the list with an XPath-Filter 2.0 transform that subtracts
        # "/descendant::ds:Signature". signxml skips transforms it does not know;
        # with the document's only Signature (checked above) that filter is exactly
        # the enveloped-signature transform, which is what we apply. Any other
        # filter is refused rather than skipped.
        def _apply_transforms(self, payload: Any, *, transforms_node: Any, signature: Any) -> Any:
            if transforms_node is not None:
                for transform in transforms_node.findall(f"{{{DSIG}}}Transform"):
                    if transform.get("Algorithm") != FILTER2:
                        continue
                    paths = transform.findall(f"{{{FILTER2}}}XPath")
                    if (
                        len(paths) != 1
                        or paths[0].get("Filter") != "subtract"
                        or (paths[0].text or "").strip() != "/descendant::ds:Signature"
                        or paths[0].nsmap.get("ds") != DSIG
                    ):
                        raise TrustError(f"{source}: the list's signature uses an unsupported XPath filter")
                    _remove_sig(signature, idempotent=True)  # type: ignore[no-untyped-call]
            return super()._apply_transforms(payload, transforms_node=transforms_node, signature=signature)

    try:
        results = Verifier().verify(
            data,
            x509_cert=signer,
            # The list itself and the XAdES signed properties, nothing else.
            expect_config=SignatureConfiguration(expect_references=2),
        )
    except SignXMLException as exc:
        raise TrustError(f"{source}: the list's XML signature does not verify ({exc})") from None
    for result in results if isinstance(results, list) else [results]:
        signed = result.signed_xml
        if signed is not None and signed.tag == f"{{{TSL}}}TrustServiceStatusList":
            return signed
    raise TrustError(f"{source}: the XML signature does not cover the trust-service list")


def _anchor(service: Any, source: str) -> Any:
    from cryptography import x509

    from ..model import Role
    from ..trust import key_from_public

    info = service.find(f"{{{TSL}}}ServiceInformation")
    text = info.findtext(f".//{{{TSL}}}ServiceDigitalIdentity//{{{TSL}}}X509Certificate") if info is not None else None
    if not text:
        raise TrustError(f"{source}: a listed service has no certificate")
    try:
        der = base64.b64decode("".join(text.split()))
        certificate = x509.load_der_x509_certificate(der)
        public_key = certificate.public_key()
    except (ValueError, binascii.Error):
        raise TrustError(f"{source}: a listed service's certificate is unreadable") from None
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    ca_id = str(names[0].value) if len(names) == 1 else None
    status = info.findtext(f"{{{TSL}}}ServiceStatus") or ""
    service_name = info.findtext(f"{{{TSL}}}ServiceName/{{{TSL}}}Name") or ca_id or "?"
    return key_from_public(
        public_key,
        certificates=(der,),
        name=" ".join(service_name.split()),
        iss=ca_id,
        role=Role.ANCHOR,
        formats=frozenset({FORMAT}),
        # A CA withdrawn from the list certifies nothing any more.
        revoked=not status.rstrip("/").endswith(GOOD_STATUS),
        source=source,
    )

