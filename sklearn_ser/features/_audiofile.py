"""Audio files: what is read, decoded in blocks with soundfile, and checked.

Only regular files are opened; a container that libsndfile cannot decode
is named in the error. :class:`AudioFile` validates every sample (decoder
overshoot within ``MAX_OVERSHOOT`` is clipped) and the length before
anything is extracted, and resamples to the extractor's rate.
"""

import io
import os
import stat
from math import gcd

import numpy as np

from .._paper import FRAME_WINDOW
from ._audio import (
    BLOCK,
    BadInput,
    check_input,
    check_length,
    describe,
    limit_samples,
    mixdown,
)
from ._notes import Level, Notes
from ._resample import resample_blocks

MIN_FILE_RATE, MAX_FILE_RATE = 1000, 768000
"""Sampling rates (Hz) an audio file may declare. A header outside them is
damaged or hostile: a 32 KB file that says 1 Hz would be resampled to
hundreds of millions of samples."""

READABLE_FORMATS = ("WAV (PCM, float, mu-law, A-law)", "FLAC", "OGG Vorbis",
                    "Opus (in OGG)", "MP3", "AIFF", "AU", "W64", "RF64", "CAF")
"""Containers and codecs of the files that are read (through soundfile's
libsndfile; MP3 and Opus need libsndfile 1.1 or newer, which the soundfile
wheels ship)."""

# Leading bytes of containers that libsndfile cannot read: (offset, bytes, name).
_UNREADABLE = (
    (4, b"ftyp", "an MP4/M4A container (AAC or ALAC audio)"),
    (0, b"\x1aE\xdf\xa3", "a Matroska/WebM container"),
    (0, b"0&\xb2u\x8ef\xcf\x11", "an ASF container (WMA audio)"),
    (0, b"#!AMR", "an AMR file"),
    (0, b".ra\xfd", "a RealAudio file"),
    (0, b"\x0bw", "an AC-3 stream"),
)


def _sniff(head):
    """The name of an unreadable format from a file's first bytes, or None."""
    for offset, magic, name in _UNREADABLE:
        if head[offset:offset + len(magic)] == magic:
            return name
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "an AAC stream (ADTS)"
    return None


def _head(source, n=16):
    if isinstance(source, bytes):
        return source[:n]
    try:
        with open(source, "rb") as f:
            return f.read(n)
    except OSError:
        return b""


def _soundfile_error(label, exc, source=None):
    reason = getattr(exc, "error_string", None) or str(exc)
    found = _sniff(_head(source)) if source is not None else None
    if found is not None:
        return BadInput(
            f"{label}: {found}, which soundfile (libsndfile) does not decode; "
            f"readable are {', '.join(READABLE_FORMATS)}. Convert the file first, "
            "e.g. ffmpeg -i in.m4a out.flac."
        )
    return BadInput(
        f"{label}: not a readable audio file (soundfile: {reason.strip()}); "
        f"expected one of {', '.join(READABLE_FORMATS)}."
    )


class AudioFile:
    """A file decoded in blocks with soundfile, validated before use.

    ``source`` is the path, or the file's bytes when they were read already
    (to hash them for the cache): decoding the same bytes guarantees that the
    cached features belong to the hashed content. Decoder overshoot (samples
    up to ``MAX_OVERSHOOT``) is clipped to [-1, 1]; :attr:`notes` tells what
    affects the features (its rate, its share of samples at full scale).
    """

    def __init__(self, source, label, sampling_rate, window=FRAME_WINDOW):
        self.source = source
        self.label = label
        self.sampling_rate = int(sampling_rate)
        self.window = window
        self.scan()

    def _open(self):
        import soundfile as sf

        source = self.source
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        else:  # bytes path: names that are not valid UTF-8 open too
            source = os.fsencode(source)
        try:
            return sf.SoundFile(source)
        except Exception as exc:  # libsndfile reports bad data in many ways
            raise _soundfile_error(self.label, exc, self.source) from None

    def _blocks(self, f, level=None):
        offset = 0
        while True:
            try:
                block = f.read(BLOCK, dtype="float32", always_2d=True)
            except Exception as exc:
                raise _soundfile_error(self.label, exc) from None
            if block.shape[0] == 0:
                return
            block = limit_samples(block, self.label, offset, clip=True, level=level)
            offset += block.shape[0]
            yield block

    def scan(self):
        """Validate every sample and the length; nothing is kept."""
        level = Level()
        with self._open() as f:
            self.rate = int(f.samplerate)
            if not MIN_FILE_RATE <= self.rate <= MAX_FILE_RATE:
                raise BadInput(
                    f"{self.label}: the file declares a sampling rate of "
                    f"{self.rate} Hz; expected {MIN_FILE_RATE} to {MAX_FILE_RATE} "
                    "Hz (its header is damaged, or it is not a recording)."
                )
            self.n_file = sum(block.shape[0] for block in self._blocks(f, level))
        self.notes = Notes(self.rate, level.share)
        if self.rate == self.sampling_rate:
            self.n = self.n_file
            original = None
        else:
            g = gcd(self.rate, self.sampling_rate)
            up, down = self.sampling_rate // g, self.rate // g
            self.n = -(-self.n_file * up // down)  # resample_poly's length
            original = (self.n_file, self.rate)
        check_length(self.n, self.label, self.sampling_rate, original, self.window)

    def blocks(self):
        """Mono float32 blocks at ``sampling_rate``."""
        if self.rate == self.sampling_rate:
            with self._open() as f:
                for block in self._blocks(f):
                    yield mixdown(block)
            return
        x = np.empty(self.n_file, dtype=np.float32)  # mono, filled block by block
        pos = 0
        with self._open() as f:
            for block in self._blocks(f):
                x[pos:pos + block.shape[0]] = mixdown(block)
                pos += block.shape[0]
        g = gcd(self.rate, self.sampling_rate)
        yield from resample_blocks(x[:pos], self.sampling_rate // g, self.rate // g)


def _not_regular(label, mode):
    kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)"
            if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode)
            or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    if stat.S_ISDIR(mode):
        return BadInput(f"{label}: is a directory; expected an audio file.")
    return BadInput(f"{label}: is {kind}, not a regular file; expected an audio "
                    "file (reading it could block or never end).")


def check_file(path, label):
    """Map the ways a path can fail to open to clear messages.

    Only regular files are accepted (a symbolic link counts as its target):
    a FIFO would block the extraction forever, a device such as
    ``/dev/zero`` would never end.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(label, mode)
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise BadInput(f"{label}: file not found; expected an existing audio file.") \
            from None
    except IsADirectoryError:
        raise BadInput(f"{label}: is a directory; expected an audio file.") from None
    except PermissionError:
        raise BadInput(f"{label}: permission denied; cannot read the file.") from None
    except OSError as exc:
        raise BadInput(
            f"{label}: cannot be read ({type(exc).__name__}: {exc})."
        ) from None


def read_bytes(path, label):
    check_file(path, label)
    try:
        with open(path, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(mode):  # replaced since check_file
                raise _not_regular(label, mode)
            return f.read()
    except OSError as exc:
        raise BadInput(
            f"{label}: cannot be read ({type(exc).__name__}: {exc})."
        ) from None


def read_waveform(audio, sampling_rate, clip=False, window=FRAME_WINDOW):
    """Mono float32 samples of one path or waveform at ``sampling_rate``.

    ``audio`` is checked, read, mixed down and resampled as
    :meth:`~sklearn_ser.LLDExtractor.transform` reads ``X = [audio]``, with
    the same errors.

    Parameters
    ----------
    audio : str, os.PathLike or array-like
        An audio file path or a waveform sampled at ``sampling_rate``.
    sampling_rate : int
        Sampling rate of the result, in Hz.
    clip : bool, default=False
        Clip a float waveform's samples slightly beyond [-1, 1] (files are
        always clipped so).
    window : float, default=0.025
        Seconds of the shortest usable audio (one analysis window).

    Returns
    -------
    samples : ndarray of shape (n_samples,), dtype float32

    Raises
    ------
    TypeError, ValueError
        If ``audio`` is not usable; the message names it as ``X[0]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features._audiofile import read_waveform
    >>> read_waveform(np.zeros((16000, 2), np.int16), 16000).shape
    (16000,)
    """
    [(index, kind, payload, _)] = check_input([audio], sampling_rate, clip, window)
    if kind == "array":
        return payload
    label = describe(index, payload)
    try:
        check_file(payload, label)
        blocks = list(AudioFile(payload, label, sampling_rate, window).blocks())
    except BadInput as exc:
        raise ValueError(str(exc)) from None
    return np.concatenate(blocks)
