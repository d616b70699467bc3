"""The container of a model file: its members, JSON values and arrays.

A model file is a zip archive with three members, and one more per
scikit-learn step:

``metadata.json``
    The format name and version, the library version, and for each step its
    class name, its constructor parameters and its fitted scalar attributes,
    all as JSON.
``arrays.npz``
    The fitted array attributes of the steps (scaler statistics, classes,
    ...), read with ``numpy.load(..., allow_pickle=False)``.
``weights.npz``
    The weights of each network (its ``state_dict`` as float arrays), read the
    same way.
``sklearn/<step index>.skops``
    A step that is one of scikit-learn's estimators, as a skops archive
    (:mod:`._skops`); format version 2.

Versions: :data:`FORMAT_VERSION` is the newest format this library writes
and :data:`READABLE_VERSIONS` those it reads. ``save`` writes the oldest
format that holds the model (1 unless a step is a scikit-learn estimator),
so that older versions of the library read what they can. A file of a newer
format is refused with the library version it needs, which files of format
2 and later record.

Parameter values are tagged JSON (:mod:`._values`); reading is in
:mod:`._reader`. Nothing is unpickled and no class is looked up by name
outside the persistence registry (:mod:`._registry`).
"""

import contextlib
import io
import os
import re
import stat
import tempfile
import zipfile

import numpy as np

from .._files import NotRegularFile, file_kind, open_regular_fd

FORMAT_NAME = "sklearn-ser-model"
#: The newest format version this library writes.
FORMAT_VERSION = 2
#: The format versions this library reads.
READABLE_VERSIONS = (1, 2)
#: The first library version that reads each format version.
FIRST_READ_BY = {1: "0.1.0", 2: "0.1.0"}

METADATA = "metadata.json"
ARRAYS = "arrays.npz"
WEIGHTS = "weights.npz"
MEMBERS = (METADATA, ARRAYS, WEIGHTS)
#: Member names of the scikit-learn steps: ``sklearn/<step index>.skops``.
SKOPS_MEMBER = re.compile(r"^sklearn/(0|[1-9][0-9]{0,3})\.skops$")
#: The most scikit-learn steps one model file may hold.
MAX_SKOPS_MEMBERS = 64

#: The most bytes each member may hold once decompressed. A model file of the
#: paper's network holds about 4 MB of weights; a file whose members declare,
#: or inflate to, more than these is refused before (or while) it is read, so
#: a small file cannot make ``load`` allocate gigabytes (a zip bomb).
MEMBER_LIMITS = {
    METADATA: 8 * 2**20,
    ARRAYS: 64 * 2**20,
    WEIGHTS: 256 * 2**20,
}
#: The most bytes the scikit-learn steps may hold, all together (an SVC on
#: the functionals of IEMOCAP holds about 10 MB of support vectors).
SKOPS_LIMIT = 64 * 2**20
#: Arrays one ``.npz`` member may hold (a step has a handful of fitted
#: arrays; the paper's network has 26 weights).
MAX_ARRAYS = 4096
_CHUNK = 2**20


# ---------------------------------------------------------------------------
# Writing and reading the archive
# ---------------------------------------------------------------------------


def npz_bytes(arrays):
    """The ``.npz`` archive of ``{name: array}``, as bytes."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _write_members(target, members):
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def default_file_mode():
    """Permissions of a new file under the process umask (0o666 & ~umask).

    :func:`tempfile.mkstemp` creates files readable by their owner only; a
    file moved into place from one gets these permissions instead, those
    of a file that ``open(path, "w")`` would have made.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_zip(members, path):
    """Write ``{member name: bytes}`` to a path (atomically) or a file object."""
    if hasattr(path, "write"):
        _write_members(path, members)
        return
    write_atomically(path, lambda f: _write_members(f, members), "the model")


def write_atomically(path, write, what):
    """Write a file through ``write(file object)``, all or nothing.

    The content goes to a temporary file in the target's folder, which
    replaces the target only once it is complete: an interrupted or failed
    write (a full disk, Ctrl-C) leaves an existing file as it was and no
    partial file behind. A symbolic link is written through (the file it
    points to is replaced, the link stays); anything but a regular file at
    the target is refused.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    write : callable
        ``write(f)`` writes the content to the binary file object ``f``.
    what : str
        How messages name the content (``"the model"``).

    Raises
    ------
    IsADirectoryError
        If ``path`` is a directory.
    ValueError
        If ``path`` is a device, a FIFO or a socket.
    FileNotFoundError
        If the folder of ``path`` does not exist.
    """
    path = os.fspath(path)
    real = os.path.realpath(path)
    if os.path.isdir(real):
        raise IsADirectoryError(
            f"Cannot save {what} to {path!r}: it is a directory; expected the "
            "path of a file.")
    if os.path.exists(real) and not os.path.isfile(real):
        raise ValueError(
            f"Cannot save {what} to {path!r}: it is not a regular file (a "
            "device, FIFO or socket); expected the path of a file.")
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save {what} to {path!r}: the folder {folder!r} does not exist."
        )
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sklearn_ser_", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def open_regular(path, label):
    """A binary file object of the regular file ``path``; anything else refused.

    The file is opened without blocking (a FIFO would wait for a writer)
    and its type is read from the open descriptor, so that what is checked
    is what is read: a FIFO, a device (also behind a symbolic link, e.g. to
    ``/dev/zero``, which never ends) or a socket is refused before a byte
    is read.

    Parameters
    ----------
    path : str
        The path to open.
    label : str
        How messages name the file.

    Returns
    -------
    file : io.BufferedReader
        The open file, in blocking mode.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a directory.
    ValueError
        If ``path`` is not a regular file; the message names its kind.
    """
    try:
        fd, _ = open_regular_fd(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"Model file {label} does not exist.") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"Model file {label} is a directory, not a file.") from None
    except NotRegularFile as exc:
        if stat.S_ISDIR(exc.mode):
            raise IsADirectoryError(
                f"Model file {label} is a directory, not a file.") from None
        raise ValueError(
            f"Model file {label} is {file_kind(exc.mode)}, not a regular file; a "
            "model file is the regular file written by sklearn_ser.save.") from None
    try:
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def field(mapping, key, types, where):
    """``mapping[key]``, which must exist and be of ``types`` (else ValueError)."""
    if not isinstance(mapping, dict) or key not in mapping:
        raise ValueError(f"{where} lacks the field {key!r}.")
    value = mapping[key]
    if not isinstance(value, types):
        raise ValueError(f"{where}: field {key!r} has an unexpected type "
                         f"{type(value).__name__}.")
    return value


METADATA_KEYS = {"format", "format_version", "library_version", "written_with",
                 "kind", "pipeline_params", "steps", "not_saved",
                 "needs_library_version"}
STEP_KEYS = {"name", "class", "params", "attributes", "arrays", "weights", "history"}
#: The fields of a scikit-learn step (format 2).
SKOPS_STEP_KEYS = {"name", "class", "skops"}


def check_keys(mapping, allowed, where):
    """Refuse the keys of ``mapping`` outside ``allowed`` (ValueError)."""
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ValueError(f"{where} has unknown field(s) {unknown}; refused.")

