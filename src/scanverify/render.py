"""How a verdict looks to a person: a word and a symbol, never colour alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .display import REASON_LIMIT, Shown, make_console, shown
from .i18n import N_, gettext, ngettext
from .i18n import gettext as _
from .i18n import label as label_text
from .model import Fact, Status, VerificationResult
from .reasons import reason_text, warning_text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.measure import Measurement
    from rich.text import Text

__all__ = [
    "STYLE",
    "SealBlock",
    "Summary",
    "document_line",
    "fact_lines",
    "headline",
    "make_console",
    "render_result",
    "verdict_word",
    "verdict_words",
]

#: Symbol, word and colour per status. The symbol and word carry the meaning;
#: colour only repeats it, for screens and eyes that lack it.
STYLE: dict[Status, tuple[str, str, str]] = {
    Status.GENUINE: ("✔", N_("GENUINE"), "bold green"),
    Status.FORGED: ("✘", N_("FORGED"), "bold red"),
    Status.MALFORMED: ("✘", N_("MALFORMED"), "bold red"),
    Status.UNTRUSTED: ("✘", N_("UNTRUSTED ISSUER"), "bold red"),
    Status.REVOKED: ("✘", N_("REVOKED"), "bold red"),
    Status.EXPIRED: ("✘", N_("EXPIRED"), "bold red"),
    Status.NOT_YET_VALID: ("✘", N_("NOT YET VALID"), "bold red"),
    Status.NOT_A_SEAL: ("•", N_("NOT A SEAL"), "yellow"),
    Status.NO_CODE: ("?", N_("NO CODE FOUND"), "yellow"),
    Status.ERROR: ("!", N_("ERROR"), "bold magenta"),
}
#: Beside a genuine verdict: a specimen key, a stale trust list (model.VerificationResult.qualified).
SPECIMEN_MARK = N_(" — SPECIMEN")
STALE_MARK = N_(", but the trust list is out of date")


def verdict_word(status: Status) -> str:
    """The status's word in the language in use ("UNTRUSTED ISSUER", "签发机构不受信任")."""
    return gettext(STYLE[status][1])


def verdict_words(result: VerificationResult) -> str:
    """The verdict's word with what must be said beside it, in the language in use; no symbol."""
    return result.qualified(verdict_word(result.status), specimen=_(SPECIMEN_MARK), stale=_(STALE_MARK))


def headline(result: VerificationResult) -> str:
    """The verdict in words, with its symbol: "✘ UNTRUSTED ISSUER". Only scanverify's own words."""
    return f"{STYLE[result.status][0]} {verdict_words(result)}"


#: A seal's block is at most this many lines (the terminal's width decides how
#: its rows wrap); the verdict headline is its first and its last line.
MAX_BLOCK_LINES = 80
#: Facts a seal may carry beyond the ones its format names itself.
MAX_EXTRA_FACTS = 20


def render_result(result: VerificationResult) -> RenderableType:
    """A seal's block: the verdict, the reason, then what the seal certifies, between
    two copies of the verdict headline. Everything from outside is shown through
    scanverify.display, bounded, and never read as markup."""
    return SealBlock(result)


class SealBlock:
    """The rich renderable of one verdict (see :func:`render_result`)."""

    def __init__(self, result: VerificationResult) -> None:
        self.result = result

    def rows(self) -> list[tuple[Text, Text]]:
        """The label/value rows between the headlines, bounded."""
        result = self.result
        rows: list[tuple[Text, Text]] = []

        def row(label: Shown, value: Shown, style: str = "bold") -> None:
            rows.append((label.rich(style), value.rich()))

        if result.genuine and result.specimen:
            row(shown(_("SPECIMEN")), shown(_("test issuer — this is not a real document")), "bold black on yellow")
        row(shown(_("Source")), shown(result.source))
        row(shown(_("Why")), shown(reason_text(result), REASON_LIMIT))
        for warning in result.warnings:
            row(shown(_("Warning")), shown(warning_text(warning), REASON_LIMIT), "bold yellow")
        if result.format:
            row(shown(_("Format")), shown(result.format))
        if result.facts and not result.genuine:
            # What a seal that did not verify says is the forger's word: shown,
            # so the clerk can see what it pretends to be, but marked as such.
            row(shown(_("NOT VERIFIED")), shown(_("what this seal claims — do not rely on it:")), "bold red")
        facts, hidden = bounded_facts(result)
        for text, value in fact_lines(result.format, facts):
            row(shown(text), shown(value))
        if hidden:
            more = ngettext("and {count} more field (see --json)", "and {count} more fields (see --json)", hidden)
            row(shown("…"), shown(more.format(count=hidden)))
        if result.status is Status.NOT_A_SEAL and result.payload:
            row(shown(_("Content")), shown(result.payload))
        if result.document is not None:
            words, style = document_line(result)
            row(shown(_("Document file")), shown(words), style)
        return rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.cells import cell_len
        from rich.measure import Measurement
        from rich.panel import Panel
        from rich.table import Table

        from .display import Lines

        _, _, colour = STYLE[self.result.status]
        verdict = shown(headline(self.result)).rich(colour)
        body = Table.grid(padding=(0, 2))
        # Labels come from the seal too (unknown record keys): folded in a
        # narrow column rather than pushing the values off the screen.
        body.add_column(style="bold", max_width=24, overflow="fold")
        body.add_column(overflow="fold")
        for label, value in self.rows():
            body.add_row(label, value)

        width = options.max_width
        titled = cell_len(verdict.plain) + 6 <= width
        inner = max(1, min(Measurement.get(console, options, body).maximum, width - 4))
        if titled:
            inner = max(inner, cell_len(verdict.plain) + 2)
        head_lines = 0 if titled else len(console.render_lines(verdict, options.update_width(width), pad=False))
        lines = console.render_lines(body, options.update(width=inner, height=None), pad=True)
        budget = MAX_BLOCK_LINES - 2 - 2 * head_lines
        if len(lines) > budget:
            # Whatever fills the middle, the block keeps its size: the closing
            # headline stays on the clerk's screen.
            note_options = options.update(width=inner, height=None)
            probe = console.render_lines(shown(_more_lines(10000)).rich(), note_options)
            keep = max(0, budget - len(probe))
            note = shown(_more_lines(len(lines) - keep)).rich("dim")
            lines = [*lines[:keep], *console.render_lines(note, note_options, pad=True)][:budget]
        panel = Panel(
            Lines(lines),
            title=verdict if titled else None,
            subtitle=verdict if titled else None,
            title_align="left",
            subtitle_align="left",
            border_style=colour,
            expand=False,
            width=inner + 4,
        )
        if titled:
            yield panel
        else:
            # Too narrow for the verdict in the border: it goes above and below, whole.
            yield verdict
            yield panel
            yield verdict

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.measure import Measurement

        return Measurement(1, options.max_width)


def _more_lines(count: int) -> str:
    return "… " + ngettext("{count} more line (see --json)", "{count} more lines (see --json)", count).format(
        count=count
    )


def fact_lines(format_name: str | None, facts: Iterable[Fact]) -> list[tuple[str, str]]:
    """(label, value) of each fact as a person reads them: a label the format names itself in
    the language in use, one the seal brought as it is; times in local time with the zone."""
    from .i18n import local_times_in

    known = known_fact_labels(format_name)
    return [
        (label_text(f.label, known), local_times_in(f.value) if f.label in known else f.value) for f in facts
    ]
def document_line(result: VerificationResult) -> tuple[str, str]:
    """What the panel says of the document in hand (in the language in use), and the label's style."""
    check = result.document
    if check is None or check.match is None:
        return _("the seal carries no hash of its document: compare it by eye"), "bold yellow"
    if check.match:
        return _("matches the document this seal was made for"), "bold"
    return _("DOES NOT MATCH: this is not the document the seal was made for"), "bold red"


def bounded_facts(result: VerificationResult) -> tuple[list[Fact], int]:
    """The facts to show, and how many more were left out: every fact the format names
    itself, and at most MAX_EXTRA_FACTS others (unknown record keys, in order)."""
    known = set(known_fact_labels(result.format))
    facts: list[Fact] = []
    extra = hidden = 0
    for fact in result.facts:
        if fact.label in known:
            known.discard(fact.label)  # a label the format knows counts as known once
        elif extra < MAX_EXTRA_FACTS:
            extra += 1
        else:
            hidden += 1
            continue
        facts.append(fact)
    return facts, hidden


def known_fact_labels(format_name: str | None) -> frozenset[str]:
    """The labels a format gives the facts it names itself (its ``fact_labels``), not taken
    from the seal. Every other fact counts against MAX_EXTRA_FACTS."""
    if format_name is None:
        return frozenset()
    from .formats import format_named

    return frozenset(getattr(format_named(format_name), "fact_labels", ()))


class Summary:
    """Counts of verdicts over a run, for the closing line."""

    def __init__(self) -> None:
        self.counts: Counter[Status] = Counter()
        self.sources = 0
        self.sources_without_seal = 0
        self.wrong_documents = 0

    def add(self, results: Iterable[VerificationResult]) -> None:
        """Count the results of one input (an image, a payload, a seal seen live)."""
        results = list(results)
        self.sources += 1
        self.counts.update(r.status for r in results)
        self.wrong_documents += sum(1 for r in results if r.document_mismatch)
        if not any(r.is_seal for r in results):
            self.sources_without_seal += 1

    @property
    def exit_code(self) -> int:
        """0 all genuine; 1 a seal is not genuine, or is on another document than the one
        given; 2 an input was unreadable; 3 an input holds no seal."""
        if self.rejected or self.wrong_documents:
            return 1
        if self.counts[Status.ERROR]:
            return 2
        if self.sources_without_seal or not self.sources:
            return 3
        return 0

    @property
    def rejected(self) -> int:
        return sum(n for s, n in self.counts.items() if s.is_seal_verdict and s is not Status.GENUINE)

    def parts(self, no_code: bool = True) -> list[str]:
        """The counts, in words: "1 genuine", "2 rejected" ..."""
        parts = [
            _("{count} genuine").format(count=self.counts[Status.GENUINE]),
            _("{count} rejected").format(count=self.rejected),
        ]
        if no_code:
            parts.append(_("{count} no code").format(count=self.counts[Status.NO_CODE]))
        if self.counts[Status.NOT_A_SEAL]:
            parts.append(_("{count} not a seal").format(count=self.counts[Status.NOT_A_SEAL]))
        if self.wrong_documents:
            parts.append(_("{count} for another document").format(count=self.wrong_documents))
        if self.counts[Status.ERROR]:
            parts.append(_("{count} unreadable").format(count=self.counts[Status.ERROR]))
        return parts

    def line(self) -> str:
        inputs = ngettext("{count} input", "{count} inputs", self.sources).format(count=self.sources)
        return _("{inputs}: {counts}").format(inputs=inputs, counts=_(", ").join(self.parts()))
