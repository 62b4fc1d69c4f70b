"""The format and trust seam: a plug-in is one module and an entry point; section 6 is one
function; results carry a typed cause; a broken plug-in stops nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from specseal import Issuer, make_seal

import scanverify.formats as formats_module
from scanverify import Cause, Finding, Status, TrustStore, Verifier
from scanverify.decode import DecodedCode
from scanverify.formats import BaseFormat, Chunk, MalformedSeal, ParsedSeal, find_format, plugin_problems
from scanverify.model import Role, TrustedKey
from scanverify.trust import key_from_public

NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
T = int(NOW.timestamp())


# ---------------------------------------------------------------- a toy binary format
class Toy(BaseFormat):
    """Binary seals: 0xAB, a 1-byte signer id, 0xEE-terminated body, then a DER ECDSA signature.
    Chunked form: 0xAC, index, total, part."""

    name = "TOY"

    def __init__(self, findings: Sequence[Finding] = ()) -> None:
        self.findings = tuple(findings)

    def recognise(self, data: bytes) -> bool:
        return data[:1] in (b"\xab", b"\xac")

    def parse(self, data: bytes) -> ParsedSeal:
        if data[:1] != b"\xab" or b"\xee" not in data:
            raise MalformedSeal("not a whole toy seal")
        body, signature = data.split(b"\xee", 1)
        return ParsedSeal(
            format=self.name,
            to_be_signed=body,
            signature=signature,
            key_hint=body[1],
            kid_text=f"signer {body[1]}",
            issued_at=NOW - dt.timedelta(days=1),
            record={"body": body[2:].decode("latin-1")},
        )

    def key_hints(self, key: TrustedKey) -> Iterable[Hashable]:
        return [hashlib.sha256(key.spki).digest()[0]]

    def verify_signature(self, seal: ParsedSeal, key: TrustedKey) -> bool:
        try:
            key.public_key.verify(seal.signature, seal.to_be_signed, ec.ECDSA(hashes.SHA256()))
        except Exception:
            return False
        return True

    def policy(self, seal: ParsedSeal, key: TrustedKey, trust: TrustStore, at: dt.datetime) -> Sequence[Finding]:
        return self.findings

    def chunk(self, data: bytes) -> Chunk | None:
        return Chunk("card", data[1], data[2]) if data[:1] == b"\xac" else None

    def join(self, parts: Sequence[bytes]) -> bytes:
        return b"".join(part[3:] for part in parts)


@dataclass
class FakeEntryPoint:
    name: str
    value: str
    loaded: Any

    def load(self) -> Any:
        if isinstance(self.loaded, BaseException):
            raise self.loaded
        return self.loaded


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[FakeEntryPoint]]:
    """Entry points the test chooses, instead of the installed ones."""
    chosen: list[FakeEntryPoint] = []
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group=None: list(chosen))
    formats_module.formats.cache_clear()
    formats_module._problems.clear()
    yield chosen
    formats_module.formats.cache_clear()
    formats_module._problems.clear()


def toy_seal(private: Any, body: bytes) -> bytes:
    hint = hashlib.sha256(key_from_public(private.public_key(), formats=frozenset({"TOY"})).spki).digest()[0]
    signed = bytes([0xAB, hint]) + body
    return signed + b"\xee" + private.sign(signed, ec.ECDSA(hashes.SHA256()))


def toy_trust(private: Any, **terms: Any) -> TrustStore:
    return TrustStore(keys=(key_from_public(private.public_key(), formats=frozenset({"TOY"}), **terms),))


@pytest.fixture(scope="module")
def toy_key() -> Any:
    return ec.generate_private_key(ec.SECP256R1())


def test_a_format_is_one_module_and_an_entry_point(plugins: list[FakeEntryPoint], toy_key: Any) -> None:
    plugins.append(FakeEntryPoint("toy", "tests:Toy", Toy))
    seal = toy_seal(toy_key, b"hello")
    assert find_format(seal).name == "TOY"  # type: ignore[union-attr]
    result = Verifier(trust=toy_trust(toy_key), clock=lambda: NOW).verify_payload(seal)
    assert (result.status, result.cause, result.signature_valid) == (Status.GENUINE, Cause.NONE, True)
    assert result.format == "TOY" and result.key is not None and result.payload is None
    assert result.to_json()["kid"] == f"signer {seal[1]}"
    # The same key bound to the CS1 format only does not verify it: keys are scoped.
    cs1_only = TrustStore(keys=(key_from_public(toy_key.public_key(), formats=frozenset({"CS1"})),))
    result = Verifier(trust=cs1_only, clock=lambda: NOW).verify_payload(seal)
    assert (result.status, result.cause) == (Status.UNTRUSTED, Cause.UNKNOWN_KEY)


def test_a_broken_plugin_is_reported_and_stops_nothing(plugins: list[FakeEntryPoint], toy_key: Any) -> None:
    plugins += [
        FakeEntryPoint("broken", "nowhere:Broken", ImportError("No module named 'nowhere'")),
        FakeEntryPoint("nameless", "x:Y", object()),
        FakeEntryPoint("toy", "tests:Toy", Toy),
    ]
    issuer = Issuer()
    # A CS1 seal is CS1's before any plug-in is loaded (issue 15: cold start) ...
    result = Verifier(trust=TrustStore.from_bundle(issuer.bundle(), "b"), clock=lambda: NOW).verify_payload(
        make_seal(issuer, iat=T).text()
    )
    assert result.status is Status.GENUINE
    # ... and the broken plug-ins are reported when the plug-ins are loaded, the others still work.
    with pytest.warns(RuntimeWarning, match="failed to load"):
        toy = Verifier(trust=toy_trust(toy_key), clock=lambda: NOW).verify_payload(toy_seal(toy_key, b"x"))
    assert toy.genuine
    problems = plugin_problems()
    assert len(problems) == 2 and "broken" in problems[0] and "nameless" in problems[1]


def test_a_plugin_cannot_replace_a_built_in_format(plugins: list[FakeEntryPoint]) -> None:
    class Impostor(Toy):
        name = "CS1"

        def recognise(self, data: bytes) -> bool:
            return data.startswith(b"CS1:")

    plugins.append(FakeEntryPoint("cs1", "evil:Impostor", Impostor))
    issuer = Issuer()
    fmt = find_format(make_seal(issuer, iat=T).text())
    assert type(fmt).__name__ == "CS1" and fmt.__module__ == "scanverify.formats.cs1"  # type: ignore[union-attr]


def test_a_plugin_bug_in_parse_is_malformed_never_a_crash(plugins: list[FakeEntryPoint]) -> None:
    class Buggy(Toy):
        def parse(self, data: bytes) -> ParsedSeal:
            raise KeyError("oops")

    plugins.append(FakeEntryPoint("toy", "tests:Buggy", Buggy))
    result = Verifier(trust=TrustStore(), clock=lambda: NOW).verify_payload(b"\xab\x01x\xee")
    assert (result.status, result.cause) == (Status.MALFORMED, Cause.PARSE)


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        # Whatever order a format lists them in, the earliest status of section 6 stands.
        (
            (
                Finding(Status.EXPIRED, Cause.KEY_EXPIRED, "e"),
                Finding(Status.NOT_YET_VALID, Cause.KEY_NOT_YET_VALID, "n"),
            ),
            (Status.NOT_YET_VALID, Cause.KEY_NOT_YET_VALID),
        ),
        (
            (Finding(Status.REVOKED, Cause.REVOKED_SEAL, "r"), Finding(Status.UNTRUSTED, Cause.KEY_USAGE, "u")),
            (Status.UNTRUSTED, Cause.KEY_USAGE),
        ),
        ((), (Status.GENUINE, Cause.NONE)),
    ],
)
def test_findings_rank_by_section_6(
    plugins: list[FakeEntryPoint], toy_key: Any, findings: tuple[Finding, ...], expected: tuple[Status, Cause]
) -> None:
    plugins.append(FakeEntryPoint("toy", "tests:Toy", Toy(findings)))
    result = Verifier(trust=toy_trust(toy_key), clock=lambda: NOW).verify_payload(toy_seal(toy_key, b"x"))
    assert (result.status, result.cause) == expected
    assert result.signature_valid is True and result.key is not None


def test_a_revoked_key_outranks_a_format_time_rule(plugins: list[FakeEntryPoint], toy_key: Any) -> None:
    plugins.append(FakeEntryPoint("toy", "tests:Toy", Toy([Finding(Status.EXPIRED, Cause.KEY_EXPIRED, "e")])))
    result = Verifier(trust=toy_trust(toy_key, revoked=True), clock=lambda: NOW).verify_payload(toy_seal(toy_key, b"x"))
    assert (result.status, result.cause) == (Status.REVOKED, Cause.REVOKED_KEY)


def test_forged_carries_no_key(plugins: list[FakeEntryPoint], toy_key: Any) -> None:
    plugins.append(FakeEntryPoint("toy", "tests:Toy", Toy))
    seal = bytearray(toy_seal(toy_key, b"hello"))
    seal[3] ^= 1  # the body, after signing
    result = Verifier(trust=toy_trust(toy_key), clock=lambda: NOW).verify_payload(bytes(seal))
    assert (result.status, result.cause, result.signature_valid, result.key) == (
        Status.FORGED,
        Cause.SIGNATURE,
        False,
        None,
    )
    body = result.to_json()
    assert body["cause"] == "signature" and body["signature_valid"] is False and body["issuer"] is None


def test_an_anchor_never_signs_for_a_format_that_asks_for_signers(plugins: list[FakeEntryPoint], toy_key: Any) -> None:
    plugins.append(FakeEntryPoint("toy", "tests:Toy", Toy))
    anchor = TrustStore(keys=(key_from_public(toy_key.public_key(), role=Role.ANCHOR, formats=None),))
    result = Verifier(trust=anchor, clock=lambda: NOW).verify_payload(toy_seal(toy_key, b"x"))
    assert (result.status, result.cause) == (Status.UNTRUSTED, Cause.UNKNOWN_KEY)


def chunks(private: Any, body: bytes, total: int) -> list[bytes]:
    whole = toy_seal(private, body)
    size = -(-len(whole) // total)
    return [bytes([0xAC, i + 1, total]) + whole[i * size : (i + 1) * size] for i in range(total)]


def code(payload: bytes) -> DecodedCode:
    return DecodedCode(payload=payload, symbology="QRCode", polygon=((0, 0), (1, 0), (1, 1), (0, 1)), decoder="test")


def test_chunks_in_one_image_are_one_seal(plugins: list[FakeEntryPoint], toy_key: Any) -> None:
    plugins.append(FakeEntryPoint("toy", "tests:Toy", Toy))
    issuer = Issuer()
    trust = toy_trust(toy_key) + TrustStore.from_bundle(issuer.bundle(), "b")
    verifier = Verifier(trust=trust, clock=lambda: NOW)
    parts = chunks(toy_key, b"a longer card body", 3)
    cs1 = make_seal(issuer, iat=T).text().encode()
    results = verifier.verify_codes([code(parts[2]), code(cs1), code(parts[0]), code(parts[1])], source="photo")
    assert [(r.format, r.status) for r in results] == [("TOY", Status.GENUINE), ("CS1", Status.GENUINE)]
    assert results[0].code is not None and results[0].code.payload == parts[0]


@pytest.mark.parametrize(
    ("pick", "words"),
    [
        ([0, 2], "chunk 2 of 3 missing"),
        ([0], "chunks 2, 3 of 3 missing"),
    ],
)
def test_a_card_that_cannot_be_assembled_is_one_malformed_result(
    plugins: list[FakeEntryPoint], toy_key: Any, pick: list[int], words: str
) -> None:
    plugins.append(FakeEntryPoint("toy", "tests:Toy", Toy))
    parts = chunks(toy_key, b"a longer card body", 3)
    results = Verifier(trust=toy_trust(toy_key), clock=lambda: NOW).verify_codes(
        [code(parts[i]) for i in pick], source="photo"
    )
    assert len(results) == 1
    assert (results[0].status, results[0].cause) == (Status.MALFORMED, Cause.PARSE)
    assert words in results[0].reason


def test_an_extra_chunk_is_named(plugins: list[FakeEntryPoint], toy_key: Any) -> None:
    plugins.append(FakeEntryPoint("toy", "tests:Toy", Toy))
    parts = chunks(toy_key, b"a longer card body", 2)
    stray = bytes([0xAC, 3, 2]) + b"zz"
    [result] = Verifier(trust=toy_trust(toy_key), clock=lambda: NOW).verify_codes(
        [code(p) for p in (*parts, stray)], source="photo"
    )
    assert result.status is Status.MALFORMED and "chunks disagree" not in result.reason
    assert "chunk 3 beyond the 2 announced" in result.reason


def test_json_names_the_cause_for_every_status() -> None:
    issuer, stranger = Issuer(), Issuer()
    verifier = Verifier(trust=TrustStore.from_bundle(issuer.bundle(), "b"), clock=lambda: NOW)
    rows = [
        verifier.verify_payload(make_seal(issuer, iat=T).text()),
        verifier.verify_payload(make_seal(stranger, iat=T).text()),
        verifier.verify_payload("CS1:!!"),
        verifier.verify_payload("https://example.org"),
        verifier.verify_payload(make_seal(issuer, iat=T + 3600).text()),
    ]
    causes = [json.loads(json.dumps(r.to_json()))["cause"] for r in rows]
    assert causes == ["none", "unknown_key", "parse", "not_a_seal", "signed_in_future"]
    assert [r.signature_valid for r in rows] == [True, None, None, None, True]


def test_a_state_bound_key_does_not_sign_for_another_state() -> None:
    issuer = Issuer()
    verifier = Verifier(trust=TrustStore.from_bundle(issuer.bundle(iss="FR"), "b"), clock=lambda: NOW)
    result = verifier.verify_payload(make_seal(issuer, iat=T).text())  # specseal seals say iss CN
    assert (result.status, result.cause, result.signature_valid) == (Status.UNTRUSTED, Cause.WRONG_STATE, None)


def test_live_assembles_chunks_seen_over_several_frames(plugins: list[FakeEntryPoint], toy_key: Any) -> None:
    import numpy as np

    from scanverify.livescan import scan

    plugins.append(FakeEntryPoint("toy", "tests:Toy", Toy))
    parts = chunks(toy_key, b"a card shown one code at a time", 3)
    # One chunk in view per frame, the first one twice, then all of them together.
    per_frame = [[parts[0]], [parts[0]], [parts[1]], [parts[2]], parts]

    class Frames:
        def __init__(self) -> None:
            self.left = len(per_frame)

        def read(self) -> tuple[bool, Any]:
            if not self.left:
                return False, None
            self.left -= 1
            return True, np.full((8, 8), len(per_frame) - self.left - 1, dtype=np.uint8)

        def release(self) -> None:
            pass

    def decode(gray: Any, effort: str) -> list[DecodedCode]:
        return [code(p) for p in per_frame[int(gray[0, 0])]]

    shown: list[int] = []
    results = list(
        scan(
            Frames(),
            verifier=Verifier(trust=toy_trust(toy_key), clock=lambda: NOW),
            realtime=False,
            decode=decode,
            on_frame=lambda frame: shown.append(len(frame.codes)) and None,
        )
    )
    assert [(r.format, r.status) for r in results] == [("TOY", Status.GENUINE)]
    # Chunks waiting for the rest have no verdict to show; once whole, every chunk in view shows it.
    assert shown == [0, 0, 0, 1, 3]
