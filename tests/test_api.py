"""The public surface: small, typed, frozen, and light to import."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

import scanverify


def test_all_names_exist() -> None:
    for name in scanverify.__all__:
        assert hasattr(scanverify, name), name
    assert callable(scanverify.live)


def test_results_are_frozen() -> None:
    result = scanverify.verify_payload("https://example.org", trust=scanverify.TrustStore())
    assert result.status is scanverify.Status.NOT_A_SEAL
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = scanverify.Status.GENUINE  # type: ignore[misc]


def test_one_error_base() -> None:
    for error in (scanverify.ImageError, scanverify.TrustError, scanverify.UsageError, scanverify.SealError):
        assert issubclass(error, scanverify.ScanverifyError)


def test_status_values_are_the_spec_words() -> None:
    assert {s.value for s in scanverify.Status if s.is_seal_verdict} == {
        "genuine",
        "forged",
        "untrusted",
        "revoked",
        "not_yet_valid",
        "expired",
        "malformed",
    }


def test_import_stays_light() -> None:
    code = "import sys, scanverify; print(sorted(m for m in ('cv2', 'zxingcpp', 'rich', 'PIL', 'numpy', 'pyzbar') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
