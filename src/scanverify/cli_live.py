"""`scanverify live`: verify what a camera (or a video) sees."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .cli import options_from, verification_options


@click.command()
@click.option("--camera", type=int, default=0, show_default=True, help="Camera number.")
@click.option("--source", default=None, metavar="FILE|URL", help="A video file or stream URL instead of a camera.")
@click.option("--headless", is_flag=True, help="No window: a terminal view (the default without a display).")
@click.option("--once", is_flag=True, help="Stop after the first seal; exit 0 if genuine, 1 if not.")
@click.option(
    "--repeat-after",
    type=float,
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Report a seal again after it has been out of view this long.",
)
@verification_options
def live(camera: int, source: str | None, headless: bool, once: bool, repeat_after: float, **kwargs: Any) -> None:
    """Verify every seal a camera sees; each distinct seal is reported once.

    Takes the same verification options as image verification. Ends with q or
    Esc in the window, Ctrl-C, or at the end of a video file.
    """
    from .live_view import TerminalView, Window, display_available, draw_overlay
    from .livescan import LiveStats, scan
    from .render import Summary, render_result

    options = options_from(kwargs)
    verifier = options.verifier()
    summary = Summary()
    stats = LiveStats()
    effort = "fast" if options.effort == "normal" else options.effort  # every frame counts: the first pass
    window = Window() if not headless and not options.as_json and display_available() else None
    err = click.get_text_stream("stderr")
    last: list[Any] = [None]

    def on_frame(frame: Any) -> bool:
        if view is not None:
            view.tick()
        if window is None:
            return False
        image = draw_overlay(frame.image, frame.codes, frame.results, last[0])
        return not window.show(image)

    view: TerminalView | None = None
    code = 0
    try:
        from .render import make_console

        console = make_console()
        if window is None and not options.as_json and sys.stdout.isatty():
            view = TerminalView(console)
            view.__enter__()
        for result in scan(
            source if source is not None else camera,
            verifier=verifier,
            effort=effort,
            repeat_after=repeat_after,
            on_frame=on_frame,
            stats=stats,
        ):
            last[0] = result
            summary.add([result])
            shown = result.redacted() if options.redact else result
            if options.as_json:
                sys.stdout.write(json.dumps(shown.to_json(), ensure_ascii=False) + "\n")
                sys.stdout.flush()
            elif view is not None:
                view.add(shown)
            else:
                console.print(render_result(shown))
            if window is not None:
                window.set_title(f"scanverify live — {shown.verdict_text}")
            if once and result.is_seal:
                break
    except KeyboardInterrupt:
        pass
    finally:
        if view is not None:
            view.__exit__(None, None, None)
        if window is not None:
            window.destroy()
    code = summary.exit_code if summary.sources else 3
    if not options.quiet:
        err.write(f"{summary.line()} ({stats.frames_decoded} frames decoded, {stats.frames_dropped} dropped)\n")
    sys.exit(code)
