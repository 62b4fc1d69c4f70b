"""The one boundary between text from outside and a person's eyes.

Everything a human view shows (result panels, the summary, error lines, the
live terminal view, the Tk window and its title, the progress bar, `trust
show`, `doctor`) that may hold text from outside (payloads, seal fields,
bundle names, file names) passes through :func:`shown`, which makes control,
format and separator characters visible (``\\x1b``, ``\\u202e``, ``\\n``) and
cuts the text with an ellipsis. Its result, :class:`Shown`, is the only thing
views turn into rich ``Text`` (:meth:`Shown.rich`) or into window strings
(:attr:`Shown.text`): never a markup string.

Two guards stand behind the type, so a view that forgets it still cannot
let an escape through:

- :func:`make_console` gives a console that parses no markup or emoji and
  makes control characters visible in every segment it renders, and that
  prints no escape sequence at all (no colour, style, link or cursor move)
  with NO_COLOR, TERM=dumb or when its stream is not a terminal;
- :func:`echo` (plain lines: errors, `doctor`, `trust show`) and
  :func:`json_line` (``--json``) make the same characters safe on the way out.

JSON keeps exact values: a C1 or bidi character is written as a ``\\uXXXX``
escape, which any JSON reader turns back into the very same character.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Any, Final, final

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.segment import Segment
    from rich.text import Text

__all__ = [
    "LIMIT",
    "MOST_MARKS",
    "REASON_LIMIT",
    "Shown",
    "echo",
    "fancy",
    "json_line",
    "make_console",
    "shown",
    "visible",
]

#: Keys and values from outside are cut at this many characters (with the ellipsis).
LIMIT: Final = 200
#: Our reasons and warnings embed bits of the input (a quoted value, a file name):
#: cut like them, a little later.
REASON_LIMIT: Final = 2 * LIMIT
ELLIPSIS: Final = "…"
_SHORT: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: Combining marks shown on one character; more are shown as escapes. A run of
#: dozens ("Zalgo" text) stacks above and below its line in a terminal or a
#: window, over the lines beside it: a seal's field could smear the verdict.
#: Three is what real scripts use at most (Vietnamese or Thai: two; Hebrew with
#: points and cantillation: three).
MOST_MARKS: Final = 3


@lru_cache(maxsize=4096)
def _escape_of(char: str) -> str | None:
    """How `char` is shown, or None when it is shown as itself."""
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        # C0, DEL and C1: ESC starts terminal sequences, U+009B is a one-byte
        # CSI on terminals that read C1 controls, CR/LF/tab move the cursor.
        return _SHORT.get(char, f"\\x{code:02x}")
    category = unicodedata.category(char)
    if category in ("Cf", "Zl", "Zp", "Cs"):
        # Cf: zero-width characters, bidi overrides/isolates/marks, BOM: they
        # hide or reorder what is shown. Zl/Zp: line and paragraph separators
        # break lines. Cs: lone surrogates (undecodable file-name bytes) that
        # an encoder would choke on.
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return None


@lru_cache(maxsize=4096)
def _is_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me", "Mc")


def _pieces(text: str) -> Iterator[str]:
    """How each character of `text` is shown: itself, or its escape (see :func:`visible`)."""
    marks = 0
    for char in text:
        escape = _escape_of(char)
        if escape is None and not char.isascii() and _is_mark(char):
            marks += 1
            if marks > MOST_MARKS:
                escape = f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"
        else:
            marks = 0
        yield escape or char


def visible(text: str) -> str:
    """`text` with every control, format and separator character replaced by its escape,
    and combining marks past :data:`MOST_MARKS` on one character too; not cut."""
    # ASCII holds no combining mark, and str.isprintable() is False for every
    # character _escape_of escapes (and for a few it leaves alone, such as
    # U+3000): a fast, exact first test for most text.
    if text.isascii() and text.isprintable():
        return text
    return "".join(_pieces(text))


@final
class Shown:
    """Text that is safe to show a person: made only by :func:`shown`.

    Views take a Shown, never a str, for anything that may come from outside,
    so a type checker finds a view that skips the boundary.
    """

    __slots__ = ("_text",)
    _text: str

    def __init__(self, text: str, key: object) -> None:
        if key is not _KEY:
            raise TypeError("a Shown is made by scanverify.display.shown(), not directly")
        object.__setattr__(self, "_text", text)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Shown is immutable")

    @property
    def text(self) -> str:
        """The safe text, for a window, a title or a plain line."""
        return self._text

    def rich(self, style: str = "") -> Text:
        """A rich Text of it: literal text, never parsed as markup."""
        from rich.text import Text

        return Text(self._text, style=style, overflow="fold", no_wrap=False)

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Shown({self._text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Shown) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)

    def __len__(self) -> int:
        return len(self._text)


_KEY: Final = object()


def shown(text: object, limit: int | None = LIMIT) -> Shown:
    """`text` as a person may see it: control, format and separator characters made
    visible, and at most `limit` characters (escapes counted as shown) with an ellipsis."""
    raw = text if isinstance(text, str) else str(text)  # a Shown gives its text: escaping twice changes nothing
    if limit is None:
        return Shown(visible(raw), _KEY)
    pieces: list[str] = []
    used = 0
    for piece in _pieces(raw):
        pieces.append(piece)
        used += len(piece)
        if used > limit:
            break  # a 60,000-character key is looked at no further than it is shown
    if used <= limit:
        return Shown("".join(pieces), _KEY)
    kept: list[str] = []
    room = limit - len(ELLIPSIS)
    for piece in pieces:
        # An escape is kept whole or not at all: a cut never makes "\x1" of "\x1b".
        if len(piece) > room:
            break
        kept.append(piece)
        room -= len(piece)
    return Shown("".join(kept) + ELLIPSIS, _KEY)


# ---------------------------------------------------------------- terminals
def fancy(stream: IO[str] | None = None) -> bool:
    """Whether `stream` (stdout by default) may get escape sequences: a terminal, not dumb,
    and the user did not ask for NO_COLOR."""
    stream = stream if stream is not None else sys.stdout
    if os.environ.get("NO_COLOR", "") != "":  # no-color.org: set and not empty
        return False
    if os.environ.get("TERM", "").lower() == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def make_console(stderr: bool = False) -> Console:
    """The console every rich view prints through."""
    from rich.console import Console

    class SafeConsole(Console):
        """Parses no markup and makes control characters visible in whatever it renders:
        a view that hands it a raw str still shows no escape from outside."""

        def render(self, renderable: Any, options: ConsoleOptions | None = None) -> Iterable[Segment]:
            return _scrubbed(super().render(renderable, options))

    stream = sys.stderr if stderr else sys.stdout
    rich_ok = fancy(stream)
    return SafeConsole(
        stderr=stderr,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=False,
        # Without a capable terminal rich writes no escape of its own: no colour,
        # no bold, no link, no cursor movement (force_terminal=False also
        # overrides FORCE_COLOR and TTY_COMPATIBLE from the environment).
        force_terminal=None if rich_ok else False,
        force_interactive=None if rich_ok else False,
        color_system="auto" if rich_ok else None,
        no_color=not rich_ok,
    )


def _scrubbed(segments: Iterable[Segment]) -> Iterator[Segment]:
    from rich.segment import Segment

    for segment in segments:
        text = segment.text
        # Control segments are rich's own (cursor moves); "\n" alone is its line break.
        if segment.control is None and text != "\n" and not text.isprintable():
            lines = text.split("\n")
            yield Segment("\n".join(visible(line) for line in lines), segment.style, None)
        else:
            yield segment


def echo(*parts: Shown | str, err: bool = False) -> None:
    """Print one plain line. Literal str parts are the program's own words; even so,
    control characters in them are made visible (a file name in an f-string is a str)."""
    import click

    click.echo("".join(p.text if isinstance(p, Shown) else visible(p) for p in parts), err=err)


def json_line(obj: Any, indent: int | None = None) -> str:
    """JSON (one line unless `indent`) with exact values: characters that would act on a
    terminal are written as \\u escapes, which every JSON reader turns back into the same
    character."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    if text.isprintable():
        return text
    # json.dumps has escaped C0 inside strings already: a newline left is the
    # indentation's, and anything else left sits inside a string.
    return "".join(c if c == "\n" or _escape_of(c) is None else _json_escape(c) for c in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def block_lines(console: Console, options: ConsoleOptions, renderable: Any) -> list[list[Segment]]:
    """`renderable` rendered to lines at the width of `options`."""
    return console.render_lines(renderable, options, pad=False)


class Lines:
    """Pre-rendered lines, as a renderable."""

    def __init__(self, lines: list[list[Segment]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        for line in self.lines:
            yield from line
            yield Segment.line()
