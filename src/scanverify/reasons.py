"""Why a verdict is what it is, in the reader's language.

A result's ``reason`` is English, one line, composed where the rule was
applied (the verifier, a format, a trust list) with the values it found: it
is what ``--json`` carries, stable. A person sees :func:`reason_text` instead:

1. the reason matched against a *template*: the English sentence with named
   placeholders (``"the seal expired at {end}"``), one per reason that the
   verifier and the formats' shared rules compose. A template is a gettext
   message, so its translation says the same with the same values
   (``"该印章已于 {end} 过期"``), times turned into local time with the zone;
2. else the cause's own sentence (every :class:`~scanverify.model.Cause` has
   one, translated), followed by the values the English detail quotes (quoted
   text, times, numbers, identifiers), so nothing the clerk needs is lost.

Why templates matched here, and not gettext calls in every format: the
reasons are composed in ~100 places (six formats, the verifier, X.509 and
trust-list code), many owned by other modules and many stored as data in
findings before they are shown; turning each into a message with parameters
would change the model, every format and the verifier, twice. Here one table
covers every verdict the shared rules give (unknown key, wrong state, forged,
revoked, not yet valid, expired, genuine ...) in full, and the cause sentence
covers every other detail (a format's parse error) in the clerk's language.
tests/test_i18n.py checks each template against the reason the code really
composes, so a reworded English reason cannot silently fall back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Final

from .i18n import N_, gettext, language, local_times_in
from .model import STALE_TRUST, Cause

if TYPE_CHECKING:
    from .model import VerificationResult

__all__ = [
    "CAUSE_SENTENCES",
    "TEMPLATES",
    "TRUST_FALLBACK",
    "TRUST_RECORD_UNUSABLE",
    "WARNING_TEMPLATES",
    "cause_text", "input_error_text", "reason_text", "warning_text"]

#: One sentence per cause, for a person: what the verdict means and, where there is one, what to do.
CAUSE_SENTENCES: Final[Mapping[Cause, str]] = {
    Cause.NONE: N_("the signature is valid and every rule holds"),
    Cause.PARSE: N_("the seal breaks its format: it is damaged, misread or not made by a real issuer"),
    Cause.UNKNOWN_KEY: N_("no trusted issuer key matches the seal's signer: the issuer is unknown"),
    Cause.WRONG_STATE: N_("the signer's key is trusted for another issuing state or issuer than the seal names"),
    Cause.KEY_USAGE: N_("the signer is not allowed to sign this kind of seal"),
    Cause.CHAIN: N_("the signer's certificate is not issued by a trusted authority"),
    Cause.SIGNATURE: N_("the signature does not match: the seal was altered or not made by this issuer"),
    Cause.REVOKED_KEY: N_("the issuer's key or certificate has been revoked: its seals are void"),
    Cause.REVOKED_SEAL: N_("this very seal has been revoked by its issuer"),
    Cause.SIGNED_IN_FUTURE: N_("the seal was signed after the time of checking"),
    Cause.SEAL_NOT_YET_VALID: N_("the seal is not valid yet"),
    Cause.KEY_NOT_YET_VALID: N_("the seal was signed before its key or certificate was valid"),
    Cause.SEAL_EXPIRED: N_("the seal has expired"),
    Cause.KEY_EXPIRED: N_("the seal's key or certificate was no longer valid when it was signed or checked"),
    Cause.NOT_A_SEAL: N_("the code holds no seal (no known seal format)"),
    Cause.NO_CODE: N_("no QR or other 2D code was found in the image"),
    Cause.CODE_UNREADABLE: N_("a code was seen in the image but could not be read: take a closer, sharper photo of it"),
    Cause.INPUT_ERROR: N_("the input could not be read (missing, damaged or too large)"),
    Cause.INTERNAL: N_("scanverify met a bug on this input: please report it"),
}

#: The reasons the verifier and the formats' shared rules compose, as messages with
#: named placeholders. Order matters where one is a prefix of another (specimen first).
TEMPLATES: Final[tuple[str, ...]] = (
    # verifier.judge / _rules
    N_("no trusted {format} issuer key matches the seal's signer ({signer}): the issuer is unknown"),
    N_("the key for signer {signer} is trusted only for seals of {states}, but the seal claims to be from {issuer}"),
    N_("the key for signer {signer} is trusted only for seals of {states}, but the seal names no issuing state"),
    N_("signature does not match: the seal was altered or not made by this issuer"),
    N_("the issuer key '{name}' has been revoked (compromised); its seals are void"),
    N_("this seal ({seal}) has been revoked by its issuer"),
    N_("the seal was signed at {signed}, after the time of checking ({at})"),
    N_("the seal is valid only from {start}, after the time of checking ({at})"),
    N_("the seal was signed at {signed}, before its key was valid (from {start})"),
    N_("the seal expired at {end}"),
    N_("the seal was signed at {signed}, after its key was retired ({end})"),
    N_("signature verified: sealed by {name} — SPECIMEN key: a test issuer, not a real document"),
    N_("signature verified: sealed by {name}"),
    # verifier._verify / verify_image
    N_("the code holds no seal (no known seal format)"),
    N_("no QR or other 2D code was found in the image"),
    N_("a code was seen in the image but could not be read; take a closer, sharper photo of it"),
    N_("a code was seen in the image but could not be read; try again with --effort thorough, or take a closer, sharper photo of it"),
    N_("malformed {format} seal: {detail}"),
    N_("the {format} format plug-in could not read this seal ({error})"),
    N_("internal error: {detail} (please report this)"),
    # the formats' shared kinds of rule (certificates and their validity)
    N_("the certificate of signer {signer} does not chain to a trusted VDS anchor (CSCA)"),
    N_("the signer certificate {signer} is not issued by a trusted 2D-Doc certification authority {ca}"),
    N_("the 2D-Doc certification authority {name} is withdrawn"),
    N_("the seal was signed on {signed}, before its signer certificate was valid (from {start})"),
    N_("the seal was signed on {signed}, after its signer certificate expired ({end})"),
    N_("signed on {signed}, before its {what} was valid (from {start})"),
    N_("signed on {signed}, after its {what} ended ({end})"),
    N_("signed at {signed}, before the signer's certificate was valid (from {start})"),
    N_("signed at {signed}, after the signer's certificate expired ({end})"),
    N_("the signer's certificate has an extended key usage that cannot be read"),
    N_("the signer may issue only {allowed} certificates, not this {kind} certificate"),
)

#: Words the formats put into the values of the templates above (``{what}``, ``{kind}``):
#: translated too, when the value is exactly one of them.
VALUE_WORDS: Final[tuple[str, ...]] = (
    N_("signer certificate"),
    N_("certification authority"),
    N_("vaccination"),
    N_("test"),
    N_("recovery"),
)

#: The warning active_store gives when the record beside the installed trust list is unusable.
TRUST_RECORD_UNUSABLE: Final = N_("the record beside the installed trust list is unusable: {detail}")
#: The warning active_store gives when it cannot use the installed trust list, by
#: (the list is missing, a record of the revocations it held is kept); trustlist.py composes them.
TRUST_FALLBACK: Final[Mapping[tuple[bool, bool], str]] = {
    (True, False): N_(
        "installed trust list ignored: {path} is missing; with no record of the revocations it held,"
        " no built-in key is trusted until `scanverify trust update` installs a list"
    ),
    (True, True): N_(
        "installed trust list ignored: {path} is missing; using the built-in trust list,"
        " keeping the {count} revocations installed before; run `scanverify trust update`"
    ),
    (False, False): N_(
        "installed trust list ignored: {detail}; with no record of the revocations it held,"
        " no built-in key is trusted until `scanverify trust update` installs a list"
    ),
    (False, True): N_(
        "installed trust list ignored: {detail}; using the built-in trust list,"
        " keeping the {count} revocations installed before; run `scanverify trust update`"
    ),
}
#: The warnings a verdict carries (STALE_TRUST is how the stale-list one begins).
#: The "missing" fallbacks come before the others, which would match them too.
WARNING_TEMPLATES: Final[tuple[str, ...]] = (
    N_("the trust list is out of date (expired {when}); update it"),
    TRUST_RECORD_UNUSABLE,
    *TRUST_FALLBACK.values(),
)
#: A warning no template matches: this sentence, then the values it quotes.
OTHER_WARNING: Final = N_("a warning about the trust in use")
#: How the values of a detail are put after the cause's sentence.
WITH_VALUES: Final = N_("{sentence} ({values})")

#: Placeholders whose value is English composed by a format (not a value from outside):
#: in another language only the values quoted in it are kept.
_DETAIL_SLOTS: Final = frozenset({"detail", "error"})
#: What counts as a value in an English detail: quoted text, times, and words with a digit
#: or in capitals (a kid, a number, a format name, a field code).
_VALUE: Final = re.compile(
    r"""'[^']*'|"[^"]*"|\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?(?: UTC|Z|\+00:00)?)?"""
    r"""|[\w:./#-]*\d[\w:./#-]*|\b[A-Z][A-Z0-9_-]+\b"""
)
_MAX_VALUES: Final = 6


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$", re.DOTALL)


@cache
def _literal_ends(template: str) -> tuple[str, str]:
    """The text of `template` before its first placeholder and after its last."""
    parts = re.split(r"\{\w+\}", template)
    return parts[0], parts[-1] if len(parts) > 1 else ""


def match(text: str, templates: Iterable[str] = TEMPLATES) -> tuple[str, dict[str, str]] | None:
    """The template ``text`` was made from, and its values; None when no template fits."""
    for template in templates:
        found = _pattern(template).match(text)
        if found is not None:
            return template, found.groupdict()
    return None


def values_of(detail: str) -> list[str]:
    """The values an English detail quotes (times in local time), in order, without repeats."""
    seen: list[str] = []
    for found in _VALUE.findall(detail):
        value = local_times_in(found)
        if value not in seen:
            seen.append(value)
    return seen[:_MAX_VALUES]


def cause_text(cause: Cause) -> str:
    """The cause's sentence in the language in use."""
    return gettext(CAUSE_SENTENCES[cause])


def _with_values(sentence: str, values: list[str]) -> str:
    if not values:
        return sentence
    return gettext(WITH_VALUES).format(sentence=sentence, values=", ".join(values))


def _filled(template: str, values: Mapping[str, str], english: bool) -> str:
    """``template`` in the language in use, with the ``values`` matched in the English text."""
    shown: dict[str, str] = {}
    for slot, value in values.items():
        if slot in _DETAIL_SLOTS and not english:
            shown[slot] = ", ".join(values_of(value))
        elif value in VALUE_WORDS:
            shown[slot] = gettext(value)
        else:
            shown[slot] = local_times_in(value)
    translated = gettext(template).format(**shown)
    if not all(shown.values()):
        # A detail with no value in it: no empty brackets, no dangling colon.
        translated = re.sub(r"\s*[(\uff08]\s*[)\uff09]", "", translated).rstrip(" :,\uff1a\uff0c")
    return translated


def input_error_text(text: str) -> str | None:
    """An ImageError's message (``NAME: sentence``, or the sentence alone as an error row's reason
    has it) in the language in use; None when it is not one of ``_input_errors.MESSAGES``.

    The name is data, shown as it is; it may hold ": " itself, so each place it could end is
    tried, last to first, and the sentence after it must match a message in full.
    """
    from ._files import PROBLEMS
    from ._input_errors import MESSAGES, NAMED

    def sentence(rest: str) -> str | None:
        for template in MESSAGES:
            # The literal ends first (cheap): a name made of many ": " would
            # otherwise run every pattern over every tail (quadratic).
            head, tail = _literal_ends(template)
            if not (rest.startswith(head) and rest.endswith(tail)):
                continue
            found = _pattern(template).match(rest)
            if found is None:
                continue
            values = found.groupdict()
            problem = values.get("problem")
            if problem is None:
                return _filled(template, values, language() == "en")
            # Only scanverify's own words (a FIFO, a device ...), translated whole: "{problem};
            # refused" must not take another sentence that ends so (an encrypted PDF's).
            if problem in PROBLEMS:
                return gettext(template).format(problem=gettext(problem))
        return None

    # Last to first: the shortest tail that is a whole message is the sentence. Tried first to
    # last, a file named "x: cannot open (" would lend the sentence its words ("x: cannot
    # open (" + "not an image ...)" reads as "x: cannot open"): a name comes from outside,
    # whereas a message's values (sizes, an exception's text) hold no message of ours.
    end = text.rfind(": ")
    while end >= 0:
        said = sentence(text[end + 2 :])
        if said is not None:
            return gettext(NAMED).format(path=text[:end], problem=said)
        end = text.rfind(": ", 0, end)
    return sentence(text)


def explain(text: str, cause: Cause | None, templates: Iterable[str] = TEMPLATES, other: str | None = None) -> str:
    """``text`` (an English reason or warning) for a person in the language in use."""
    english = language() == "en"
    found = match(text, templates)
    if found is not None:
        return _filled(*found, english)
    if english:
        return local_times_in(text)
    if cause is Cause.INPUT_ERROR:
        said = input_error_text(text)
        if said is not None:
            return said
    sentence = cause_text(cause) if cause is not None else gettext(other or OTHER_WARNING)
    return _with_values(sentence, values_of(text))


def reason_text(result: VerificationResult) -> str:
    """The result's reason, as a person reads it in the language in use."""
    return explain(result.reason, result.cause)


def warning_text(warning: str) -> str:
    """One of a result's warnings, as a person reads it in the language in use."""
    return explain(warning, None, WARNING_TEMPLATES)


assert STALE_TRUST in WARNING_TEMPLATES[0]  # the stale-list warning is the template's sentence
