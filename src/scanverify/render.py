"""How a verdict looks to a person: a word and a symbol, never colour alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .display import REASON_LIMIT, Shown, make_console, shown
from .model import Fact, Status, VerificationResult

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.measure import Measurement
    from rich.text import Text

__all__ = ["STYLE", "SealBlock", "Summary", "document_line", "headline", "make_console", "render_result"]

#: Symbol, word and colour per status. The symbol and word carry the meaning;
#: colour only repeats it, for screens and eyes that lack it.
STYLE: dict[Status, tuple[str, str, str]] = {
    Status.GENUINE: ("✔", "GENUINE", "bold green"),
    Status.FORGED: ("✘", "FORGED", "bold red"),
    Status.MALFORMED: ("✘", "MALFORMED", "bold red"),
    Status.UNTRUSTED: ("✘", "UNTRUSTED ISSUER", "bold red"),
    Status.REVOKED: ("✘", "REVOKED", "bold red"),
    Status.EXPIRED: ("✘", "EXPIRED", "bold red"),
    Status.NOT_YET_VALID: ("✘", "NOT YET VALID", "bold red"),
    Status.NOT_A_SEAL: ("•", "NOT A SEAL", "yellow"),
    Status.NO_CODE: ("?", "NO CODE FOUND", "yellow"),
    Status.ERROR: ("!", "ERROR", "bold magenta"),
}


def headline(result: VerificationResult) -> str:
    """The verdict in words, with its symbol: "✘ UNTRUSTED ISSUER". Only scanverify's own words."""
    symbol, word, _ = STYLE[result.status]
    return f"{symbol} {result.qualified(word, specimen=' — SPECIMEN')}"


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
            row(shown("SPECIMEN"), shown("test issuer — this is not a real document"), "bold black on yellow")
        row(shown("Source"), shown(result.source))
        row(shown("Why"), shown(result.reason, REASON_LIMIT))
        for warning in result.warnings:
            row(shown("Warning"), shown(warning, REASON_LIMIT), "bold yellow")
        if result.format:
            row(shown("Format"), shown(result.format))
        if result.facts and not result.genuine:
            # What a seal that did not verify says is the forger's word: shown,
            # so the clerk can see what it pretends to be, but marked as such.
            row(shown("NOT VERIFIED"), shown("what this seal claims — do not rely on it:"), "bold red")
        facts, hidden = bounded_facts(result)
        for fact in facts:
            row(shown(fact.label), shown(fact.value))
        if hidden:
            noun = "field" if hidden == 1 else "fields"
            row(shown("…"), shown(f"and {hidden} more {noun} (see --json)"))
        if result.status is Status.NOT_A_SEAL and result.payload:
            row(shown("Content"), shown(result.payload))
        if result.document is not None:
            words, style = document_line(result)
            row(shown("Document file"), shown(words), style)
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
            probe = console.render_lines(shown("… 0000 more lines (see --json)").rich(), note_options)
            keep = max(0, budget - len(probe))
            note = shown(f"… {len(lines) - keep} more lines (see --json)").rich("dim")
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


def document_line(result: VerificationResult) -> tuple[str, str]:
    """What the panel says of the document in hand, and the label's style."""
    check = result.document
    if check is None or check.match is None:
        return "the seal carries no hash of its document: compare it by eye", "bold yellow"
    if check.match:
        return "matches the document this seal was made for", "bold"
    return "DOES NOT MATCH: this is not the document the seal was made for", "bold red"


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

    def line(self) -> str:
        parts = [
            f"{self.counts[Status.GENUINE]} genuine",
            f"{self.rejected} rejected",
            f"{self.counts[Status.NO_CODE]} no code",
        ]
        if self.counts[Status.NOT_A_SEAL]:
            parts.append(f"{self.counts[Status.NOT_A_SEAL]} not a seal")
        if self.wrong_documents:
            parts.append(f"{self.wrong_documents} for another document")
        if self.counts[Status.ERROR]:
            parts.append(f"{self.counts[Status.ERROR]} unreadable")
        noun = "input" if self.sources == 1 else "inputs"
        return f"{self.sources} {noun}: " + ", ".join(parts)
