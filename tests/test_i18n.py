"""Chinese and English: the catalogue, the language choice, every view in Chinese, JSON unchanged."""

from __future__ import annotations

import ast
import gettext
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from specseal import Issuer, make_seal
from support import Cli

from scanverify import Status, TrustStore, Verifier
from scanverify.i18n import (
    LOCALE_DIR,
    catalogue,
    language,
    language_from_accept,
    language_from_environment,
    local_times_in,
    using,
)
from scanverify.i18n import (
    gettext as translate,
)
from scanverify.model import Cause

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"
PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "scanverify.po"
MO = PO.with_suffix(".mo")
SRC = ROOT / "src" / "scanverify"
AT = "2026-11-21T00:00:00Z"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


# ---------------------------------------------------------------- the catalogue
def read_po(path: Path) -> list[dict[str, Any]]:
    """The entries of a .po file: msgid, msgid_plural, msgstr (list), flags. Enough of the format
    for the catalogues Babel writes (no Babel needed: it is a dev tool)."""
    entries: list[dict[str, Any]] = []
    entry: dict[str, Any] = {}
    field: str | int = ""  # the field a continuation line adds to (an int: that msgstr)
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if "msgid" in entry:
                entries.append(entry)
            entry = {}
        elif line.startswith("#,"):
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if isinstance(field, int):
                entry["msgstr"][field] += ast.literal_eval(line)
            else:
                entry[field] += ast.literal_eval(line)
        else:
            key, _, rest = line.partition(" ")
            if key.startswith("msgstr"):
                entry.setdefault("msgstr", []).append(ast.literal_eval(rest))
                field = len(entry["msgstr"]) - 1
            else:
                entry[key] = ast.literal_eval(rest)
                field = key
    return [e for e in entries if e["msgid"]]


@pytest.fixture(scope="module")
def po() -> list[dict[str, Any]]:
    return read_po(PO)


def test_po_has_no_fuzzy_or_untranslated_entry(po: list[dict[str, Any]]) -> None:
    assert len(po) > 500
    fuzzy = [e["msgid"] for e in po if "fuzzy" in e.get("flags", set())]
    empty = [e["msgid"] for e in po if not all(e["msgstr"])]
    assert not fuzzy, fuzzy[:5]
    assert not empty, empty[:5]


def test_mo_is_the_compiled_po(po: list[dict[str, Any]]) -> None:
    """The .mo shipped is the .po a translator edits, compiled: `pybabel compile` was run."""
    with MO.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    for entry in po:
        if "msgid_plural" in entry:
            assert compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1) == entry["msgstr"][0], entry["msgid"]
        else:
            assert compiled.gettext(entry["msgid"]) == entry["msgstr"][0], entry["msgid"]


def test_translations_keep_every_placeholder(po: list[dict[str, Any]]) -> None:
    for entry in po:
        wanted = set(re.findall(r"\{\w*[^{}]*\}|%\(\w+\)s", entry.get("msgid_plural", entry["msgid"])))
        for text in entry["msgstr"]:
            assert set(re.findall(r"\{\w*[^{}]*\}|%\(\w+\)s", text)) == wanted, (entry["msgid"], text)


def _marked_strings() -> set[str]:
    """Every string the package passes to _(), gettext(), ngettext() or N_()."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
            if isinstance(node, ast.Call) and called in ("_", "gettext", "N_", "ngettext"):
                found |= {a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return found


def test_every_word_shown_is_in_the_catalogue(po: list[dict[str, Any]]) -> None:
    """What the code marks, every format's fact labels and every help text: each has a
    translation (a new English string without one fails here, not at the counter)."""
    from scanverify._i18n_extract import command_texts
    from scanverify.cli import main
    from scanverify.cli_common import prepare_cli
    from scanverify.formats import formats

    ids = {e["msgid"] for e in po} | {e["msgid_plural"] for e in po if "msgid_plural" in e}
    marked = _marked_strings()
    assert "the seal expired at {end}" in marked and "GENUINE" in marked
    # The issuing, trust-list and registry commands, and the errors the library builds itself.
    for module_word in (
        "trust in use: {sources} (version {version})",  # cli_trust
        "registry ready: {url}",  # cli_registry
        "--tls-cert and --tls-key go together",  # cli_serve
        "issuing state {iss} must be upper case: {upper}",  # issuer
        "audit log {path}: no such file",  # audit
        "document {path}: no such file",  # document
        "{source}: version {version} is not newer than the trust list in use ({floor}): refused as a rollback",  # trustlist
        "{url}: no registry there (make one with 'scanverify registry init')",  # registry.store
        "a rate limit allows at least one lookup a minute",  # registry.lookup
        "is a FIFO (named pipe), not a regular file",  # _files
        "the line is not valid JSON (changed by hand, or not written by scanverify)",  # audit.verify_log
        "Passphrase",  # cli
    ):
        assert module_word in marked, module_word
    assert marked - ids == set()
    labels = {label for fmt in formats() for label in fmt.fact_labels}
    assert len(labels) > 400
    assert labels - ids == set()
    prepare_cli(main)
    help_texts = {text for _where, text in command_texts(main)}
    assert help_texts - ids == set()


def test_every_cause_has_a_translated_sentence() -> None:
    from scanverify.reasons import CAUSE_SENTENCES, cause_text

    assert set(CAUSE_SENTENCES) == set(Cause)
    for cause in Cause:
        with using("en"):
            english = cause_text(cause)
        with using("zh"):
            chinese = cause_text(cause)
        assert english and chinese != english and re.search(r"[\u4e00-\u9fff]", chinese), cause


# ---------------------------------------------------------------- choosing the language
@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),  # LC_ALL first
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "zh_CN:en"}, "zh"),  # LANGUAGE before the locale
        ({"LANG": "de_DE.UTF-8", "LANGUAGE": "fr:zh_TW"}, "zh"),  # the first language we speak
        ({"LANG": "C.UTF-8", "LANGUAGE": "zh_CN"}, "en"),  # gettext ignores LANGUAGE in the C locale
        ({"LANG": "fr_FR.UTF-8"}, "en"),
    ],
)
def test_language_from_the_locale_in_gettexts_order(environ: dict[str, str], expected: str) -> None:
    assert language_from_environment(environ) == expected


def test_language_from_accept_language() -> None:
    assert language_from_accept("fr-FR,zh-CN;q=0.8,en;q=0.5") == "zh"
    assert language_from_accept("en-GB,zh;q=0.9") == "en"
    assert language_from_accept("zh;q=0, en;q=0.1") == "en"
    assert language_from_accept("fr, de") is None
    assert language_from_accept(None) is None


def test_local_times_carry_the_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert local_times_in("at 2026-11-20 09:30 UTC.") == "at 2026-11-20 17:30 CST (UTC+08:00)."
        assert local_times_in("2025-09-01 00:00:00 UTC") == "2025-09-01 08:00:00 CST (UTC+08:00)"
        assert local_times_in("2021-06-01") == "2021-06-01"  # a date is not a time
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


# ---------------------------------------------------------------- the command line
def scanverify(
    *args: str, lang_env: str | None = "zh_CN.UTF-8", tz: str = "Asia/Shanghai", cwd: Path | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(COLUMNS="400", TZ=tz, **extra)
    if lang_env is not None:
        env["LANG"] = lang_env
    return subprocess.run(
        [sys.executable, "-m", "scanverify", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def english_msgids(po: list[dict[str, Any]]) -> list[str]:
    """The catalogue's English words worth looking for in output (not bare punctuation or click's
    format strings)."""
    return [e["msgid"] for e in po if re.search(r"[A-Za-z]{3}", e["msgid"]) and "%(" not in e["msgid"]]


def test_genuine_sample_reads_fully_in_chinese(po: list[dict[str, Any]]) -> None:
    done = scanverify(str(SAMPLES / "genuine.jpg"), "--at", AT)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "✔ 真实有效 — 样本" in out and "持有人" in out and "原因" in out
    assert "王小明 WANG Xiaoming" in out  # the record's own text, as it is
    assert "2026-11-20 17:30 CST (UTC+08:00)" in out  # sealed at 09:30 UTC, shown in local time
    # Take away what the seal and the trust bundle say themselves (their own text): no
    # English word of scanverify's may be left.
    result = Verifier().verify_image(SAMPLES / "genuine.jpg")[0]
    rest = out.replace(str(SAMPLES / "genuine.jpg"), "")
    assert result.key is not None
    for own in sorted([*(f.value for f in result.facts), result.key.name, "CS1"], key=len, reverse=True):
        rest = rest.replace(own, "")
    for msgid in english_msgids(po):
        assert not re.search(rf"(?<![A-Za-z]){re.escape(msgid)}(?![A-Za-z])", rest), msgid
    assert set(re.findall(r"[A-Za-z]{3,}", rest)) <= {"SHA", "UTC", "CST"}, rest


def test_lang_en_overrides_the_locale() -> None:
    done = scanverify("--lang", "en", str(SAMPLES / "genuine.jpg"), "--at", AT)
    assert "✔ GENUINE — SPECIMEN" in done.stdout and "Holder" in done.stdout
    assert not re.search(r"[\u4e00-\u9fff]{2,}", done.stdout.replace("王小明", "").replace("出生公证书", ""))
    zh = scanverify("--lang=zh", str(SAMPLES / "genuine.jpg"), "--at", AT, lang_env="en_US.UTF-8")
    assert "✔ 真实有效 — 样本" in zh.stdout


def test_json_is_the_same_in_every_language() -> None:
    images = [str(SAMPLES / n) for n in ("genuine.jpg", "expired-visa.jpg", "untrusted.jpg", "no-code.jpg")]
    runs = [
        scanverify("--json", *images, "--at", AT),
        scanverify("--json", "--lang", "en", *images, "--at", AT),
        scanverify("--json", *images, "--at", AT, lang_env="C.UTF-8", tz="UTC"),
    ]
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
    rows = [json.loads(line) for line in runs[0].stdout.splitlines()]
    assert [r["status"] for r in rows] == ["genuine", "expired", "untrusted", "no_code"]
    assert rows[1]["reason"] == "the seal expired at 2025-09-01 00:00:00 UTC"  # English, UTC
    assert rows[0]["checked_at"].endswith("Z")


def test_help_in_chinese() -> None:
    done = scanverify("--help")
    assert done.returncode == 0
    assert "用法：" in done.stdout and "离线核验领事文书上的签名印章" in done.stdout and "显示此帮助并退出" in done.stdout
    assert "Show this message" not in done.stdout and "Usage:" not in done.stdout
    verify = scanverify("verify", "--help")
    assert "另外信任 FILE 中的密钥" in verify.stdout and "Also trust" not in verify.stdout
    assert "默认：normal" in verify.stdout  # click's own words too
    assert "--lang [zh|en]" in verify.stdout


def test_errors_in_chinese() -> None:
    done = scanverify("--at", "yesterday", "x.jpg")
    assert done.returncode == 2
    assert "不是 ISO-8601 时间" in done.stderr and "的值无效" in done.stderr
    missing = scanverify(str(SAMPLES / "missing.jpg"))
    assert missing.returncode == 2 and "scanverify：错误：" in missing.stderr
    # The input's own error, said in full (not only "the input could not be read").
    assert "missing.jpg: 文件不存在" in missing.stderr and "no such file" not in missing.stderr


def test_trust_show_and_keygen_refusal_in_chinese(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    shown = scanverify("trust", "show", SCANVERIFY_HOME=home)
    assert shown.returncode == 0, shown.stderr
    assert "正在使用的信任：" in shown.stdout and "根：版本" in shown.stdout and "已撤销印章：" in shown.stdout
    assert "内置信任包" in shown.stdout and "built-in" not in shown.stdout
    for english in ("trust in use", "root: version", "revoked seals", "expires:", "installed:"):
        assert english not in shown.stdout, english
    english = scanverify("trust", "show", lang_env="C.UTF-8", SCANVERIFY_HOME=home)
    assert "trust in use: " in english.stdout and "正在" not in english.stdout
    # A refusal built in the library (issuer.check_iss), said in the language of the locale.
    refused = scanverify("keygen", "--iss", "cn", "-o", str(tmp_path / "k"), cwd=tmp_path)
    assert refused.returncode == 2
    assert "签发国 'cn' 必须大写：CN" in refused.stderr and "upper case" not in refused.stderr
    assert not list(tmp_path.glob("k.*"))  # refused before anything is written
    exists = scanverify("keygen", "--iss", "CN", "-o", str(tmp_path / "k"), cwd=tmp_path)
    assert exists.returncode == 0, exists.stderr
    again = scanverify("keygen", "-o", str(tmp_path / "k"), cwd=tmp_path)
    assert again.returncode == 2 and "已存在；请另选名称" in again.stderr


def test_trust_update_refusals_in_chinese(tmp_path: Path) -> None:
    """A rollback and a bad signature, refused by trustlist.install, said in Chinese; the
    success line too."""
    from scanverify.issuer import generate_key
    from scanverify.trustlist import BUNDLE_TYPE, built_in_version, root_document, sign_document

    key, stranger = generate_key("EdDSA"), generate_key("EdDSA")
    root = tmp_path / "root.json"
    root.write_bytes(root_document([key.public_key()], version=1))
    bundle = Issuer().bundle()
    bundle["version"] = built_in_version() + 1
    bundle["expires"] = "2099-01-01T00:00:00+00:00"
    payload = json.dumps(bundle).encode()
    good, forged = tmp_path / "good.json", tmp_path / "forged.json"
    good.write_bytes(sign_document(payload, BUNDLE_TYPE, [key]))
    forged.write_bytes(sign_document(payload, BUNDLE_TYPE, [stranger]))
    home = str(tmp_path / "home")

    refused = scanverify("trust", "update", "--root", str(root), str(forged), SCANVERIFY_HOME=home)
    assert refused.returncode == 4, refused.stderr
    assert "未经信任根签名（所需 1 个签名中有效的只有 0 个）" in refused.stderr
    assert "not signed" not in refused.stderr
    installed = scanverify("trust", "update", "--root", str(root), str(good), SCANVERIFY_HOME=home)
    assert installed.returncode == 0, installed.stderr
    assert f"已安装信任列表版本 {bundle['version']}" in installed.stdout + installed.stderr
    again = scanverify("trust", "update", "--root", str(root), str(good), SCANVERIFY_HOME=home)
    assert again.returncode == 4
    assert "作为回滚被拒绝" in again.stderr and "rollback" not in again.stderr
    english = scanverify("trust", "update", "--root", str(root), str(good), lang_env="C.UTF-8", SCANVERIFY_HOME=home)
    assert "refused as a rollback" in english.stderr


def test_fallback_warning_stays_english_in_json_and_reads_in_chinese(tmp_path: Path) -> None:
    """active_store's warnings go on the store and so into verdicts' JSON: English there,
    whatever the language; a person reads them through their template."""
    from scanverify.reasons import warning_text
    from scanverify.trustlist import STATE_FILE, active_store

    home = tmp_path / "home"
    home.mkdir()
    (home / STATE_FILE).write_text("not json")
    with using("zh"):
        _store, warnings = active_store(home=home)
        shown = [warning_text(w) for w in warnings]
    assert warnings and all(w.isascii() for w in warnings)
    assert shown[0].startswith("已安装信任列表旁的记录无法使用")
    assert "不信任任何内置密钥" in shown[-1] and "trust-bundle.signed.json" in shown[-1]


def test_registry_errors_in_chinese(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy", reason="the 'registry' extra is not installed")
    url = f"sqlite:///{tmp_path / 'missing.sqlite3'}"
    missing = scanverify("registry", "stats", "--registry", url)
    assert missing.returncode == 2, missing.stderr
    assert "那里没有登记册" in missing.stderr and "no registry there" not in missing.stderr
    bad = scanverify("registry", "stats", "--registry", "mysql://h/db")
    assert bad.returncode == 2 and "登记册须为 SQLite 或 PostgreSQL" in bad.stderr


def test_special_files_refused_in_chinese(tmp_path: Path) -> None:
    """The refusal of a FIFO is said in the reader's language; a directory is still left to
    the directory walk (the check compares a constant, not the words shown)."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    from scanverify._files import IS_DIRECTORY, special_file_problem

    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with using("zh"):
        assert special_file_problem(tmp_path) == IS_DIRECTORY  # English: compared, never shown as is
    done = scanverify(str(fifo))
    assert done.returncode == 2 and "是 FIFO（命名管道），不是普通文件" in done.stderr
    (tmp_path / "folder").mkdir()
    folder = scanverify(str(tmp_path / "folder"))
    assert "是目录，不是普通文件" not in folder.stderr and "scanverify：错误：" not in folder.stderr


def test_audit_verify_problem_in_chinese(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text("{not json\n")
    done = scanverify("audit", "verify", str(log))
    assert done.returncode == 1
    assert "审计日志在第 1 行断裂：该行不是有效的 JSON" in done.stdout and "valid JSON" not in done.stdout


def test_library_errors_follow_the_language(tmp_path: Path) -> None:
    """The errors issuer, audit and document build are made in the language in use: English
    unless something asks for Chinese."""
    from scanverify.document import document_hash
    from scanverify.errors import UsageError
    from scanverify.issuer import check_iss

    missing = tmp_path / "missing.pdf"
    for lang, iss_words, doc_words in (("en", "must be upper case: FR", "no such file"), ("zh", "必须大写：FR", "文件不存在")):
        with using(lang):
            with pytest.raises(UsageError) as iss_error:
                check_iss("fr")
            with pytest.raises(UsageError) as doc_error:
                document_hash(missing)
        assert iss_words in str(iss_error.value)
        assert doc_words in str(doc_error.value) and str(missing) in str(doc_error.value)


def test_in_process_runs_follow_lang_and_restore(run_cli: Cli) -> None:
    code, out, _ = run_cli("--lang", "zh", "--help")
    assert code == 0 and "用法" in out
    code, out, _ = run_cli("--lang", "en", "--help")
    assert code == 0 and "Usage:" in out and "用法" not in out and "Verify the signed seal" in out


# ---------------------------------------------------------------- every reason a clerk sees
def verdicts(issuer: Issuer) -> dict[Cause, Any]:
    """A result for each cause the verifier's own rules give, on throw-away keys."""
    t = int(NOW.timestamp())
    day = 86400

    def verify(text: str, **terms: Any) -> Any:
        trust = TrustStore.from_bundle(issuer.bundle(**terms), "t")
        return Verifier(trust=trust, clock=lambda: NOW).verify_payload(text)

    iso = lambda s: datetime.fromtimestamp(s, UTC).isoformat().replace("+00:00", "Z")  # noqa: E731
    good = make_seal(issuer, iat=t - day).text()
    forged = make_seal(issuer, iat=t - day, signature=b"\x00" * 64).text()
    return {
        Cause.NONE: verify(good),
        Cause.SIGNATURE: verify(forged),
        Cause.UNKNOWN_KEY: Verifier(trust=TrustStore.from_bundle(Issuer().bundle(), "t"), clock=lambda: NOW).verify_payload(good),
        Cause.WRONG_STATE: verify(good, iss="FR"),
        Cause.REVOKED_KEY: verify(good, status="revoked"),
        Cause.SIGNED_IN_FUTURE: verify(make_seal(issuer, iat=t + 10 * day).text()),
        Cause.KEY_NOT_YET_VALID: verify(good, not_before=iso(t)),
        Cause.SEAL_EXPIRED: verify(make_seal(issuer, iat=t - 9 * day, exp=t - 2 * day).text()),
        Cause.KEY_EXPIRED: verify(good, not_after=iso(t - 2 * day)),
        Cause.PARSE: verify("CS1:NOT-BASE45!!"),
        Cause.NOT_A_SEAL: verify("https://example.org/"),
    }


def test_every_reason_the_verifier_gives_is_a_template(issuer: Issuer) -> None:
    """Each reason the verifier composes matches its template, so it is said in full in Chinese,
    with its values; a reworded English reason fails here instead of falling back."""
    from scanverify.reasons import match, reason_text

    for cause, result in verdicts(issuer).items():
        assert result.cause is cause, (cause, result.reason)
        assert match(result.reason) is not None, result.reason
        with using("zh"):
            chinese = reason_text(result)
        assert re.search(r"[\u4e00-\u9fff]{4}", chinese), chinese
        # No English word of ours left: what remains is values (times, kids, names, format names).
        words = set(re.findall(r"(?<!\w)[A-Za-z]{4,}(?!\w)", chinese)) - {"Test", "Issuer", "SPECIMEN"}
        assert not words, (cause, chinese)


def test_a_reason_without_a_template_is_the_cause_sentence_and_the_values() -> None:
    from scanverify.model import VerificationResult
    from scanverify.reasons import reason_text

    odd = VerificationResult(
        Status.UNTRUSTED, "the VDS-NC signer 'XYZ 12' is bound to AUS by its CSCA", "<text>", NOW, cause=Cause.WRONG_STATE
    )
    with using("zh"):
        said = reason_text(odd)
        sentence = translate("the signer's key is trusted for another issuing state or issuer than the seal names")
    assert said.startswith(sentence)
    assert "签名者的密钥只受信任用于其他签发国或签发机构" in said
    assert "'XYZ 12'" in said and "AUS" in said and "CSCA" in said
    assert "bound" not in said
    with using("en"):
        assert reason_text(odd) == odd.reason


def test_stale_trust_warning_in_chinese() -> None:
    from scanverify.reasons import warning_text

    with using("zh"):
        said = warning_text("the trust list is out of date (expired 2026-01-01 00:00:00 UTC); update it")
    assert said.startswith("信任列表已过期") and "2026-01-01" in said


# ---------------------------------------------------------------- an input that cannot be read
def png_header(width: int, height: int) -> bytes:
    """A PNG that says it is width x height: the size is refused from the header, before any pixel."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


#: Each kind of input that cannot be read: (file name, the English sentence after "NAME: " (its
#: start, where an exception's text follows), Chinese words of its translation).
BAD_INPUTS = {
    "missing": ("missing-photo.jpg", "no such file", "文件不存在"),
    "truncated": ("cut-photo.jpg", "the image data is corrupt or truncated (", "图片数据已损坏或被截断"),
    "not an image": ("notes-photo.jpg", "not an image file (cannot identify the image format)", "不是图片文件"),
    "directory": ("folder-photo.jpg", "is a directory, not a regular file; refused", "是目录，不是普通文件；已拒绝"),
    "over the limit": ("huge-photo.png", "image is 12000x12000 pixels, above the limit of 120 megapixels", "超过 120 百万像素的上限"),
}


@pytest.fixture
def bad_inputs(tmp_path: Path) -> dict[str, Path]:
    paths = {kind: tmp_path / name for kind, (name, _, _) in BAD_INPUTS.items()}
    paths["truncated"].write_bytes((SAMPLES / "genuine.jpg").read_bytes()[:3000])
    paths["not an image"].write_text("a shopping list, not a photo\n", encoding="utf-8")
    paths["directory"].mkdir()
    paths["over the limit"].write_bytes(png_header(12_000, 12_000))
    return paths


def test_an_input_error_reads_in_chinese_and_stays_english_in_the_reason(bad_inputs: dict[str, Path]) -> None:
    """Missing, truncated, not an image, a directory, too large: the error row's reason is the
    English it always was (JSON, callers), and a person reads the whole sentence in Chinese
    (not only "the input could not be read"), the file name kept as it is."""
    from scanverify.errors import ImageError
    from scanverify.reasons import input_error_text, reason_text

    verifier = Verifier(trust=TrustStore.from_bundle(Issuer().bundle(), "t"), clock=lambda: NOW)
    for kind, path in bad_inputs.items():
        _, english, chinese = BAD_INPUTS[kind]
        with using("zh"):  # the language in use never changes the English
            [(_, [row])] = verifier.verify_many([path], workers=1)
            with pytest.raises(ImageError) as raised:
                verifier.verify_image(path)
        assert row.status is Status.ERROR and row.cause is Cause.INPUT_ERROR, (kind, row)
        assert row.reason.startswith(english), (kind, row.reason)  # the row names its source already
        assert str(raised.value).startswith(f"{path}: {english}"), (kind, str(raised.value))
        with using("zh"):
            said = reason_text(row)
            whole = input_error_text(str(raised.value))
        assert chinese in said, (kind, said)
        assert whole is not None and whole.startswith(f"{path}：") and chinese in whole, (kind, whole)
        # No English word of ours left: what remains is values (sizes, numbers).
        assert not re.findall(r"(?<!\w)[A-Za-z]{4,}(?!\w)", whole.replace(str(path), "")), (kind, whole)
        with using("en"):
            assert reason_text(row) == row.reason and input_error_text(str(raised.value)) == str(raised.value)


def test_input_errors_on_the_command_line(bad_inputs: dict[str, Path]) -> None:
    files = [str(bad_inputs[kind]) for kind in ("missing", "truncated", "not an image", "over the limit")]
    zh = scanverify("--lang", "zh", "--at", AT, *files)
    assert zh.returncode == 2
    shown = zh.stdout + zh.stderr
    for kind in ("missing", "truncated", "not an image", "over the limit"):
        name, english, chinese = BAD_INPUTS[kind]
        assert chinese in shown and name in shown, (kind, shown)
        assert english.rstrip(" (") not in shown, (kind, shown)
    # JSON stays English and the same in every language.
    runs = [scanverify("--json", "--lang", lang, "--at", AT, *files) for lang in ("zh", "en")]
    assert runs[0].stdout == runs[1].stdout != ""
    reasons = [json.loads(line)["reason"] for line in runs[0].stdout.splitlines()]
    for reason, kind in zip(reasons, ("missing", "truncated", "not an image", "over the limit"), strict=True):
        assert reason.startswith(BAD_INPUTS[kind][1]), (kind, reason)
    en = scanverify("--lang", "en", "--at", AT, *files)
    assert "no such file" in en.stdout + en.stderr and not re.search(r"[\u4e00-\u9fff]", en.stdout + en.stderr)


def test_every_input_error_message_reads_in_chinese_with_its_values() -> None:
    """Each sentence an ImageError can say is found again in its English text, after any name
    (one with ": " in it too), and read in Chinese with its values."""
    from scanverify._files import PROBLEMS
    from scanverify._input_errors import MESSAGES, refused
    from scanverify.reasons import _pattern, input_error_text

    values = {
        "error": "decoder error 42",
        "problem": sorted(PROBLEMS)[0],
        "type": "dict",
        "size": "150",
        "limit": "120",
        "width": "4",
        "height": "3",
        "least": "8x8",
        "dtype": "<U1",
        "shape": "(0,)",
        "channels": "2",
        "number": "7",
        "count": "60,000",
        "most": "65,535",
    }
    for message in MESSAGES:
        slots = set(_pattern(message).groupindex)
        given = {slot: values[slot] for slot in slots}
        for name in ("scan.pdf", "odd: name.jpg", None):
            text = str(refused(name, message, **given))
            with using("zh"):
                said = input_error_text(text)
                # An exception's text is English: its values are kept, its words are not; a
                # file's problem is one of scanverify's own sentences, translated.
                kept = {**given, "error": "42", "problem": translate(values["problem"])}
            assert said is not None and re.search(r"[\u4e00-\u9fff]", said), (message, said)
            if name is not None:
                assert said.startswith(f"{name}："), (name, said)
            for slot in given:
                assert kept[slot] in said, (message, slot, said)
            assert "decoder" not in said


def test_a_file_name_that_holds_words_of_a_message_does_not_change_the_sentence() -> None:
    """The name is data from outside: one that ends with ": cannot open (" or spells a size
    must not be read as the sentence, nor swallow the real one as its value."""
    from scanverify._input_errors import CANNOT_READ, NOT_AN_IMAGE, TOO_LARGE, refused
    from scanverify.reasons import input_error_text

    for name, message, values in (
        ("x: cannot open (", NOT_AN_IMAGE, {}),
        ("scan: no such file", NOT_AN_IMAGE, {}),
        ("image is 1x: image is 1x", TOO_LARGE, {"width": 5, "height": 6, "limit": "40"}),
        ("a: b.png", CANNOT_READ, {"error": "decoder: error 42"}),  # ": " in a value too
    ):
        with using("zh"):
            said = input_error_text(str(refused(name, message, **values)))
            sentence = input_error_text(message.format(**values))
        assert sentence is not None and re.search(r"[\u4e00-\u9fff]", sentence), sentence
        assert said == f"{name}：{sentence}", (name, said)


def test_every_image_error_is_built_from_a_catalogued_message(po: list[dict[str, Any]]) -> None:
    """decode/_image.py and decode/_documents.py raise no ImageError of their own words: each is
    refused(name, say.MESSAGE, ...), one of _input_errors.MESSAGES, translated in the .po.
    A new English-only message fails here."""
    from scanverify import _input_errors
    from scanverify._input_errors import MESSAGES

    translated = {e["msgid"]: e["msgstr"][0] for e in po}
    for message in MESSAGES:
        assert translated.get(message) and translated[message] != message, message
    refusals = 0
    for module in ("_image.py", "_documents.py"):
        tree = ast.parse((SRC / "decode" / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            assert called != "ImageError", f"{module}:{node.lineno}: ImageError(...) of its own words; use refused()"
            if called == "refused":
                refusals += 1
                message = node.args[1]
                assert isinstance(message, ast.Attribute) and getattr(message.value, "id", None) == "say", (
                    f"{module}:{node.lineno}: refused() with a message not from _input_errors"
                )
                assert getattr(_input_errors, message.attr) in MESSAGES, f"{module}:{node.lineno}: {message.attr}"
    assert refusals >= 30  # the check saw the raise sites


# ---------------------------------------------------------------- the live views
def test_live_terminal_view_in_chinese(issuer: Issuer) -> None:
    from rich.console import Console

    from scanverify.live_view import TerminalView

    results = verdicts(issuer)
    console = Console(file=io.StringIO(), width=160, height=60, record=True, color_system=None)
    with using("zh"):
        view = TerminalView(console, None, "camera 0")
        console.print(view._render())
        idle = console.export_text()
        view.add(results[Cause.NONE])
        view.add(results[Cause.SEAL_EXPIRED])
        console.print(view._render())
        shown = console.export_text()
    assert "请将印章（二维码）对准摄像头" in idle
    assert "✘ 已过期" in shown and "✔ 真实有效" in shown and "结论" in shown and "原因" in shown
    assert "印章已于" in shown and "过期" in shown
    for english in ("GENUINE", "EXPIRED", "verdict", "Why", "Holder", "frames", "Ctrl-C ends"):
        assert english not in shown, english


def test_live_band_in_chinese(issuer: Issuer, drawn_text: list[str]) -> None:
    import numpy as np

    from scanverify import live_view

    with using("zh"):
        live_view.draw_overlay(np.full((480, 640, 3), 235, np.uint8), [], [], verdicts(issuer)[Cause.NONE])
    assert any(line.startswith("✔ 真实有效") for line in drawn_text)
    assert any(line.startswith("持有人：") and "王小明" in line for line in drawn_text)


# ---------------------------------------------------------------- fonts
def test_a_chinese_name_is_drawn_with_real_glyphs() -> None:
    """The font the live window uses draws 王, 小 and 明 as three different glyphs: with a font
    that lacks them each would be the same missing-glyph box (tofu)."""
    import numpy as np
    from PIL import Image, ImageDraw

    from scanverify.live_view import _font, cjk_font, has_glyphs

    choice = cjk_font()
    if choice is None:
        pytest.skip("no CJK font installed here (Debian: fonts-noto-cjk, which .ci/run installs)")
    assert has_glyphs(choice.path, "王小明")
    assert not has_glyphs("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "王") or not Path(
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    ).exists()
    _font.cache_clear()
    font = _font(32)

    def ink(char: str) -> Any:
        picture = Image.new("L", (48, 48), 0)
        ImageDraw.Draw(picture).text((4, 4), char, font=font, fill=255)
        return np.asarray(picture)

    glyphs = [ink(c) for c in "王小明"]
    assert all(g.any() for g in glyphs)
    assert not np.array_equal(glyphs[0], glyphs[1]) and not np.array_equal(glyphs[1], glyphs[2])
    tofu = ink("\U0010fffd")
    assert all(not np.array_equal(g, tofu) for g in glyphs)


def test_font_is_found_through_fontconfig() -> None:
    import shutil

    from scanverify.live_view import cjk_font

    if shutil.which("fc-list") is None:
        pytest.skip("no fontconfig here (fc-match, fc-list): the known paths are tried instead")
    choice = cjk_font()
    if choice is None:
        pytest.skip("no CJK font installed here (Debian: fonts-noto-cjk, which .ci/run installs)")
    assert choice.how == "fontconfig"


def test_doctor_warns_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch, run_cli: Cli) -> None:
    from scanverify import live_view

    doctor = run_cli.with_args("doctor", "--no-cameras")
    monkeypatch.setattr(live_view, "cjk_font", lambda: None)
    code, out, _ = doctor("--lang", "en")
    assert code == 0 and "warning: no font with Chinese characters is installed" in out
    code, out, _ = doctor("--lang", "zh")
    assert code == 0 and "警告：未安装含中文字符的字体" in out
    monkeypatch.setattr(live_view, "cjk_font", lambda: live_view.FontChoice("/fonts/x.ttc", "fontconfig"))
    code, out, _ = doctor("--lang", "zh")
    assert code == 0 and "中文字体：/fonts/x.ttc" in out and "解码器" in out
    code, out, _ = doctor("--json", "--lang", "zh")
    assert code == 0 and json.loads(out)["fonts"] == {"cjk": "/fonts/x.ttc", "detail": ""}
    # A run's --lang zh ends with the run: the errors the library builds after it are English.
    assert language() == "en"


# ---------------------------------------------------------------- the page's API
def test_api_adds_the_words_in_the_language_asked() -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("httpx")
    from starlette.testclient import TestClient

    from scanverify.serve.app import ServeConfig, create_app

    client = TestClient(create_app(ServeConfig(at="2026-11-27T10:00:00+00:00")))
    image = (SAMPLES / "genuine.jpg").read_bytes()

    def ask(url: str, **headers: str) -> Any:
        response = client.post(url, content=image, headers={"content-type": "image/jpeg", **headers})
        assert response.status_code == 200
        return response.json()

    english, by_query, by_header = ask("/api/verify"), ask("/api/verify?lang=zh"), ask(
        "/api/verify", **{"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"}
    )
    assert english["lang"] == "en" and by_query["lang"] == by_header["lang"] == "zh"
    assert ask("/api/verify?lang=en", **{"accept-language": "zh-CN"})["lang"] == "en"  # the query wins
    [en], [zh] = english["results"], by_query["results"]
    assert zh == by_header["results"][0]
    assert zh["verdict_text"] == "真实有效 — 样本" and en["verdict_text"] == "GENUINE — SPECIMEN"
    assert zh["reason_text"].startswith("签名已核实")
    holder = next(f for f in zh["facts"] if f["label"] == "Holder")
    assert holder["label_text"] == "持有人" and holder["value_text"] == holder["value"] == "王小明 WANG Xiaoming"
    # The JSON fields themselves are English and the same in every language.
    words = ("verdict_text", "reason_text", "warnings_text")
    strip = lambda r: {k: v for k, v in r.items() if k not in (*words, "facts")}  # noqa: E731
    assert strip(en) == strip(zh)
    page_words = ("label_text", "value_text")
    assert [{k: v for k, v in f.items() if k not in page_words} for f in en["facts"]] == [
        {k: v for k, v in f.items() if k not in page_words} for f in zh["facts"]
    ]


def test_page_uses_the_servers_words() -> None:
    script = (SRC / "serve" / "static" / "app.js").read_text()
    assert "/api/verify?lang=" in script
    assert "fact.label_text" in script and "result.reason_text" in script


def test_catalogues_by_language() -> None:
    assert catalogue("en").gettext("GENUINE") == "GENUINE" and catalogue("zh").gettext("GENUINE") == "真实有效"
