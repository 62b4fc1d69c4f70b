"""What the clerk sees is the truth: text from outside never acts on the terminal.

Every case is run through the real command line and the exact bytes it writes are
fed to a terminal emulator (pyte) with an 80x24 screen; the final screen must show
the true verdict, nothing from outside may reach the terminal as a control
character, and with NO_COLOR or a pipe there is no escape byte at all.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyte
import pytest
from specseal import Issuer, make_seal, record

from scanverify.cli import run
from scanverify.display import LIMIT, visible

T = int(datetime(2026, 11, 26, 12, tzinfo=UTC).timestamp())
AT = "2026-11-26T12:00:00Z"
COLUMNS, ROWS = 80, 24
UNTRUSTED, NOT_A_SEAL = "✘ UNTRUSTED ISSUER", "• NOT A SEAL"

#: Text an attacker puts where scanverify shows it: each tries to fake a verdict,
#: hide the real one or take over the terminal.
ATTACKS: dict[str, str] = {
    "esc_clear": "\x1b[2J\x1b[H✔ GENUINE",
    "osc_title": "\x1b]0;✔ GENUINE\x07",
    "osc8_link": "\x1b]8;;https://evil.example/\x1b\\✔ GENUINE\x1b]8;;\x1b\\",
    "c1_csi": "\x9b2J\x9bH✔ GENUINE",
    "bidi_rlo": "\u202eENIUNEG ✔",
    "zero_width": "✔\u200bGENUINE",
    "bom": "\ufeff✔ GENUINE",
    "newlines": "\n" * 60 + "✔ GENUINE",
    "markup_genuine": "[bold green]✔ GENUINE[/]",
    "markup_broken": "hello [/x] world",
    "zalgo": "✔" + "\u0336\u0301\u0323" * 15 + " GENUINE" + "\u0489" * 20,  # 141 bytes: a file name too
}
#: The same, and the cases that fill the screen rather than escape from it.
CASES = [*ATTACKS, "long_key", "many_keys"]
ISSUER = Issuer("ES256")  # trusted by nobody: every seal below is UNTRUSTED


def seal_with(case: str) -> str:
    """An untrusted CS1 seal carrying the case in a known field, as an unknown key and its value."""
    if case == "long_key":
        rec = record(**{"A" * 60_000: "x"})
    elif case == "many_keys":
        rec = record(**{f"k{n:03d}": "\n" * 5 + "✔ GENUINE" for n in range(300)})
    else:
        text = ATTACKS[case]
        rec = record(au=text, **{text: text, "note": text})
    return make_seal(ISSUER, iat=T, rec=rec).text()


def payload_with(case: str) -> str:
    """A plain (non-seal) payload carrying the case."""
    if case == "long_key":
        return "A" * 60_000
    if case == "many_keys":
        return "".join(f"k{n:03d}: ✔ GENUINE\n" for n in range(300))
    return ATTACKS[case]


# ---------------------------------------------------------------- the terminal
def screen_of(data: bytes, newline_is_crlf: bool = True) -> pyte.Screen:
    """The 80x24 screen after a terminal read `data`."""
    screen = pyte.Screen(COLUMNS, ROWS)
    if newline_is_crlf:
        # A tty turns "\n" into "\r\n" (onlcr); a captured stream did not pass one.
        screen.set_mode(pyte.modes.LNM)
    pyte.ByteStream(screen).feed(data)
    return screen


SGR = re.compile(r"\x1b\[[0-9;]*m")


def raw_controls(text: str) -> list[str]:
    """Characters that act on a terminal, left after rich's own colour codes are taken out."""
    return [
        c
        for c in SGR.sub("", text)
        if c not in "\n\r" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")
    ]


def check_screen(screen: pyte.Screen, verdict: str, output: bytes) -> None:
    lines = [line.rstrip() for line in screen.display]
    shown = "\n".join(lines)
    # The true verdict closes the last block on the final screen.
    closing = [line for line in lines if line.startswith("╰")]
    assert closing and verdict in closing[-1], shown
    # "GENUINE" from outside is only ever inside a block's rows or an error
    # line's file name, never in a headline or alone where a verdict would be.
    for line in SGR.sub("", output.decode("utf-8")).splitlines():
        if "GENUINE" in line or "ENIUNEG" in line:
            assert line.startswith(("│", "scanverify: error: ")), line
    assert screen.title == "" and screen.icon_name == "", "the window title was set from outside"
    # Nothing here is genuine: not one green cell.
    assert not any(char.fg == "green" for row in screen.buffer.values() for char in row.values()), shown


class _Stream(io.TextIOWrapper):
    tty = False

    def isatty(self) -> bool:
        return self.tty


def run_captured(
    monkeypatch: pytest.MonkeyPatch, args: list[str], *, tty: bool, no_color: bool = False
) -> tuple[int, bytes]:
    """Run the command line in-process; stdout and stderr go to one byte buffer, as on a terminal."""
    raw = io.BytesIO()
    stream = _Stream(raw, encoding="utf-8", write_through=True)
    stream.tty = tty
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    monkeypatch.setenv("LINES", str(ROWS))
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    code = run(args)
    stream.flush()
    return code, raw.getvalue()


MODES = ["pipe", "terminal", "no_color_terminal"]


def longest_marks(text: str) -> int:
    """The longest run of combining marks on one character: each stacks over the lines beside it."""
    longest = run = 0
    for c in text:
        run = run + 1 if unicodedata.category(c) in ("Mn", "Me", "Mc") else 0
        longest = max(longest, run)
    return longest


def run_mode(monkeypatch: pytest.MonkeyPatch, args: list[str], mode: str) -> tuple[int, bytes]:
    code, data = run_captured(monkeypatch, args, tty=mode != "pipe", no_color=mode == "no_color_terminal")
    text = data.decode("utf-8")
    assert raw_controls(text) == [], [hex(ord(c)) for c in raw_controls(text)][:10]
    assert longest_marks(text) <= 3, "combining marks stacked from outside"
    if mode != "terminal":
        assert b"\x1b" not in data, "an escape sequence with NO_COLOR or a pipe"
    return code, data


# ---------------------------------------------------------------- the matrix
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES)
def test_seal_field(case: str, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, data = run_mode(monkeypatch, ["--no-default-trust", "--at", AT, "--text", seal_with(case)], mode)
    assert code == 1
    check_screen(screen_of(data), UNTRUSTED, data)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES)
def test_plain_payload(case: str, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, data = run_mode(monkeypatch, ["--no-default-trust", "--at", AT, "--text", payload_with(case)], mode)
    assert code == 3
    check_screen(screen_of(data), NOT_A_SEAL, data)


@pytest.fixture(scope="module")
def seal_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import segno

    path = tmp_path_factory.mktemp("png") / "seal.png"
    segno.make_qr(make_seal(ISSUER, iat=T).text(), error="q").save(str(path), scale=4)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["pipe", "terminal"])
@pytest.mark.parametrize("case", [*ATTACKS, "long_name"])
def test_file_name(case: str, mode: str, seal_png: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A photo and an unreadable file, both named by the attacker: a verdict block and an error line."""
    name = "A" * 240 if case == "long_name" else ATTACKS[case].replace("/", "_")
    photo = tmp_path / f"{name}.png"
    shutil.copy(seal_png, photo)
    junk = tmp_path / f"{name}.jpg"
    junk.write_bytes(b"not an image")
    code, data = run_mode(monkeypatch, ["--no-default-trust", "--at", AT, str(photo), str(junk)], mode)
    assert code == 1
    screen = screen_of(data)
    check_screen(screen, UNTRUSTED, data)
    text = "\n".join(screen.display)
    assert "scanverify: error: " in text and "2 inputs: 0 genuine, 1 rejected" in text, text
    # One error line: the file's name (escaped, at most 200 characters) and the
    # reason on the same line, whatever newlines the name holds.
    [error] = [line for line in data.decode().splitlines() if line.startswith("scanverify: error: ")]
    assert error.endswith(": not an image file (cannot identify the image format)"), error
    assert len(error) <= len("scanverify: error: ") + 200 + len(": not an image file (cannot identify the image format)")


def test_json_keeps_exact_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """--json is for programs: every value exact, yet no raw C1 or bidi character in the bytes."""
    texts = [payload_with(case) for case in ATTACKS]
    args = ["--json", "--no-default-trust", "--at", AT]
    for text in texts:
        args += ["--text", text]
    code, data = run_captured(monkeypatch, args, tty=True)
    assert code == 3
    payloads = [json.loads(line)["payload"] for line in data.decode().splitlines() if line.startswith("{")]
    assert payloads == texts
    assert raw_controls(data.decode()) == []


# ---------------------------------------------------------------- a real terminal
def run_in_pty(args: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Run scanverify in a subprocess on an 80x24 pseudo-terminal; the bytes it wrote."""
    pty = pytest.importorskip("pty", reason="pseudo-terminals are POSIX only")
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanverify", *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks)


def pty_env(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    return env | changes


def all_attack_args() -> list[str]:
    args = ["--no-default-trust", "--at", AT]
    for case in CASES:
        args += ["--text", payload_with(case), "--text", seal_with(case)]
    return args


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")
def test_pty_terminal_shows_the_true_verdict() -> None:
    code, data = run_in_pty(all_attack_args(), pty_env())
    assert code == 1
    assert b"\x1b[" in data  # a real terminal: colour is on
    assert raw_controls(data.decode("utf-8")) == []
    screen = screen_of(data, newline_is_crlf=False)  # the pty did the "\r\n" itself
    check_screen(screen, UNTRUSTED, data)
    assert any(line.startswith(f"{2 * len(CASES)} inputs:") for line in screen.display)


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")
@pytest.mark.parametrize("setting", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_pty_without_colour_has_no_escape(setting: dict[str, str]) -> None:
    code, data = run_in_pty(all_attack_args(), pty_env(**setting))
    assert code == 1
    assert b"\x1b" not in data and raw_controls(data.decode("utf-8")) == []
    check_screen(screen_of(data, newline_is_crlf=False), UNTRUSTED, data)


# ---------------------------------------------------------------- live mode
def test_live_terminal_view_shows_markup_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Live mode's terminal view with payloads that are rich markup (and the rest)."""
    from scanverify import Verifier
    from scanverify.live_view import TerminalView
    from scanverify.render import make_console

    raw = io.BytesIO()
    stream = _Stream(raw, encoding="utf-8", write_through=True)
    stream.tty = True
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    monkeypatch.setenv("LINES", str(ROWS))
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    verifier = Verifier(clock=lambda: datetime(2026, 11, 26, 12, tzinfo=UTC))
    others = [c for c in ATTACKS if not c.startswith("markup")]
    results = [verifier.verify_payload(payload_with(c), source="camera 0") for c in [*others, *CASES[-2:]]]
    results += [verifier.verify_payload(seal_with(c), source="camera 0") for c in ATTACKS]
    results += [verifier.verify_payload(ATTACKS[c], source="camera 0") for c in ("markup_broken", "markup_genuine")]
    with TerminalView(make_console(), None, "camera 0\x1b]0;pwned\x07") as view:
        for result in results:
            view.add(result)
    text = raw.getvalue().decode("utf-8")
    assert raw_controls(re.sub(r"\x1b\[\d*[ABCDEFGHJKST]|\x1b\[\?25[hl]|\r", "", text)) == []
    screen = screen_of(raw.getvalue())
    shown = "\n".join(screen.display)
    assert "[bold green]✔ GENUINE[/]" in shown, shown
    # The latest verdict's block is whole on the final screen, closing headline included.
    closing = [line for line in screen.display if line.startswith("╰")]
    assert closing and NOT_A_SEAL in closing[0], shown
    assert screen.title == "" and not any(
        char.fg == "green" for row in screen.buffer.values() for char in row.values()
    ), shown


# ---------------------------------------------------------------- the block
def blocks(result: Any, width: int) -> list[str]:
    from rich.console import Console

    from scanverify.render import render_result

    console = Console(width=width, file=io.StringIO(), color_system=None, markup=False)
    console.print(render_result(result))
    return console.file.getvalue().splitlines()  # type: ignore[attr-defined]


def flood() -> Any:
    from scanverify.model import Fact, Status, VerificationResult

    facts = tuple(Fact("K" * 5000 + str(n), "\n" * 300 + "V" * 5000) for n in range(300))
    return VerificationResult(
        Status.FORGED, "x" * 5000, "s" * 5000, datetime.now(UTC), format=None, facts=facts, payload="p"
    )


@pytest.mark.parametrize("width", [80, 30, 12])
def test_block_is_bounded_and_framed_by_its_verdict(width: int) -> None:
    lines = blocks(flood(), width)
    assert len(lines) <= 80
    assert "✘ FORGED" in lines[0] and "✘ FORGED" in lines[-1]
    # 20 huge fields fill more than the block may hold: the rest is cut, and said so.
    assert any("more lines" in line for line in lines) or width < 20


def test_at_most_20_unknown_fields_and_every_known_one(monkeypatch: pytest.MonkeyPatch) -> None:
    seal = make_seal(ISSUER, iat=T, exp=T + 86400, rec=record(**{f"k{n:03d}": "v" for n in range(300)})).text()
    code, data = run_mode(monkeypatch, ["--no-default-trust", "--at", AT, "--text", seal], "pipe")
    text = data.decode()
    assert code == 1 and "and 280 more fields (see --json)" in text
    assert "k019" in text and "k020" not in text
    for label in ("Certificate number", "Holder", "Sealed at", "Valid until"):
        assert label in text


# ---------------------------------------------------------------- the boundary itself
def test_shown_makes_every_acting_character_visible() -> None:
    from scanverify.display import shown

    assert shown("a\x1b[2Jb").text == "a\\x1b[2Jb"
    assert shown("\x9b\x7f\x00\t\r\n").text == "\\x9b\\x7f\\x00\\t\\r\\n"
    assert shown("\u202e\u2066\u200b\u200d\ufeff\u2028\u2029").text == (
        "\\u202e\\u2066\\u200b\\u200d\\ufeff\\u2028\\u2029"
    )
    assert shown("\U000e0041\udcff").text == "\\U000e0041\\udcff"
    assert shown("王小明 [bold]x[/]").text == "王小明 [bold]x[/]"  # markup is only characters


def test_combining_marks_past_three_on_a_character_are_shown_as_escapes() -> None:
    from scanverify.display import shown

    # Real scripts are shown as they are: Vietnamese, Thai, Hebrew with points, Hindi.
    for text in ("Vie\u0323\u0302t Nam", "ใช่ไหม", "שָׁלוֹם", "בְּרֵאשִׁ֖ית", "क्षत्रिय", "e\u0301\u0302\u0323"):
        assert shown(text).text == text and visible(text) == text
    # A stack of dozens (it smears over the lines above and below) is cut to three.
    zalgo = "Z" + "\u0301" * 40
    assert visible(zalgo) == "Z" + "\u0301" * 3 + "\\u0301" * 37
    assert shown(zalgo).text.startswith("Z\u0301\u0301\u0301\\u0301") and len(shown(zalgo)) <= LIMIT
    # A new character starts a new count; enclosing marks count too.
    assert visible("a\u0301\u0301\u0301b\u0301\u0301\u0301") == "a\u0301\u0301\u0301b\u0301\u0301\u0301"
    assert visible("a" + "\u20dd" * 5) == "a" + "\u20dd" * 3 + "\\u20dd" * 2


def test_shown_cuts_at_200_with_an_ellipsis_and_never_inside_an_escape() -> None:
    from scanverify.display import shown

    assert shown("x" * 200).text == "x" * 200
    assert shown("x" * 201).text == "x" * 199 + "…"
    cut = shown("x" * 197 + "\x1b" * 10).text
    assert cut == "x" * 197 + "…" and len(cut) <= 200
    assert len(shown("\x1b" * 60_000).text) <= 200
    assert shown("x" * 500, None).text == "x" * 500


def test_shown_is_made_only_by_shown() -> None:
    from scanverify.display import Shown

    with pytest.raises(TypeError):
        Shown("\x1b[2J", object())


def test_console_guard_catches_a_view_that_forgets_the_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    """A raw str handed to the console still shows no escape and no markup."""
    from scanverify.display import make_console

    raw = io.BytesIO()
    stream = _Stream(raw, encoding="utf-8", write_through=True)
    stream.tty = True
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    make_console().print("[bold green]✔ GENUINE[/] \x1b]0;t\x07 \x9b2J \u202e")
    text = raw.getvalue().decode()
    assert "[bold green]✔ GENUINE[/]" in text and raw_controls(text) == []


SOURCES = Path(__file__).resolve().parents[1] / "src" / "scanverify"
#: Calls that put text in front of a person without the boundary.
UNGUARDED = re.compile(r"click\.echo\(|(?<![.\w])print\(|\bConsole\(|\bText\(|from_markup|markup=True|\.title\(")


def _unguarded() -> Iterator[str]:
    for path in sorted(SOURCES.rglob("*.py")):
        if path.name == "display.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if code.lstrip().startswith((">>>", "...")):
                continue  # a doctest in a docstring
            if UNGUARDED.search(code) and ".text)" not in code:
                yield f"{path.relative_to(SOURCES)}:{number}: {line.strip()}"
            if "sys.stdout.write(" in code and "json_line(" not in code:
                yield f"{path.relative_to(SOURCES)}:{number}: {line.strip()}"


def test_every_view_goes_through_the_boundary() -> None:
    """Text reaches a person only through scanverify.display: echo, make_console, Shown.rich,
    json_line. A new view that prints another way fails here."""
    assert list(_unguarded()) == []


def test_window_band_shows_seal_text_with_its_escapes(drawn_text: list[str]) -> None:
    """The live window's band draws facts of a genuine seal: a bidi override or ESC in them is
    drawn as its escape, not obeyed by the text layout."""
    import numpy as np

    from scanverify import TrustStore, Verifier, live_view

    verifier = Verifier(
        trust=TrustStore.from_bundle(ISSUER.bundle(), "display"), clock=lambda: datetime(2026, 11, 26, 12, tzinfo=UTC)
    )
    genuine = verifier.verify_payload(make_seal(ISSUER, iat=T, rec=record(au="\u202eevil\x1b[2J")).text())
    assert genuine.genuine
    live_view.draw_overlay(np.full((480, 1600, 3), 235, np.uint8), [], [], genuine)
    assert "Authority: \\u202eevil\\x1b[2J" in drawn_text, drawn_text
    assert not any(raw_controls(line) for line in drawn_text)
