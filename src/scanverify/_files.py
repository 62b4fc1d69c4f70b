"""Which paths may be opened as input files: regular files only.

A FIFO blocks its reader until a writer comes (forever, for a clerk's batch),
a device such as /dev/zero never ends, and a socket cannot be read as a file:
each is refused from its stat, before it is opened, and again from the open
descriptor (the name may have been swapped in between).
"""

from __future__ import annotations

import os
import stat

__all__ = ["open_regular", "package_data", "special_file_problem"]

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def _kind(mode: int) -> str | None:
    """None for a regular file, else what the file is, in words."""
    if stat.S_ISREG(mode):
        return None
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def special_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why `path` must not be opened as an input file, or None (a regular file, or nothing there).

    A missing or unreadable path gives None: opening it says what is wrong.
    Symbolic links are followed, as opening does.
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    kind = _kind(mode)
    return None if kind is None else f"is {kind}, not a regular file"


def open_regular(path: str | os.PathLike[str]) -> tuple[int, str | None]:
    """A read-only descriptor for `path` and None, or -1 and why it is refused.

    Raises OSError when the path cannot be opened at all (missing, no permission).
    """
    problem = special_file_problem(path)
    if problem is not None:
        return -1, problem
    # O_NONBLOCK: should the name have become a FIFO since the stat above, the
    # open returns at once instead of waiting for a writer (it is refused just
    # below); on a regular file the flag changes nothing.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    kind = _kind(os.fstat(fd).st_mode)
    if kind is not None:
        os.close(fd)
        return -1, f"is {kind}, not a regular file"
    return fd, None


def package_data(*parts: str) -> bytes:
    """A file shipped in scanverify's ``data`` folder.

    Read straight from the package's folder in the usual install (importing
    importlib.resources costs a command ~10 ms at every start); through
    importlib.resources when the package is not plain files (a zip).
    """
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", *parts)
    try:
        with open(path, "rb") as file:
            return file.read()
    except (FileNotFoundError, NotADirectoryError):
        from importlib import resources

        return resources.files("scanverify").joinpath("data", *parts).read_bytes()
