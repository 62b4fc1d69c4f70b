"""Decoding many images: one after another for a few, in a pool of warmed processes for many.

:meth:`scanverify.Verifier.verify_many` is the public way in; this module holds
its machinery. Only decoding is spread over processes: the verdicts are made
in the caller's process with the caller's Verifier, so trust keys never cross
a process boundary and a verdict never depends on what a worker was sent.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ImageError

if TYPE_CHECKING:
    from .decode import DecodedCode, Effort, ImageSource

__all__ = [
    "MANY",
    "WORKER_BASE_BYTES",
    "WORKER_BYTES_PER_PIXEL",
    "Failed",
    "available_memory",
    "decode_many",
    "decode_one",
    "pooled",
    "worker_count",
]

#: Up to this many inputs are decoded in the caller's process: a pool's start costs
#: more than it saves.
MANY = 4
#: What one decoding process may need at most, per pixel of the largest image
#: allowed, plus its imports (measured by benchmarks/memory.py: a 120 MP RGBA
#: PNG peaks at ~650 MB, about 5 bytes a pixel over ~80 MB of imports).
WORKER_BYTES_PER_PIXEL = 6
WORKER_BASE_BYTES = 150 << 20

T = TypeVar("T")


@dataclass(frozen=True)
class Failed:
    """An input that gave no codes: why, and whether it was a bug in scanverify or the input's fault."""

    reason: str
    internal: bool = False


def internal_reason(exc: BaseException) -> str:
    return f"internal error: {type(exc).__name__}: {exc} (please report this)"


def decode_one(image: ImageSource, effort: Effort, max_pixels: int | None = None) -> list[DecodedCode] | Failed:
    """The codes in one input, or a Failed saying why there are none. Never raises (but Ctrl-C)."""
    from . import decode

    try:
        # Looked up on the module at each call (not bound at import): a test may stand in for it.
        if max_pixels is None:
            return decode.decode_image(image, effort=effort)
        return decode.decode_image(image, effort=effort, max_pixels=max_pixels)
    except ImageError as exc:
        return Failed(_strip_source(exc.diagnostics(), image))
    except MemoryError:
        return Failed("not enough memory to decode this image")
    except Exception as exc:
        # A bug, not the input's fault: said on this input's row, and the
        # batch goes on to the next.
        return Failed(internal_reason(exc), internal=True)


def _strip_source(message: str, image: object) -> str:
    # The row already names its source: the reason need not say it again.
    # diagnostics() folds whitespace into single spaces: a name with newlines is folded too.
    name = os.fspath(image) if isinstance(image, (str, os.PathLike)) else f"<{type(image).__name__}>"
    for prefix in (name, " ".join(name.split())):
        if message.startswith(f"{prefix}: "):
            return message[len(prefix) + 2 :]
    return message


def decode_many(
    images: Sequence[ImageSource], *, effort: Effort, workers: int | None = None, max_pixels: int | None = None
) -> Iterator[list[DecodedCode] | Failed]:
    """decode_one for every image, in input order; spread over processes when there are many."""
    if not images:
        return
    count = 1 if len(images) <= MANY else workers or worker_count(len(images), max_pixels=max_pixels)
    if min(count, len(images)) < 2:
        for image in images:
            yield decode_one(image, effort, max_pixels)
        return
    count = min(count, len(images))
    yield from pooled(_decode_in_worker, images, count, initializer=_warm, initargs=(effort, max_pixels))


# ---- in a worker: the settings are sent once, with the start of the process ----
_settings: tuple[Effort, int | None] = ("normal", None)


def _warm(effort: Effort, max_pixels: int | None) -> None:
    """A worker's initializer: keep the settings and import the decode stack once, before the first image."""
    global _settings
    _settings = (effort, max_pixels)
    from .decode import _engine

    # The first pass's decoder and its image stack; OpenCV stays unloaded
    # until an image needs escalation.
    _engine.decoders()
    _engine._available("zxing-cpp")
    import numpy  # noqa: F401
    import PIL.Image  # noqa: F401


def _decode_in_worker(image: ImageSource) -> list[DecodedCode] | Failed:
    effort, max_pixels = _settings
    return decode_one(image, effort, max_pixels)


# ---- the pool --------------------------------------------------------------
def pooled(
    work: Callable[[Any], T],
    items: Sequence[Any],
    workers: int,
    *,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[T | Failed]:
    """work(item) for every item in a pool of processes, in input order.

    A process that dies (killed for memory, a crash inside a native decoder)
    breaks the whole pool; then the first item not yet reported is retried
    alone in a process of its own: if that dies too, the item gets a Failed;
    either way the rest go on in a new pool. Only the guilty item is lost.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # spawn, not fork: a forked child would inherit the caller's threads' state
    # (a progress bar's, a server's) half-way through.
    context = multiprocessing.get_context("spawn")
    start = 0
    while start < len(items):
        executor = ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs)
        broken = False
        try:
            futures = [executor.submit(work, item) for item in items[start:]]
            for future in futures:
                try:
                    item = future.result()
                except BrokenProcessPool:
                    broken = True
                    break
                start += 1
                yield item
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
        if broken:
            yield _alone(work, items[start], context, initializer, initargs)
            start += 1


def _alone(
    work: Callable[[Any], T],
    item: Any,
    context: Any,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
) -> T | Failed:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(1, mp_context=context, initializer=initializer, initargs=initargs) as executor:
        try:
            return executor.submit(work, item).result()
        except BrokenProcessPool:
            return Failed("the decoding process died on this image (out of memory, or a crash in a decoding library)")


def worker_count(inputs: int, *, max_pixels: int | None = None) -> int:
    """Decoding processes for `inputs` images: one per core, no more than memory allows.

    Each process is assumed to need what the largest image allowed costs (the
    pixel limit), so a batch of large scans never drives the machine into swap
    or the out-of-memory killer.
    """
    from .decode import DEFAULT_MAX_PIXELS

    per_worker = WORKER_BASE_BYTES + WORKER_BYTES_PER_PIXEL * (max_pixels or DEFAULT_MAX_PIXELS)
    available = available_memory()
    by_memory = max(1, available // per_worker) if available else 1
    return max(1, min(inputs, os.cpu_count() or 1, by_memory))


def available_memory() -> int | None:
    """Bytes of memory available to new work (MemAvailable), or None when it cannot be told."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
