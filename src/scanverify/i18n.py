"""The language a person reads scanverify in: English or Simplified Chinese.

Every word scanverify shows a person goes through :func:`gettext` (``_``) and
its friends, looked up in the gettext catalogue
``scanverify/locale/<lang>/LC_MESSAGES/scanverify.mo`` (compiled from the ``.po``
a translator edits: docs/translating.md). The source strings are the English
text itself, so English needs no catalogue and a string missing from one is
shown in English, never as a key.

The language is chosen once per process (or per request, by the server: see
:func:`using`): ``--lang zh|en`` first, else the locale as gettext reads it
(:func:`language_from_environment`). JSON (``--json``, the API's fields) never
goes through here: it stays English and stable, whatever the language.

Times shown to a person are in local time with the zone (:func:`local_time`);
JSON keeps UTC.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import os
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Final

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "catalogue",
    "gettext",
    "label",
    "language",
    "language_from_accept",
    "language_from_environment",
    "local_time",
    "local_times_in",
    "ngettext",
    "normalise",
    "set_language",
    "using",
]

DOMAIN: Final = "scanverify"
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
#: The languages scanverify speaks, by their short names (``--lang``); English is the source.
LANGUAGES: Final = ("en", "zh")
#: Each short name's gettext catalogue (a directory under LOCALE_DIR); English has none.
CATALOGUES: Final[Mapping[str, str | None]] = {"en": None, "zh": "zh_CN"}

# A context variable, not a plain global: a server answers each request in the language
# that request asked for, in whatever thread or task it runs.
_LANGUAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar("scanverify_language", default=None)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it here (it is translated where shown)."""
    return message


def normalise(name: str | None) -> str | None:
    """``zh``, ``zh_CN.UTF-8``, ``zh-Hans``, ``en_GB`` ... as one of LANGUAGES; None for a language
    scanverify does not speak, for C/POSIX: English."""
    if not name:
        return None
    base = re.split(r"[.@]", name.strip(), maxsplit=1)[0].replace("-", "_").lower()
    if base in ("c", "posix"):
        return "en"
    primary = base.split("_", 1)[0]
    # Only Simplified Chinese is translated; a Traditional locale (zh_TW, zh_HK) reads it
    # better than English, and a translator can add zh_TW beside it (docs/translating.md).
    return primary if primary in LANGUAGES else None


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale asks for, in GNU gettext's order.

    LC_ALL, else LC_MESSAGES, else LANG names the locale; LANGUAGE, a list
    (``zh_CN:en``), comes before it unless that locale is C/POSIX (where gettext
    ignores LANGUAGE). The first name scanverify speaks wins; else English.
    """
    env = os.environ if environ is None else environ
    locale_name = next((env[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(v)), "")
    candidates: list[str] = []
    if locale_name and re.split(r"[.@]", locale_name, maxsplit=1)[0].upper() not in ("C", "POSIX"):
        # GNU gettext: LANGUAGE counts unless the locale is "C" (named so, or by default).
        candidates += env.get("LANGUAGE", "").split(":")
    candidates.append(locale_name)
    for candidate in candidates:
        found = normalise(candidate)
        if found is not None:
            return found
    return "en"


def language_from_accept(header: str | None) -> str | None:
    """The language an HTTP Accept-Language header prefers, of LANGUAGES; None if it names neither."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:32]):  # a header is data: bounded
        name, _, params = item.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        found = normalise(name)
        if found is not None and quality > 0:
            ranked.append((-quality, index, found))
    return min(ranked)[2] if ranked else None


_PROCESS_LANGUAGE: list[str] = []


def set_language(lang: str | None) -> str:
    """Choose the language of this process (None: the locale's). Returns the one chosen."""
    chosen = normalise(lang) if lang else language_from_environment()
    _PROCESS_LANGUAGE[:] = [chosen or "en"]
    _LANGUAGE.set(None)
    return _PROCESS_LANGUAGE[0]


def language() -> str:
    """The language in use: the one :func:`using` set for this context, else the process's,
    else the locale's."""
    lang = _LANGUAGE.get()
    if lang is not None:
        return lang
    if not _PROCESS_LANGUAGE:
        set_language(None)
    return _PROCESS_LANGUAGE[0]


@contextlib.contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Within the block (this thread or task only), speak ``lang`` (None: the process's)."""
    chosen = (normalise(lang) or "en") if lang else language()
    token = _LANGUAGE.set(chosen)
    try:
        yield chosen
    finally:
        _LANGUAGE.reset(token)


@cache
def catalogue(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (a NullTranslations, English, when it has none)."""
    name = CATALOGUES.get(lang)
    if name is None:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[name], fallback=True)


def gettext(message: str) -> str:
    """``message`` (English, the msgid) in the language in use."""
    return catalogue(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue(language()).ngettext(singular, plural, n)


def label(text: str, known: frozenset[str] | set[str] | None = None) -> str:
    """A fact's label in the language in use, when it is one of scanverify's own (in
    ``known``, a format's ``fact_labels``); a label the seal brought (an unknown record
    key) is the seal's own text and is shown as it is."""
    if known is not None and text not in known:
        return text
    return gettext(text)


# ---------------------------------------------------------------- times
def local_time(moment: datetime, seconds: bool = False) -> str:
    """``moment`` in this computer's local time, with the zone: ``2026-11-20 17:30 CST (UTC+08:00)``."""
    try:
        local = moment.astimezone()
    except (OverflowError, ValueError, OSError):
        local = moment.astimezone(UTC)
    shape = "%H:%M:%S" if seconds else "%H:%M"
    offset = local.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    if zone == "UTC+00:00":
        zone = "UTC"
    name = local.tzname() or ""
    # A zone's abbreviation (CST) is ambiguous alone: shown with the offset it stands for.
    named = f"{name} ({zone})" if name and name != "UTC" and name[0] not in "+-" else zone
    return f"{local.year:04d}-{local:%m-%d} {local.strftime(shape)} {named}"


#: The ways scanverify's own words write a UTC time ("2026-11-20 09:30 UTC",
#: "2026-11-20 09:30:00 UTC", "2026-11-20T09:30:00Z", "...+00:00").
_UTC_TIME: Final = re.compile(
    r"\b(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?: UTC\b|Z\b|\+00:00)"
)


def local_times_in(text: str) -> str:
    """``text`` with every UTC time scanverify wrote in it shown in local time with the zone."""

    def local(match: re.Match[str]) -> str:
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        try:
            moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            return match.group(0)
        return local_time(moment, seconds=match.group(6) is not None)

    return _UTC_TIME.sub(local, text) if "-" in text else text
