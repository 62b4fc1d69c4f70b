"""How a verdict looks to a person: a word and a symbol, never colour alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .model import Status, VerificationResult

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = ["STYLE", "Summary", "render_result"]

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
    symbol, word, _ = STYLE[result.status]
    return f"{symbol} {result.qualified(word, specimen=' — SPECIMEN')}"


def render_result(result: VerificationResult) -> RenderableType:
    """A panel: the verdict, the reason, then what the seal certifies."""
    from rich.console import Group
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    _, _, colour = STYLE[result.status]
    body = Table.grid(padding=(0, 2))
    body.add_column(style="bold", no_wrap=True)
    body.add_column(overflow="fold")
    if result.genuine and result.specimen:
        body.add_row(Text("SPECIMEN", style="bold black on yellow"), "test issuer — this is not a real document")
    body.add_row("Why", escape(result.reason))
    for warning in result.warnings:
        body.add_row(Text("Warning", style="bold yellow"), escape(warning))
    if result.format:
        body.add_row("Format", result.format)
    if result.facts and not result.genuine:
        # What a seal that did not verify says is the forger's word: shown,
        # so the clerk can see what it pretends to be, but marked as such.
        body.add_row(Text("NOT VERIFIED", style="bold red"), "what this seal claims — do not rely on it:")
    for fact in result.facts:
        body.add_row(escape(fact.label), escape(fact.value))
    if result.status is Status.NOT_A_SEAL and result.payload:
        body.add_row("Content", escape(result.payload[:300]))
    title = escape(result.source)
    # The verdict wraps rather than being cut: "genuine, but the trust list is
    # out of date" must be read whole on a narrow terminal.
    verdict = Text(headline(result), style=colour, overflow="fold")
    return Panel(Group(verdict, body), title=title, title_align="left", border_style=colour, expand=False)


class Summary:
    """Counts of verdicts over a run, for the closing line."""

    def __init__(self) -> None:
        self.counts: Counter[Status] = Counter()
        self.sources = 0
        self.sources_without_seal = 0

    def add(self, results: Iterable[VerificationResult]) -> None:
        """Count the results of one input (an image, a payload, a seal seen live)."""
        results = list(results)
        self.sources += 1
        self.counts.update(r.status for r in results)
        if not any(r.is_seal for r in results):
            self.sources_without_seal += 1

    @property
    def exit_code(self) -> int:
        """0 all genuine; 1 a seal is not genuine; 2 an input was unreadable; 3 an input holds no seal."""
        if self.rejected:
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
        if self.counts[Status.ERROR]:
            parts.append(f"{self.counts[Status.ERROR]} unreadable")
        noun = "input" if self.sources == 1 else "inputs"
        return f"{self.sources} {noun}: " + ", ".join(parts)


def make_console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)
