"""Which paths may be opened as input files: regular files only.

A FIFO blocks its reader until a writer comes (forever, for a clerk's batch),
a device such as /dev/zero never ends, and a socket cannot be read as a file:
each is refused from its stat, before it is opened, and again from the open
descriptor (the name may have been swapped in between).
"""

from __future__ import annotations

import os
import stat

from .i18n import N_

__all__ = ["IS_DIRECTORY", "PROBLEMS", "open_regular", "package_data", "special_file_problem"]

#: The problem special_file_problem gives for a directory (callers that take one compare with it).
IS_DIRECTORY = N_("is a directory, not a regular file")

# The problems are English, whole sentences and catalogue messages: a verdict's
# reason (JSON) keeps them as they are, and a person is shown ``_(problem)``.
_KINDS = (
    (stat.S_ISFIFO, N_("is a FIFO (named pipe), not a regular file")),
    (stat.S_ISCHR, N_("is a character device, not a regular file")),
    (stat.S_ISBLK, N_("is a block device, not a regular file")),
    (stat.S_ISSOCK, N_("is a socket, not a regular file")),
    (stat.S_ISDIR, IS_DIRECTORY),
)
_OTHER = N_("is not a regular file")
#: Every problem special_file_problem can give.
PROBLEMS = frozenset({*(problem for _, problem in _KINDS), _OTHER})


def _kind(mode: int) -> str | None:
    """None for a regular file, else what is wrong with it (English; ``_()`` for a person)."""
    if stat.S_ISREG(mode):
        return None
    return next((problem for test, problem in _KINDS if test(mode)), _OTHER)


def special_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why `path` must not be opened as an input file, or None (a regular file, or nothing there).

    The answer is one of the English problems above, never translated: compared
    (``== IS_DIRECTORY``) and kept in JSON as it is; ``_(problem)`` shows it to a person.
    A missing or unreadable path gives None: opening it says what is wrong.
    Symbolic links are followed, as opening does.
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return _kind(mode)


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
        return -1, kind
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
