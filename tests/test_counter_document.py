"""Issue 14 part 3: the document in hand compared with the seal's doc.h."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from specseal import Issuer, make_seal, record
from support import Cli, verifier_for, write_trust

from scanverify import SealError, Status, Verifier
from scanverify.document import DocumentHash, document_hash
from scanverify.errors import UsageError

T = int(datetime(2026, 11, 26, 12, tzinfo=UTC).timestamp())
AT = "2026-11-26T12:00:00Z"
DOCUMENT = b"%PDF-1.4 the birth certificate, as scanned\n" * 1000


@pytest.fixture()
def verifier(issuer: Issuer) -> Verifier:
    return verifier_for(issuer, datetime.fromtimestamp(T, UTC))


def sealed(issuer: Issuer, h: bytes | None = hashlib.sha256(DOCUMENT).digest()) -> str:
    rec = record()
    if h is None:
        del rec["doc"]["h"]
    else:
        rec["doc"]["h"] = h
    return make_seal(issuer, iat=T, rec=rec).text()


def test_right_document_matches(verifier: Verifier, issuer: Issuer, tmp_path: Path) -> None:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(DOCUMENT)
    result = verifier.verify_payload(sealed(issuer), document=path)
    assert result.status is Status.GENUINE
    assert result.document is not None
    assert result.document.match is True
    assert result.document.sha256 == hashlib.sha256(DOCUMENT).hexdigest()
    assert not result.document_mismatch
    assert result.to_json()["document"] == {"sha256": hashlib.sha256(DOCUMENT).hexdigest(), "match": True}
    # bytes and a hash made beforehand give the same answer
    assert verifier.verify_payload(sealed(issuer), document=DOCUMENT).document == result.document
    assert verifier.verify_payload(sealed(issuer), document=document_hash(str(path))).document == result.document


def test_wrong_document_keeps_the_status_but_is_a_mismatch(verifier: Verifier, issuer: Issuer) -> None:
    result = verifier.verify_payload(sealed(issuer), document=DOCUMENT + b"x")
    assert result.status is Status.GENUINE  # the seal itself is genuine
    assert result.document is not None and result.document.match is False
    assert result.document_mismatch
    with pytest.raises(SealError, match="not the one this seal was made for"):
        verifier.check_payload(sealed(issuer), document=DOCUMENT + b"x")
    verifier.check_payload(sealed(issuer), document=DOCUMENT)


def test_seal_without_hash_is_null(verifier: Verifier, issuer: Issuer) -> None:
    result = verifier.verify_payload(sealed(issuer, None), document=DOCUMENT)
    assert result.document is not None and result.document.match is None
    assert verifier.verify_payload(sealed(issuer, None)).document is None
    assert "document" not in verifier.verify_payload(sealed(issuer)).to_json()


def test_fifo_and_missing_documents_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        document_hash(tmp_path / "missing.pdf")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="FIFO"):
        document_hash(fifo)
    assert isinstance(document_hash(b"x"), DocumentHash)


def test_cli_match_and_mismatch(run_cli: Cli, issuer: Issuer, tmp_path: Path) -> None:
    trust = write_trust(issuer, tmp_path / "trust.json")
    right, wrong = tmp_path / "right.pdf", tmp_path / "wrong.pdf"
    right.write_bytes(DOCUMENT)
    wrong.write_bytes(DOCUMENT[:-1])
    base = ["--text", sealed(issuer), "--trust", str(trust), "--at", AT]
    code, out, _ = run_cli(*base, "--json", "--document", str(right))
    assert code == 0
    row = json.loads(out)
    assert row["document"]["match"] is True and row["status"] == "genuine"
    code, out, _ = run_cli(*base, "--json", "--document", str(wrong))
    assert code == 1, "a genuine seal on the wrong document must not pass"
    row = json.loads(out)
    assert row["document"]["match"] is False and row["status"] == "genuine"
    code, out, _ = run_cli(*base, "--document", str(wrong))
    assert code == 1 and "DOES NOT MATCH" in out
    code, out, _ = run_cli(*base, "--document", str(right))
    assert code == 0 and "Document file" in out and "matches" in out
    code, _, err = run_cli(*base, "--document", str(tmp_path / "missing.pdf"))
    assert code == 2 and len(err.strip().splitlines()) == 1
