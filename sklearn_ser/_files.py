"""Reading only regular files: never a FIFO, a device or a socket.

Audio files, model files and the feature cache's entries are opened the
same way: read-only, without blocking (a FIFO would wait for a writer) and
checked on the open descriptor, so that what is checked is what is read.
A FIFO, a device (also behind a symbolic link, e.g. to ``/dev/zero``,
which never ends) or a socket is refused before a byte is read.
"""

import os
import stat

__all__ = ["NotRegularFile", "file_kind", "open_regular_fd"]

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device (such as /dev/zero)"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode):
    """What a file that is not a regular file is, in words.

    Parameters
    ----------
    mode : int
        ``st_mode`` of its ``stat``.

    Returns
    -------
    kind : str
        E.g. ``"a FIFO (named pipe)"``; ``"not a regular file"`` for a kind
        without a name.
    """
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


class NotRegularFile(ValueError):
    """``path`` is not a regular file; ``mode`` is its ``st_mode``."""

    def __init__(self, path, mode):
        super().__init__(f"{path!r} is {file_kind(mode)}, not a regular file.")
        self.path = path
        self.mode = mode


def open_regular_fd(path):
    """``(fd, info)``: ``path`` opened read-only without blocking, and its ``stat``.

    Parameters
    ----------
    path : str or bytes
        The file (a symbolic link counts as its target).

    Returns
    -------
    fd : int
        A read-only descriptor, non-blocking and closed on exec.
    info : os.stat_result
        The ``stat`` of the open descriptor.

    Raises
    ------
    NotRegularFile
        If the open descriptor is not a regular file (it is closed).
    OSError
        What ``os.open`` raises (e.g. ``FileNotFoundError``).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotRegularFile(path, info.st_mode)
    return fd, info
