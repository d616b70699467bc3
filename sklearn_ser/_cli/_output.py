"""What the commands print and write: names made safe, valid JSON, whole files.

- :func:`shown`: a file name, label or speaker as text output shows it. A
  tab, a newline or a terminal escape sequence in a name would forge
  result lines or drive the terminal; such names are printed quoted, with
  escapes.
- :func:`to_json`: JSON text that any parser reads (no bare ``NaN``).
- :func:`write_atomically`: a result file is written whole under a
  temporary name in its folder, then renamed; a failure leaves no partial
  file and names the file.
"""

import json
import math
import os
import tempfile

from ._common import CLIError

__all__ = ["counts", "shown", "to_json", "write_atomically"]

_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def shown(name):
    """``name`` for text output: as it is, or quoted with escapes.

    A name made of printable characters without quotes or backslashes is
    shown as it is (``clip é.wav``). Any other name is shown between double
    quotes, with ``\\t``, ``\\n``, ``\\r``, ``\\"``, ``\\\\`` and ``\\xNN`` /
    ``\\uNNNN`` for the other characters that are not printable (control
    characters such as the ESC of terminal escape sequences, line and
    paragraph separators), so that one name is one field of one line.

    Parameters
    ----------
    name : object
        A file name, label, speaker or group (converted with ``str``).

    Returns
    -------
    text : str

    Examples
    --------
    >>> from sklearn_ser._cli._output import shown
    >>> shown("clip é.wav")
    'clip é.wav'
    >>> print(shown("a\\tb\\x1b[31m.wav"))
    "a\\tb\\x1b[31m.wav"
    """
    text = str(name)
    if all(ch.isprintable() and ch not in "\"\\" for ch in text):
        return text
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def counts(labels):
    """``"ang 3, hap 2"``: the count of each label, labels shown safely."""
    import numpy as np

    values, n = np.unique(np.asarray(labels), return_counts=True)
    return ", ".join(f"{shown(v)} {c}" for v, c in zip(values.tolist(), n.tolist(),
                                                       strict=True))


def _finite_or_none(value):
    """``value`` with every non-finite float replaced by None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(v) for v in value]
    return value


def to_json(value, **kwargs):
    """JSON text of plain values; a non-finite float becomes ``null``.

    ``json.dumps`` writes ``NaN`` and ``Infinity``, which are not JSON and
    which strict parsers refuse. Predictions are checked for finite values
    before they get here (a non-finite prediction is an error); a score
    that is undefined (e.g. a correlation of constant values) is ``null``.
    """
    return json.dumps(_finite_or_none(value), allow_nan=False, **kwargs)


def write_atomically(path, write, what):
    """Write a file through ``write(file object)``, whole or not at all.

    Parameters
    ----------
    path : str or path
        The file to write (replaced if it exists).
    write : callable
        Called with the temporary file, opened for writing in binary mode.
    what : str
        The file in words, for the error message (e.g. ``"--plot"``).

    Raises
    ------
    CLIError
        Naming ``path``, if the file cannot be written (a full disk, a
        folder without write permission); nothing is left behind. A
        symbolic link is written through: the file it points to is
        replaced.
    """
    given = os.fspath(path)
    path = os.path.realpath(given)
    folder = os.path.dirname(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sklearn_ser_",
                                   suffix=os.path.splitext(path)[1])
    except OSError as exc:
        raise CLIError(f"{what} {given!r} cannot be written: "
                       f"{exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise CLIError(f"{what} {given!r} cannot be written: "
                           f"{exc.strerror or exc}; nothing was written") from None
        raise
