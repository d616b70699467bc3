"""Only regular files are opened for reading; the others are named."""

import os
import re
import socket

import pytest

from sklearn_ser._files import NotRegularFile, file_kind, open_regular_fd


def test_a_regular_file_opens_without_blocking(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    fd, info = open_regular_fd(str(path))
    try:
        assert info.st_size == 3 and os.read(fd, 8) == b"abc"
        assert not os.get_inheritable(fd)
    finally:
        os.close(fd)


def _special_files(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    yield fifo, "a FIFO (named pipe)"
    yield tmp_path, "a directory"
    if os.path.exists("/dev/zero"):
        link = tmp_path / "zero"
        link.symlink_to("/dev/zero")
        yield link, "a character device (such as /dev/zero)"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_other_files_are_refused_naming_their_kind(tmp_path):
    seen = 0
    for path, kind in _special_files(tmp_path):
        with pytest.raises(NotRegularFile, match=re.escape(f"is {kind}, not a")) \
                as info:
            open_regular_fd(str(path))  # a FIFO without a writer: no wait
        assert file_kind(info.value.mode) == kind
        seen += 1
    assert seen >= 2


def test_a_socket_and_an_unknown_kind_are_named(tmp_path):
    with socket.socket(socket.AF_UNIX) as sock:
        path = tmp_path / "s"
        sock.bind(str(path))
        assert file_kind(os.stat(path).st_mode) == "a socket"
    assert file_kind(0) == "not a regular file"
