"""`scanverify live`: verify what a camera (or a video) sees."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import click

from .cli_common import EXIT_USAGE, error_line, options_from, verification_options
from .display import echo, fancy, json_line, make_console, shown
from .i18n import gettext as _
from .i18n import ngettext

__all__ = ["live"]


@click.command("live")
@click.option("--camera", type=int, default=0, show_default=True, metavar="N", help="Camera number.")
@click.option("--source", default=None, metavar="FILE|URL", help="A video file or stream URL instead of a camera.")
@click.option("--headless", is_flag=True, help="No window: a terminal view (the default without a display).")
@click.option("--once", is_flag=True, help="Stop after the first seal; exit 0 if it is genuine, 1 if not.")
@click.option(
    "--repeat-after",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Report a seal again after it has been out of view this long.",
)
@verification_options
def _live(camera: int, source: str | None, headless: bool, once: bool, repeat_after: float, **kwargs: Any) -> None:
    """Verify every seal a camera (or video) sees; each distinct seal is reported once.

    \b
      scanverify live                      camera 0, window if there is a display
      scanverify live --camera 1 --once    stop at the first seal; exit 0 if genuine
      scanverify live --source clip.mp4    a recording or stream URL, to its end

    Takes the same verification options as image verification. Every frame
    gets a fast decode; a frame in which a code was just lost (and, once a
    second, any frame) is decoded again at up to --effort (fast: never).
    --json streams one JSON line per distinct code and opens no window. Ends
    with q or Esc in the window, Ctrl-C, or at the end of a video.

    \b
    Exit status: 0 seals seen, all genuine; 1 a seal is not genuine;
    2 the camera or video cannot be read; 3 no seal seen.
    """
    from .livescan import CameraError, LiveStats, scan, source_name
    from .render import Summary, render_result

    options = options_from(kwargs)
    verifier = options.verifier()
    target: int | str = source if source is not None else camera
    seen: list[Any] = []
    stats = LiveStats()
    console = make_console()
    window = None
    if not headless and not options.as_json:
        from .live_view import open_window

        window = open_window(shown(_("scanverify live — {source}").format(source=source_name(target))))
    view: Any = None
    # The live table redraws itself with cursor moves: only on a terminal that
    # may have escapes (not with NO_COLOR, TERM=dumb or a pipe: then panels).
    if window is None and not options.as_json and fancy(sys.stdout):
        from .live_view import TerminalView

        view = TerminalView(console, stats, source_name(target))
    last: list[Any] = []
    failure: str | None = None

    def on_frame(frame: Any) -> bool:
        if view is not None:
            view.tick()
        if window is None:
            return False
        from .live_view import draw_overlay

        results = [r.redacted() for r in frame.results] if options.redact else frame.results
        image = draw_overlay(frame.image, frame.codes, results, last[-1] if last else None)
        return not window.show(image)

    results = scan(
        target,
        verifier=verifier,
        effort=options.effort,  # type: ignore[arg-type]  # a click.Choice of the three efforts
        repeat_after=repeat_after,
        on_frame=on_frame,
        stats=stats,
    )
    try:
        with contextlib.closing(results), view if view is not None else contextlib.nullcontext():
            for result in results:
                public = result.redacted() if options.redact else result
                last.append(public)
                del last[:-1]
                seen.append(result)
                options.audit([result])
                if options.as_json:
                    sys.stdout.write(json_line(public.to_json()) + "\n")
                    sys.stdout.flush()
                elif view is not None:
                    view.add(public)
                else:
                    console.print(render_result(public))
                if window is not None:
                    from .render import verdict_words

                    window.set_title(shown(_("scanverify live — {verdict}").format(verdict=verdict_words(public))))
                if once and result.is_seal:
                    break
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a camera run ends: say what was seen
    except CameraError as exc:
        failure = exc.diagnostics()
    finally:
        if window is not None:
            window.destroy()
    if failure is not None:
        error_line(None, failure)
    # The whole run is one input: 0 seals seen and all genuine, 1 one is not,
    # 3 no seal seen; codes that are not seals (a URL on the page) are shown but
    # do not change it. With --once the run ends at its first seal.
    summary = Summary()
    summary.add(seen)
    if not options.quiet and (failure is None or seen):
        echo(_closing_line(summary, len(seen), stats), err=True)
    sys.exit(EXIT_USAGE if failure is not None else summary.exit_code)


live: click.Command = _live


def _closing_line(summary: Any, codes: int, stats: Any) -> str:
    frames = ngettext("{count} frame decoded", "{count} frames decoded", stats.frames_decoded).format(
        count=stats.frames_decoded
    )
    if stats.frames_dropped:
        frames += _(", {count} skipped to keep up").format(count=stats.frames_dropped)
    seen = ngettext("live: {count} distinct code seen", "live: {count} distinct codes seen", codes).format(count=codes)
    return _("{seen}: {counts} ({frames})").format(seen=seen, counts=_(", ").join(summary.parts(no_code=False)), frames=frames)
