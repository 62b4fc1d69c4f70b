"""Throw-away SMART Health Cards for tests: a fresh P-256 key, its JWKS, cards it signs."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from scanverify.algorithms import ALGORITHMS
from scanverify.formats._jws import b64url_encode
from scanverify.formats.shc import numeric_encode

ISS = "https://issuer.test/shc"


def deflate_raw(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@dataclass
class Issuer:
    """A throw-away issuer (the key lives only in memory, for this test run)."""

    private: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def jwk(self, **extra: Any) -> dict[str, Any]:
        numbers = self.private.public_key().public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(numbers.x.to_bytes(32, "big")),
            "y": b64url_encode(numbers.y.to_bytes(32, "big")),
        }
        canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
        import hashlib

        jwk.update(kid=b64url_encode(hashlib.sha256(canonical.encode()).digest()), use="sig", alg="ES256")
        jwk.update(extra)
        return jwk

    @property
    def kid(self) -> str:
        return str(self.jwk()["kid"])

    def jwks(self, **extra: Any) -> bytes:
        return json.dumps({"keys": [self.jwk(**extra)]}).encode()

    def jws(
        self, payload: dict[str, Any] | bytes, header: dict[str, Any] | None = None, *, deflate: bool = True
    ) -> str:
        body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        head = {"zip": "DEF", "alg": "ES256", "kid": self.kid} if header is None else header
        signing_input = (
            b64url_encode(json.dumps(head, separators=(",", ":")).encode())
            + "."
            + b64url_encode(deflate_raw(body) if deflate else body)
        )
        signature = ALGORITHMS["ES256"].sign(self.private, signing_input.encode())
        return signing_input + "." + b64url_encode(signature)

    def card(self, payload: dict[str, Any] | bytes | None = None, **kwargs: Any) -> bytes:
        return qr(self.jws(payload if payload is not None else card_payload(), **kwargs))


def qr(jws: str) -> bytes:
    return ("shc:/" + numeric_encode(jws)).encode()


def card_payload(iss: str = ISS, nbf: float = 1_700_000_000.5, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "iss": iss,
        "nbf": nbf,
        "vc": {
            "type": ["https://smarthealth.cards#health-card", "https://smarthealth.cards#immunization"],
            "credentialSubject": {
                "fhirVersion": "4.0.1",
                "fhirBundle": {
                    "resourceType": "Bundle",
                    "type": "collection",
                    "entry": [
                        {
                            "fullUrl": "resource:0",
                            "resource": {
                                "resourceType": "Patient",
                                "name": [{"family": "Testperson", "given": ["Jane"]}],
                                "birthDate": "1970-02-03",
                            },
                        },
                        {
                            "fullUrl": "resource:1",
                            "resource": {
                                "resourceType": "Immunization",
                                "status": "completed",
                                "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "208"}]},
                                "patient": {"reference": "resource:0"},
                                "occurrenceDateTime": "2021-05-01",
                                "lotNumber": "LOT42",
                                "performer": [{"actor": {"display": "Test Clinic"}}],
                            },
                        },
                    ],
                },
            },
        },
    }
    payload.update(extra)
    return payload


def chunks(data: bytes, count: int) -> list[bytes]:
    """Split a single-code card into ``count`` chunked codes (an even number of digits each)."""
    digits = data[len(b"shc:/") :]
    size = -(-len(digits) // count)
    size += size % 2
    return [f"shc:/{i + 1}/{count}/".encode() + digits[i * size : (i + 1) * size] for i in range(count)]
