"""Babel extractors for the words scanverify shows that are not in a ``_()`` call.

Named in babel.cfg (``pybabel extract -F babel.cfg``) as :func:`extract`; docs/translating.md.
Each collects its messages from the live objects, so the catalogue lists every
one of them, complete by construction:

- :func:`fact_labels`: every format's ``fact_labels`` (VDS's come from its data
  tables, 2D-Doc's from the ANTS field names);
- :func:`cli_help`: the help of every command and option of the command line;
- :func:`click_messages`: click's own words ("Usage:", "Options:", its errors),
  which click looks up with the standard library's gettext in our domain.

Babel calls an extractor as ``(fileobj, keywords, comment_tags, options)`` and
takes ``(lineno, funcname, message, comments)`` tuples back.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, cast

__all__ = ["cli_help", "click_messages", "command_texts", "extract", "fact_labels"]

Extracted = tuple[int, str | None, str | tuple[str, ...], list[str]]


def fact_labels(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Sequence[str], options: Mapping[str, Any]
) -> Iterator[Extracted]:
    from .formats import formats

    owners: dict[str, list[str]] = {}
    for fmt in formats():
        for label in sorted(getattr(fmt, "fact_labels", ())):
            owners.setdefault(label, []).append(fmt.name)
    for label, names in owners.items():
        yield 0, None, label, [f"fact label of {', '.join(names)}"]


def command_texts(command: Any, path: str = "scanverify") -> Iterator[tuple[str, str]]:
    """(where, English text) of every help text in the command tree under ``command``."""
    help_text = getattr(command, "_english_help", command.help)
    if help_text:
        yield path, inspect.cleandoc(help_text)
    short = getattr(command, "_english_short_help", command.short_help)
    if short:
        yield f"{path} (short)", inspect.cleandoc(short)
    for param in command.params:
        text = getattr(param, "_english_help", getattr(param, "help", None))
        if text:
            yield f"{path} {param.opts[0]}", text
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from command_texts(sub, f"{path} {name}")


def cli_help(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Sequence[str], options: Mapping[str, Any]
) -> Iterator[Extracted]:
    from .cli import main
    from .cli_common import prepare_cli

    prepare_cli(main)
    seen: dict[str, list[str]] = {}
    for where, text in command_texts(main):
        seen.setdefault(text, []).append(where)
    for text, places in seen.items():
        comment = "help of " + "; ".join(places)
        if "\b" in text:
            comment += " (a line holding only \\b keeps the next paragraph's lines as they are: keep it)"
        yield 0, None, text, [comment]


def click_messages(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Sequence[str], options: Mapping[str, Any]
) -> Iterator[Extracted]:
    from pathlib import Path

    import click
    from babel.messages.extract import extract_python

    folder = Path(click.__file__).parent
    for module in ("core", "decorators", "exceptions", "formatting", "parser", "types", "utils"):
        with open(folder / f"{module}.py", "rb") as source:
            for found in extract_python(source, {"_": None, "ngettext": (1, 2)}, [], {}):
                # (lineno, funcname, message, comments), as Babel documents it (its type alias differs).
                lineno, funcname, message, _comments = cast(Any, found)
                yield lineno, funcname, message, [f"click/{module}.py:{lineno} (click's own words)"]


def extract(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Sequence[str], options: Mapping[str, Any]
) -> Iterator[Extracted]:
    """All three, for the one section of babel.cfg that names them."""
    yield from fact_labels(fileobj, keywords, comment_tags, options)
    yield from cli_help(fileobj, keywords, comment_tags, options)
    yield from click_messages(fileobj, keywords, comment_tags, options)
