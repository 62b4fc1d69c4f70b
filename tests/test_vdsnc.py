"""VDS-NC, piece by piece: strict parsing, the canonical form, signatures, the certificate rules.

Seals are made here with throw-away keys and a throw-away CSCA; the signed
bytes are built with sorted-key json.dumps (what RFC 8785 gives for text and
integers), independently of the rfc8785 package the format uses.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from scanverify import TrustStore, Verifier
from scanverify.countries import alpha2
from scanverify.formats import MalformedSeal
from scanverify.formats.vdsnc import (
    MAX_SEAL_BYTES,
    VDSNC_EKU,
    check_bsc,
    check_validity,
    claims_vdsnc,
    facts_of,
    parse_vdsnc,
    read_certificate,
    redact_record,
    verify_vdsnc_signature,
)
from scanverify.model import Status

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
CURVES = {"ES256": (ec.SECP256R1(), hashes.SHA256(), 32), "ES384": (ec.SECP384R1(), hashes.SHA384(), 48)}


# ---- a throw-away PKI -------------------------------------------------------------


@dataclass
class Party:
    key: Any
    der: bytes

    @property
    def cert(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)


def _name(country: str, cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_csca(country: str = "AU", cn: str = "Test CSCA") -> Party:
    key = ec.generate_private_key(ec.SECP384R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(country, cn))
        .issuer_name(_name(country, cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(START)
        .not_valid_after(START + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA384())
    )
    return Party(key, cert.public_bytes(serialization.Encoding.DER))


def make_bsc(
    csca: Party,
    country: str = "AU",
    *,
    eku: str | None = VDSNC_EKU,
    curve: str = "ES256",
    days: int = 1000,
    start: dt.datetime = START,
) -> Party:
    key = ec.generate_private_key(CURVES[curve][0])
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(country, "BSC"))
        .issuer_name(csca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
    )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(eku)]), critical=True)
    cert = builder.sign(csca.key, hashes.SHA384())
    return Party(key, cert.public_bytes(serialization.Encoding.DER))


def make_crl(csca: Party, revoked: list[int], next_update: dt.datetime) -> Any:
    """A CRL signed by ``csca``, as the x509 layer loads it from DER."""
    from scanverify.x509 import load_crl

    return load_crl(_crl(csca, revoked, next_update).public_bytes(serialization.Encoding.DER))


def _crl(csca: Party, revoked: list[int], next_update: dt.datetime) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(csca.cert.subject)
        .last_update(START)
        .next_update(next_update)
    )
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(START).build()
        )
    return builder.sign(csca.key, hashes.SHA384())


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


VACC = {
    "hdr": {"t": "icao.vacc", "v": 1, "is": "AUS"},
    "msg": {
        "uvci": "VB0001",
        "pid": {"n": "CITIZEN JANE", "dob": "1980-01-02", "i": "PA123", "sex": "F"},
        "ve": [
            {
                "des": "XM68M6",
                "nam": "Comirnaty",
                "dis": "RA01.0",
                "vd": [{"dvc": "2021-03-03", "seq": 1, "ctr": "AUS", "adm": "GP", "lot": "L1"}],
            }
        ],
    },
}


def seal(bsc: Party, data: Any = None, *, alg: str = "ES256", signed: Any = None) -> bytes:
    """A VDS-NC seal of ``data`` signed by ``bsc`` (over ``signed`` instead, to tamper)."""
    data = VACC if data is None else data
    canonical = json.dumps(
        data if signed is None else signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    _, digest, size = CURVES[alg]
    r, s = decode_dss_signature(bsc.key.sign(canonical.encode(), ec.ECDSA(digest)))
    sig = {"alg": alg, "cer": b64u(bsc.der), "sigvl": b64u(r.to_bytes(size, "big") + s.to_bytes(size, "big"))}
    return json.dumps({"data": data, "sig": sig}).encode()


@pytest.fixture(scope="module")
def csca() -> Party:
    return make_csca()


@pytest.fixture(scope="module")
def bsc(csca: Party) -> Party:
    return make_bsc(csca)


# ---- what is a VDS-NC, what is broken -------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b'{"isThisAVDS": false}', b"[1,2]", b"hello", b'{"data": 3}', b'{"data": {"msg": {}}}', b"\xff{", b"{"],
)
def test_json_that_claims_nothing_of_vdsnc_is_not_a_seal(data: bytes) -> None:
    assert not claims_vdsnc(data)


def test_a_seal_claims_vdsnc_and_parses(bsc: Party) -> None:
    data = seal(bsc)
    assert claims_vdsnc(data)
    parsed = parse_vdsnc(data)
    assert parsed.issuing_state == "AUS" and parsed.kind == "icao.vacc"
    assert parsed.certificate.der == bsc.der
    assert verify_vdsnc_signature(parsed, parsed.certificate.public_key)


def _document(bsc: Party) -> dict[str, Any]:
    return dict(json.loads(seal(bsc)))


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d.pop("sig"), "sig is missing"),
        (lambda d: d.update(sig="x"), "sig is missing"),
        (lambda d: d["sig"].update(alg="RS256"), "sig.alg"),
        (lambda d: d["sig"].pop("alg"), "sig.alg"),
        (lambda d: d["sig"].update(sigvl="not base64!"), "sig.sigvl"),
        (lambda d: d["sig"].update(sigvl=5), "sig.sigvl"),
        (lambda d: d["sig"].update(cer=b64u(b"\x30\x03\x02\x01\x00")), "sig.cer"),
        (lambda d: d["sig"].update(cer=""), "sig.cer"),
        (lambda d: d["data"]["hdr"].update(v=2), "only version 1"),
        (lambda d: d["data"]["hdr"].update(v=True), "only version 1"),
        (lambda d: d["data"]["hdr"].update(**{"is": "AU"}), "issuing state"),
        (lambda d: d["data"]["hdr"].pop("t"), "hdr.t"),
        (lambda d: d["data"].pop("msg"), "data.msg"),
        (lambda d: d["data"].update(hdr=[]), "data.hdr"),
        (lambda d: d.update(note="unsigned"), "unexpected top-level field"),
    ],
)
def test_a_claimed_seal_that_breaks_the_rules_is_malformed(bsc: Party, change: Any, said: str) -> None:
    document = _document(bsc)
    change(document)
    data = json.dumps(document).encode()
    assert claims_vdsnc(data)
    with pytest.raises(MalformedSeal, match=said):
        parse_vdsnc(data)


def test_a_key_twice_in_one_object_is_malformed(bsc: Party) -> None:
    # Two names: one reader shows the first, another the last; refuse both.
    data = seal(bsc).replace(b'"n": "CITIZEN JANE"', b'"n": "CITIZEN JANE", "n": "SOMEONE ELSE"')
    assert claims_vdsnc(data)
    with pytest.raises(MalformedSeal, match="appears twice"):
        parse_vdsnc(data)


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ('"x": NaN', "not valid JSON"),
        ('"x": "\\ud800"', "canonical form"),
        ('"x": ' + "[" * 40 + "]" * 40, "nested deeper"),
    ],
)
def test_values_without_a_canonical_form_are_malformed(bsc: Party, extra: str, said: str) -> None:
    data = seal(bsc).replace(b'"uvci"', f'{extra}, "uvci"'.encode())
    with pytest.raises(MalformedSeal, match=said):
        parse_vdsnc(data)


def test_an_oversized_code_is_a_malformed_seal_and_not_parsed(bsc: Party) -> None:
    data = seal(bsc).replace(b'"uvci"', b'"pad": "' + b"x" * MAX_SEAL_BYTES + b'", "uvci"')
    assert claims_vdsnc(data)  # it reads as a VDS-NC: a seal is there, and broken
    with pytest.raises(MalformedSeal, match="larger than"):
        parse_vdsnc(data)


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ('"x": ' + "[" * 100_000 + "]" * 100_000, "larger than"),  # past the parser's own nesting too
        ('"x": ' + "[" * 3_000 + "]" * 3_000, "not valid JSON"),  # past Python's recursion limit
        ('"x": ' + "9" * 5_000, "not valid JSON"),  # past Python's 4,300-digit limit
        ('"x": [1, 2', "not valid JSON"),  # broken
    ],
)
def test_a_seal_json_cannot_read_is_still_a_malformed_vdsnc(bsc: Party, extra: str, said: str) -> None:
    # Not "no seal": what the clerk holds claims to be a VDS-NC and is broken.
    data = seal(bsc).replace(b'"uvci"', f"{extra}, \"uvci\"".encode())
    assert claims_vdsnc(data)
    with pytest.raises(MalformedSeal, match=said):
        parse_vdsnc(data)
    result = Verifier(trust=TrustStore()).verify_payload(data)
    assert result.status is Status.MALFORMED and result.format == "VDS-NC"


@pytest.mark.parametrize("data", [b'{"a": ' + b"9" * 5_000 + b"}", b"[" * 3_000, b'{"hdr": 1, "x": [', b"  data hdr"])
def test_unreadable_json_that_does_not_read_as_vdsnc_is_not_a_seal(data: bytes) -> None:
    assert not claims_vdsnc(data)
    assert Verifier(trust=TrustStore()).verify_payload(data).status is Status.NOT_A_SEAL


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_any_bytes_are_judged_without_crashing(data: bytes) -> None:
    if claims_vdsnc(data):
        with pytest.raises(MalformedSeal):
            parse_vdsnc(data)


# ---- signature --------------------------------------------------------------------


def test_the_signature_covers_the_canonical_data_not_the_text(bsc: Party) -> None:
    # Key order and spacing in the code do not matter; the content does.
    reordered = {"msg": VACC["msg"], "hdr": {"is": "AUS", "v": 1, "t": "icao.vacc"}}
    assert verify_vdsnc_signature(parse_vdsnc(seal(bsc, reordered, signed=VACC)), bsc.key.public_key())
    tampered = json.loads(json.dumps(VACC))
    tampered["msg"]["pid"]["n"] = "CITIZEN JANEX"
    assert not verify_vdsnc_signature(parse_vdsnc(seal(bsc, tampered, signed=VACC)), bsc.key.public_key())


def test_an_alg_that_does_not_fit_the_key_never_verifies(csca: Party) -> None:
    p384 = make_bsc(csca, curve="ES384")
    parsed = parse_vdsnc(seal(p384, alg="ES384"))
    assert verify_vdsnc_signature(parsed, p384.key.public_key())
    document = json.loads(seal(p384, alg="ES384"))
    document["sig"]["alg"] = "ES256"
    assert not verify_vdsnc_signature(parse_vdsnc(json.dumps(document).encode()), p384.key.public_key())


# ---- certificates --------------------------------------------------------------------


def _cert(party: Party) -> Any:
    return read_certificate(party.der, "test")


def _check(bsc: Party, cscas: list[Party], state: str = "AUS", crls: Any = (), at: dt.datetime = NOW) -> Any:
    return check_bsc(_cert(bsc), [_cert(c) for c in cscas], crls, state, at)


def test_a_bsc_under_a_trusted_csca_is_trusted(csca: Party, bsc: Party) -> None:
    verdict = _check(bsc, [make_csca("AU", "Other"), csca])
    assert verdict.untrusted is None and verdict.revoked is None and verdict.warnings == ()
    assert verdict.csca is not None and verdict.csca.der == csca.der


@pytest.mark.parametrize(
    ("make", "state", "cause"),
    [
        (lambda csca: make_bsc(make_csca()), "AUS", "chain"),  # same names, another CSCA key
        (lambda csca: make_bsc(csca, eku=None), "AUS", "key_usage"),
        (lambda csca: make_bsc(csca, eku="2.23.136.1.1.14.1"), "AUS", "key_usage"),
        (lambda csca: make_bsc(csca), "FRA", "wrong_state"),
        (lambda csca: make_bsc(csca, country="FR"), "FRA", "wrong_state"),
        (lambda csca: make_bsc(csca, country="FR"), "AUS", "wrong_state"),
        (lambda csca: make_bsc(csca), "XYZ", "wrong_state"),
    ],
)
def test_untrusted_bscs(csca: Party, make: Any, state: str, cause: str) -> None:
    problem = _check(make(csca), [csca], state).untrusted
    assert problem is not None and problem.status is Status.UNTRUSTED and problem.cause == cause


def test_the_bsc_must_be_valid_at_the_time_of_checking(csca: Party) -> None:
    bsc = _cert(make_bsc(csca, days=10))
    assert check_validity(bsc.not_before, bsc.not_after, START + dt.timedelta(days=5)) is None
    early = check_validity(bsc.not_before, bsc.not_after, START - dt.timedelta(days=1))
    late = check_validity(bsc.not_before, bsc.not_after, START + dt.timedelta(days=11))
    assert early is not None and (early.status, early.cause) == (Status.NOT_YET_VALID, "key_not_yet_valid")
    assert late is not None and (late.status, late.cause) == (Status.EXPIRED, "key_expired")


def test_crls_revoke_only_when_signed_by_the_csca(csca: Party, bsc: Party) -> None:
    serial = bsc.cert.serial_number
    later = NOW + dt.timedelta(days=30)
    revoked = _check(bsc, [csca], crls=[make_crl(csca, [serial], later)]).revoked
    assert revoked is not None and (revoked.status, revoked.cause) == (Status.REVOKED, "revoked_key")
    assert _check(bsc, [csca], crls=[make_crl(csca, [serial + 1], later)]).revoked is None
    # A CRL that names the CSCA but is signed by another key is not believed.
    impostor = Party(make_csca().key, csca.der)
    assert _check(bsc, [csca], crls=[make_crl(impostor, [serial], later)]).revoked is None


def test_a_stale_crl_is_a_warning(csca: Party, bsc: Party) -> None:
    verdict = _check(bsc, [csca], crls=[make_crl(csca, [], NOW - dt.timedelta(days=1))])
    assert verdict.untrusted is None and verdict.revoked is None
    assert len(verdict.warnings) == 1 and "out of date" in verdict.warnings[0]


def _der(tag: int, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        return bytes((tag, size)) + value
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + value


def _items(der: bytes) -> list[bytes]:
    """The elements inside one DER SEQUENCE (lengths under 64 KiB)."""
    body_at = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    out, pos = [], body_at
    while pos < len(der):
        size, head = (
            (der[pos + 1], 2)
            if der[pos + 1] < 0x80
            else (int.from_bytes(der[pos + 2 : pos + 2 + (der[pos + 1] & 0x7F)], "big"), 2 + (der[pos + 1] & 0x7F))
        )
        out.append(der[pos : pos + head + size])
        pos += head + size
    return out


def _with_null_parameter(party: Party, signer: Any) -> bytes:
    """``party``'s certificate re-made with ecdsa-with-SHA384 written with a NULL parameter (as the
    UT test BSCs have it), and signed again over that TBS by ``signer``."""
    tbs = _items(party.der)[0]
    fields = _items(tbs)
    algorithm = _der(0x30, _items(fields[2])[0] + b"\x05\x00")
    fields[2] = algorithm
    new_tbs = _der(0x30, b"".join(fields))
    signature = signer.sign(new_tbs, ec.ECDSA(hashes.SHA384()))
    return _der(0x30, new_tbs + algorithm + _der(0x03, b"\x00" + signature))


def test_a_bsc_with_a_null_ecdsa_parameter_is_read_and_its_chain_checked(csca: Party, bsc: Party) -> None:
    der = _with_null_parameter(bsc, csca.key)
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(der)  # what a strict reader does with it
    lenient = Party(bsc.key, der)
    assert _cert(lenient).serial == bsc.cert.serial_number
    assert _check(lenient, [csca]).untrusted is None
    forged = Party(bsc.key, _with_null_parameter(bsc, make_csca().key))
    assert _check(forged, [csca]).untrusted is not None


# ---- facts and redaction -----------------------------------------------------------


def test_facts_and_redaction(bsc: Party) -> None:
    parsed = parse_vdsnc(seal(bsc))
    facts = {f.label: f for f in facts_of(parsed)}
    assert facts["Document"].value == "proof of vaccination"
    assert facts["Name"].value == "CITIZEN JANE" and facts["Name"].personal
    assert facts["Date of birth"].personal and facts["Travel document number"].personal
    assert "Comirnaty" in facts["Vaccination, dose 1"].value and "2021-03-03" in facts["Vaccination, dose 1"].value
    record = {"hdr": dict(parsed.header), "msg": dict(parsed.message)}
    hidden = json.dumps(redact_record(record))
    assert "CITIZEN" not in hidden and "1980-01-02" not in hidden and "PA123" not in hidden
    assert "VB0001" in hidden and "CITIZEN" in json.dumps(record)  # the original is left alone


def test_state_codes() -> None:
    assert (alpha2("AUS"), alpha2("D<<"), alpha2("UTO"), alpha2("JPN"), alpha2("ZZZ")) == ("AU", "DE", "UT", "JP", None)
    assert (alpha2("ÄUS"), alpha2("")) == (None, None)


# ---- through the verifier: section 6 with a throw-away CSCA --------------------------------


def _anchor_store(*cscas: Party, crls: Any = ()) -> Any:
    from scanverify import TrustStore

    store = TrustStore.combine(TrustStore.from_bytes(c.der, f"csca {i}") for i, c in enumerate(cscas))
    return store + TrustStore(crls=tuple(crls))


def _verdict(data: bytes, trust: Any, at: dt.datetime = NOW) -> tuple[str, str, bool | None]:
    from scanverify import Verifier

    result = Verifier(trust=trust, clock=lambda: at).verify_payload(data)
    return result.status.value, result.cause.value, result.signature_valid


def test_verdicts_through_the_verifier(csca: Party, bsc: Party) -> None:
    trust = _anchor_store(csca)
    tampered = json.loads(json.dumps(VACC))
    tampered["msg"]["pid"]["n"] = "SOMEONE ELSE"
    fra = json.loads(json.dumps(VACC))
    fra["hdr"]["is"] = "FRA"
    assert _verdict(seal(bsc), trust) == ("genuine", "none", True)
    assert _verdict(seal(bsc, tampered, signed=VACC), trust) == ("forged", "signature", False)
    # Untrusted comes before forged: a BSC of no trusted CSCA, one without the EKU, another state.
    assert _verdict(seal(make_bsc(make_csca())), trust)[:2] == ("untrusted", "chain")
    assert _verdict(seal(make_bsc(csca, eku=None)), trust)[:2] == ("untrusted", "key_usage")
    assert _verdict(seal(bsc, fra), trust)[:2] == ("untrusted", "wrong_state")
    assert _verdict(seal(bsc), _anchor_store())[:2] == ("untrusted", "chain")
    # A CSCA given as trust never signs a seal itself.
    selfsigned = Party(csca.key, csca.der)
    assert _verdict(seal(selfsigned, alg="ES384"), trust)[0] == "untrusted"
    # Time: the BSC must be valid now; a CRL of the CSCA revokes, and revoked ranks before expired.
    later = make_bsc(csca, start=START + dt.timedelta(days=10))
    assert _verdict(seal(later), trust, START + dt.timedelta(days=5))[:2] == ("not_yet_valid", "key_not_yet_valid")
    # Before the CSCA itself is valid, nothing chains to it.
    assert _verdict(seal(bsc), trust, START - dt.timedelta(days=1))[:2] == ("untrusted", "chain")
    assert _verdict(seal(bsc), trust, START + dt.timedelta(days=2000))[:2] == ("expired", "key_expired")
    crl = make_crl(csca, [bsc.cert.serial_number], NOW + dt.timedelta(days=30))
    revoked = _anchor_store(csca, crls=[crl])
    assert _verdict(seal(bsc), revoked) == ("revoked", "revoked_key", True)
    assert _verdict(seal(bsc), revoked, START + dt.timedelta(days=2000))[:2] == ("revoked", "revoked_key")


def test_an_alg_that_does_not_fit_the_bsc_is_forged(csca: Party, bsc: Party) -> None:
    document = json.loads(seal(bsc))
    document["sig"]["alg"] = "ES384"
    assert _verdict(json.dumps(document).encode(), _anchor_store(csca)) == ("forged", "signature", False)


def test_a_pinned_signer_keeps_its_own_bounds(csca: Party, bsc: Party) -> None:
    from scanverify import TrustStore

    entry = {
        "name": "pinned BSC",
        "spki": base64.b64encode(
            bsc.key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).decode(),
        "role": "signer",
        "formats": ["VDS-NC"],
        "iss": "AU",
        "not_after": (NOW - dt.timedelta(days=1)).isoformat(),
    }
    pinned = TrustStore.from_bundle({"keys": [entry]}, source="test")
    # The seal's certificate says the BSC is valid now; the bundle entry that pins it says not.
    assert _verdict(seal(bsc), pinned)[:2] == ("expired", "key_expired")
    assert _verdict(seal(bsc), pinned, NOW - dt.timedelta(days=2)) == ("genuine", "none", True)
    fra = json.loads(json.dumps(VACC))
    fra["hdr"]["is"] = "FRA"
    assert _verdict(seal(bsc, fra), pinned, NOW - dt.timedelta(days=2))[:2] == ("untrusted", "wrong_state")


def test_redacted_results_hide_the_holder(csca: Party, bsc: Party) -> None:
    from scanverify import Verifier

    result = Verifier(trust=_anchor_store(csca), clock=lambda: NOW).verify_payload(seal(bsc)).redacted()
    shown = json.dumps(result.to_json()) + repr(result.facts)
    assert result.genuine and "CITIZEN" not in shown and "1980-01-02" not in shown and "PA123" not in shown


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_changed_seal_is_never_genuine_unless_its_signed_content_is_unchanged(data: Any) -> None:
    from scanverify import Verifier

    csca, bsc = _PKI
    original = seal(bsc)
    position = data.draw(st.integers(0, len(original) - 1))
    replacement = data.draw(st.binary(min_size=0, max_size=3))
    changed = original[:position] + replacement + original[position + 1 :]
    result = Verifier(trust=_anchor_store(csca), clock=lambda: NOW).verify_payload(changed)
    if result.genuine:
        document = json.loads(changed)
        assert document["data"] == VACC and document["sig"]["sigvl"] == json.loads(original)["sig"]["sigvl"]


_PKI: tuple[Party, Party] = (lambda c: (c, make_bsc(c)))(make_csca())
