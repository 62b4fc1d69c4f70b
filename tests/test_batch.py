"""Issue 15, part 3: Verifier.verify_many, the library's batch of images.

Input order kept whatever the input kind, one ``error`` row per input that
cannot be read (``input_error``) or meets a bug (``internal``), a progress
callback, no pool for a handful of inputs, and a Verifier (with its trust
store and a FixedClock) that can be pickled. The command line's use of it is
tested in test_robust.py and test_cli.py.
"""

from __future__ import annotations

import io
import pickle
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import scanverify
import scanverify._batch as _batch
from scanverify import Cause, FixedClock, Status, TrustStore, Verifier
from scanverify.errors import UsageError

SAMPLES = Path(__file__).resolve().parents[1] / "sample_images"
AT = datetime(2026, 11, 26, 12, tzinfo=UTC)


def verifier() -> Verifier:
    return Verifier(trust=TrustStore.default(), clock=FixedClock(AT))


def mixed_inputs(tmp_path: Path) -> tuple[list[Any], list[str], list[str]]:
    """Inputs of every kind, with the source name and status each must get."""
    genuine = SAMPLES / "genuine.jpg"
    photo = Image.open(genuine)
    photo.load()
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    inputs: list[Any] = [
        str(genuine),
        (SAMPLES / "altered.jpg").read_bytes(),
        photo,
        str(tmp_path / "missing.jpg"),
        np.asarray(Image.open(SAMPLES / "untrusted.jpg").convert("L")),
        broken,
        str(SAMPLES / "no-code.jpg"),
    ]
    names = [
        str(genuine),
        "<bytes>",
        f"<{type(photo).__name__}>",
        str(tmp_path / "missing.jpg"),
        "<ndarray>",
        str(broken),
        str(SAMPLES / "no-code.jpg"),
    ]
    statuses = ["genuine", "forged", "genuine", "error", "untrusted", "error", "no_code"]
    return inputs, names, statuses


@pytest.mark.parametrize("workers", [1, 2])
def test_every_input_in_order_with_its_verdicts(tmp_path: Path, workers: int) -> None:
    inputs, names, statuses = mixed_inputs(tmp_path)
    seen: list[tuple[int, int]] = []
    out = list(verifier().verify_many(inputs, workers=workers, progress=lambda d, t: seen.append((d, t))))
    assert [name for name, _ in out] == names
    assert [results[0].status.value for _, results in out] == statuses
    assert all(len(results) == 1 for _, results in out)
    assert seen == [(i, len(inputs)) for i in range(1, len(inputs) + 1)]
    errors = [results[0] for _, results in out if results[0].status is Status.ERROR]
    assert all(e.cause is Cause.INPUT_ERROR and e.reason and e.checked_at == AT for e in errors)
    # The reason does not repeat the source: the row names it.
    assert "no such file" in errors[0].reason and not errors[0].reason.startswith(names[3])


def test_same_verdicts_as_verify_image(tmp_path: Path) -> None:
    inputs, _, _ = mixed_inputs(tmp_path)
    check = verifier()
    many = dict(check.verify_many(inputs[:3], sources=["a", "b", "c"]))
    for name, image in zip(["a", "b", "c"], inputs[:3], strict=True):
        single = check.verify_image(image, source=name)
        assert [(r.status, r.reason, r.payload) for r in many[name]] == [
            (r.status, r.reason, r.payload) for r in single
        ]


def test_a_handful_of_inputs_starts_no_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a pool was started")

    monkeypatch.setattr(_batch, "pooled", no_pool)
    images = [str(SAMPLES / "genuine.jpg")] * _batch.MANY
    assert len(list(verifier().verify_many(images))) == _batch.MANY
    images.append(str(SAMPLES / "genuine.jpg"))
    assert len(list(verifier().verify_many(images, workers=1))) == _batch.MANY + 1
    with pytest.raises(AssertionError, match="a pool"):
        list(verifier().verify_many(images, workers=2))


def test_a_bug_on_one_input_is_an_internal_error_row(monkeypatch: pytest.MonkeyPatch) -> None:
    import scanverify.decode

    real = scanverify.decode.decode_image

    def buggy(source: Any, **kwargs: Any) -> Any:
        if isinstance(source, bytes):
            raise RuntimeError("a bug in scanverify")
        return real(source, **kwargs)

    monkeypatch.setattr(scanverify.decode, "decode_image", buggy)
    genuine = str(SAMPLES / "genuine.jpg")
    out = list(verifier().verify_many([genuine, b"anything", genuine]))
    assert [results[0].status.value for _, results in out] == ["genuine", "error", "genuine"]
    bug = out[1][1][0]
    assert bug.cause is Cause.INTERNAL and "internal error" in bug.reason and "RuntimeError" in bug.reason


def test_a_bug_while_verifying_is_an_internal_error_row(monkeypatch: pytest.MonkeyPatch) -> None:
    check = verifier()

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyError("oops")

    monkeypatch.setattr(check, "verify_codes", broken)
    [(_, [row])] = list(check.verify_many([str(SAMPLES / "genuine.jpg")]))
    assert row.status is Status.ERROR and row.cause is Cause.INTERNAL


def test_bad_arguments_are_usage_errors() -> None:
    check = verifier()
    with pytest.raises(UsageError, match="source names"):
        list(check.verify_many([b"x", b"y"], sources=["only one"]))
    for workers in (0, -1, True, 1.5):
        with pytest.raises(UsageError, match="workers"):
            list(check.verify_many([b"x"], workers=workers))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="clock"):
        list(Verifier(clock=lambda: datetime(2026, 1, 1)).verify_many([b"x"]))  # a naive time
    assert list(check.verify_many([])) == []


def test_a_verifier_pickles_with_its_keys_and_clock() -> None:
    check = verifier()
    copy = pickle.loads(pickle.dumps(check))
    assert copy.clock() == AT
    assert [k.spki for k in copy.trust] == [k.spki for k in check.trust]
    assert [type(k.public_key) for k in copy.trust] == [type(k.public_key) for k in check.trust]
    data = (SAMPLES / "genuine.jpg").read_bytes()
    assert copy.verify_image(data)[0].status is Status.GENUINE
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(Verifier(trust=TrustStore(), clock=lambda: AT))  # why FixedClock exists


def test_verify_image_at_uses_a_fixed_clock() -> None:
    [result] = scanverify.verify_image(str(SAMPLES / "expired-visa.jpg"), at=AT)
    assert result.checked_at == AT
    [earlier] = scanverify.verify_image(str(SAMPLES / "expired-visa.jpg"), at=datetime(2025, 1, 1, tzinfo=UTC))
    assert earlier.checked_at == datetime(2025, 1, 1, tzinfo=UTC)


def test_inputs_may_be_any_iterable() -> None:
    data = io.BytesIO()
    Image.new("L", (64, 64), 255).save(data, format="PNG")
    out = list(verifier().verify_many(iter([data.getvalue()] * 2)))
    assert [results[0].status for _, results in out] == [Status.NO_CODE, Status.NO_CODE]
