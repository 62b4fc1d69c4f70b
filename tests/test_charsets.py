"""Issue 15, part 5: a code that is not a seal is shown in its own character set.

A Shift-JIS QR code (made here with segno) is shown as its Japanese text, in
the human view and in JSON ``payload``, with the exact bytes in
``payload_base64``; binary content is never shown as guessed text; redaction
drops the text reading too; and a seal is still judged on its exact bytes,
whatever text the decoder read.
"""

from __future__ import annotations

import base64
import io
import os
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from specseal import Issuer, make_seal
from support import Cli

from scanverify import Status, TrustStore, Verifier
from scanverify.decode import DecodedCode, decode_image

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
#: Full-width letters and digits, an ideographic space: Japanese text as it is typed.
JAPANESE = "在留カード番号：ＡＢ１２３４５６７８ＣＤ　東京都"  # noqa: RUF001


def qr_png(data: str | bytes, **options: Any) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(data, error="m", micro=False, **options).save(out, kind="png", scale=6, border=4)
    return out.getvalue()


def verifier() -> Verifier:
    return Verifier(trust=TrustStore(), clock=lambda: NOW)


def test_a_shift_jis_code_keeps_its_exact_bytes_and_gives_its_text() -> None:
    [code] = decode_image(qr_png(JAPANESE, encoding="shift_jis"), effort="fast")
    assert code.payload == JAPANESE.encode("shift_jis")
    assert code.text is None  # not UTF-8
    assert code.text_hint == JAPANESE


def test_a_shift_jis_code_is_shown_as_japanese_with_its_bytes_beside() -> None:
    [result] = verifier().verify_image(qr_png(JAPANESE, encoding="shift_jis"))
    assert result.status is Status.NOT_A_SEAL
    assert result.payload == JAPANESE
    out = result.to_json()
    assert out["payload"] == JAPANESE
    assert base64.b64decode(out["payload_base64"]) == JAPANESE.encode("shift_jis")


def test_utf8_and_binary_codes(tmp_path: Any) -> None:
    [utf8] = verifier().verify_image(qr_png("héllo 日本", encoding="utf-8"))
    assert utf8.payload == "héllo 日本" and "payload_base64" not in utf8.to_json()
    assert utf8.code is not None and utf8.code.text_hint is None
    data = bytes(range(256))[::7] + os.urandom(8)
    [binary] = verifier().verify_image(qr_png(data))
    # Binary content is never shown as some character set's guess at it.
    assert binary.payload is None and binary.code is not None and binary.code.text_hint is None
    assert base64.b64decode(binary.to_json()["payload_base64"]) == data


def test_redaction_drops_the_text_reading_too() -> None:
    [result] = verifier().verify_image(qr_png(JAPANESE, encoding="shift_jis"))
    public = result.redacted()
    assert public.payload is None and public.code is not None and public.code.text_hint is None
    out = public.to_json()
    assert out["payload"] is None and "payload_base64" not in out
    assert JAPANESE not in repr(public)


def test_a_seal_is_judged_on_its_exact_bytes_never_on_the_text_reading() -> None:
    issuer = Issuer()
    genuine = make_seal(issuer, iat=int(NOW.timestamp())).text()
    altered = genuine[:-6] + ("A" if genuine[-6] != "A" else "B") + genuine[-5:]
    trust = TrustStore.from_bundle(issuer.bundle(), "test")
    check = Verifier(trust=trust, clock=lambda: NOW)
    code = DecodedCode(altered.encode(), "QRCode", ((0, 0), (1, 0), (1, 1), (0, 1)), "zxing-cpp", text_hint=genuine)
    [result] = check.verify_codes([code], source="x")
    assert result.status is not Status.GENUINE
    # And the other way round: exact bytes that are a genuine seal stay genuine whatever the hint.
    [result] = check.verify_codes([replace(code, payload=genuine.encode(), text_hint=altered)], source="x")
    assert result.status is Status.GENUINE and result.payload == genuine


def test_the_command_line_shows_the_japanese_text(run_cli: Cli, tmp_path: Any) -> None:
    path = tmp_path / "sjis.png"
    path.write_bytes(qr_png(JAPANESE, encoding="shift_jis"))
    code, out, _ = run_cli(str(path))
    assert code == 3 and "".join(JAPANESE.split()) in "".join(out.split())  # a panel may wrap the text
    code, out, _ = run_cli("--json", str(path))
    assert code == 3 and f'"payload": "{JAPANESE}"' in out


def test_a_shift_jis_code_from_zxing_without_numpy_is_the_same(tmp_path: Any) -> None:
    # The same code as an array (no PIL fast path): the same bytes and text.
    import numpy as np

    gray = np.asarray(Image.open(io.BytesIO(qr_png(JAPANESE, encoding="shift_jis"))).convert("L"))
    [code] = decode_image(gray, effort="fast")
    assert (code.payload, code.text_hint) == (JAPANESE.encode("shift_jis"), JAPANESE)
