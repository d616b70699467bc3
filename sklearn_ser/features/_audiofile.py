"""Audio files: what is read, decoded in blocks with soundfile, and checked.

Only regular files are opened, never blocking; a container that libsndfile
cannot decode is named in the error. :class:`AudioFile` checks the header
(the rate, and the duration against the entry point's ``max_duration``)
before anything is decoded, validates every sample (decoder overshoot
within ``MAX_OVERSHOOT`` is clipped) and the length before anything is
extracted, and resamples to the extractor's rate while it decodes; a file
that changes between two reads is refused.
"""

import contextlib
import os
import stat
from math import gcd

import numpy as np

from .._files import NotRegularFile, file_kind, open_regular_fd
from .._paper import FRAME_WINDOW
from .._validation import AUDIO_RATES
from ._audio import (
    BLOCK,
    BadInput,
    check_input,
    check_length,
    describe,
    limit_samples,
    mixdown,
)
from ._bounds import MAX_DURATION, DurationBound
from ._cache import cache_key
from ._notes import Level, Notes
from ._resample import n_resampled, resample_stream

MIN_FILE_RATE, MAX_FILE_RATE = AUDIO_RATES
"""Sampling rates (Hz) an audio file may declare. A header outside them is
damaged or hostile: a 32 KB file that says 1 Hz would be resampled to
hundreds of millions of samples."""

READABLE_FORMATS = ("WAV (PCM, float, mu-law, A-law)", "FLAC", "OGG Vorbis",
                    "Opus (in OGG)", "MP3", "AIFF", "AU", "W64", "RF64", "CAF")
"""Containers and codecs of the files that are read (through soundfile's
libsndfile; MP3 and Opus need libsndfile 1.1 or newer, which the soundfile
wheels ship)."""

HASH_BLOCK = 1 << 20
"""Bytes of a file read at a time to hash it."""

_UNKNOWN_LENGTH = 2**63 - 1  # libsndfile's frame count of a header without one

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


def _head(fd, n=16):
    try:
        return os.pread(fd, n, 0)
    except OSError:
        return b""


def _soundfile_error(label, exc, fd=None):
    reason = getattr(exc, "error_string", None) or str(exc)
    found = _sniff(_head(fd)) if fd is not None else None
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


def _not_regular(label, mode):
    if stat.S_ISDIR(mode):
        return BadInput(f"{label}: is a directory; expected an audio file.")
    return BadInput(f"{label}: is {file_kind(mode)}, not a regular file; expected an "
                    "audio file (reading it could block or never end).")


def open_regular(path, label):
    """A read-only descriptor of the regular file ``path``, and its ``stat``.

    Only regular files are accepted (a symbolic link counts as its target):
    a FIFO would block the extraction forever, a device such as
    ``/dev/zero`` would never end. The path is checked before it is opened,
    opened without blocking (a FIFO put in its place in between cannot
    block) and checked again on the open descriptor.

    Raises
    ------
    BadInput
        The message says why: not found, a directory, permission denied,
        not a regular file, or the operating system's reason.
    """
    name = os.fsencode(path)  # names that are not valid UTF-8 open too
    try:
        mode = os.stat(name).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(label, mode)
        return open_regular_fd(name)
    except NotRegularFile as exc:  # replaced since the check
        raise _not_regular(label, exc.mode) from None
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


def _identity(info):
    """What changes when a file is replaced or written to."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
            info.st_ctime_ns)


class AudioFile:
    """A file decoded in blocks with soundfile, validated before use.

    Every pass over the file (the header, the hash of its bytes for the
    cache, the validating scan, the decoding) opens it again and checks
    that it is the same file, unchanged (device, inode, size, modification
    and change times) at the start and at the end of the pass: a file that
    changes while it is read is refused, so features (and cache entries)
    always belong to the content that was checked and hashed.

    Decoder overshoot (samples up to ``MAX_OVERSHOOT``) is clipped to
    [-1, 1]; :attr:`notes` tells what affects the features (its rate, its
    share of samples at full scale). Another sampling rate is resampled
    while the file is decoded (:func:`~._resample.resample_stream`), so
    memory never holds the decoded file.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    label : str
        How messages name it.
    sampling_rate : int
        The rate of :meth:`blocks`.
    window : float, default=0.025
        Seconds of the shortest usable audio (one analysis window).
    bound : DurationBound, default=None
        The longest audio the file may hold; checked against its header
        before anything is decoded, and while it is decoded.
    scan : bool, default=True
        Run :meth:`scan` at once.
    """

    def __init__(self, path, label, sampling_rate, window=FRAME_WINDOW, bound=None,
                 scan=True):
        self.path = path
        self.label = label
        self.sampling_rate = int(sampling_rate)
        self.window = window
        self.bound = bound if bound is not None else DurationBound(None, "")
        self.identity = None
        self.header()
        if scan:
            self.scan()

    @contextlib.contextmanager
    def _descriptor(self):
        """The open file, checked to be the file of the earlier passes."""
        fd, info = open_regular(self.path, self.label)
        try:
            self._unchanged(info)
            yield fd
            self._unchanged(os.fstat(fd))
        finally:
            os.close(fd)

    def _unchanged(self, info):
        identity = _identity(info)
        if self.identity is None:
            self.identity = identity
        elif identity != self.identity:
            raise self._changed()

    def _changed(self):
        return BadInput(
            f"{self.label}: the file changed while it was read (its size, "
            "modification time or inode differ between two reads); nothing is "
            "extracted or cached from it. Read it again once it is complete."
        )

    @contextlib.contextmanager
    def _opened(self):
        import soundfile as sf

        with self._descriptor() as fd:
            # soundfile owns a duplicate: some libsndfile releases close the
            # descriptor of a file they cannot decode even with closefd=False
            try:
                f = sf.SoundFile(os.dup(fd), closefd=True)
            except Exception as exc:  # libsndfile reports bad data in many ways
                raise _soundfile_error(self.label, exc, fd) from None
            with f:
                yield f

    def header(self):
        """Check what the header declares: the rate, and the duration if known."""
        with self._opened() as f:
            self.rate = int(f.samplerate)
            if not MIN_FILE_RATE <= self.rate <= MAX_FILE_RATE:
                raise BadInput(
                    f"{self.label}: the file declares a sampling rate of "
                    f"{self.rate} Hz; expected {MIN_FILE_RATE} to {MAX_FILE_RATE} "
                    "Hz (its header is damaged, or it is not a recording)."
                )
            frames = int(f.frames)
        self.size = self.identity[2]
        self.declared = None if frames >= _UNKNOWN_LENGTH else frames
        if self.declared is not None:
            self.bound.check(self.declared, self.rate, self.label, "declares")

    def chunks(self, size=HASH_BLOCK):
        """The bytes of the file, ``size`` at a time (what the cache hashes)."""
        with self._descriptor() as fd:
            while True:
                data = os.read(fd, size)
                if not data:
                    break
                yield data

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
        """Validate every sample and the length; nothing is kept.

        Decoding stops as soon as the file holds more than the bound
        allows (a header may lie, or give no length).
        """
        level = Level()
        limit = self.bound.samples(self.rate)
        n_file = 0
        with self._opened() as f:
            for block in self._blocks(f, level):
                n_file += block.shape[0]
                if limit is not None and n_file > limit:
                    raise self.bound.error(
                        self.label, f"it holds more than {limit} samples at "
                                    f"{self.rate} Hz (decoding stopped there)")
        self.n_file = n_file
        self.notes = Notes(self.rate, level.share)
        if self.rate == self.sampling_rate:
            self.n = self.n_file
            original = None
        else:
            up, down = self._factors()
            self.n = n_resampled(self.n_file, up, down)
            original = (self.n_file, self.rate)
        check_length(self.n, self.label, self.sampling_rate, original, self.window)

    def _factors(self):
        g = gcd(self.rate, self.sampling_rate)
        return self.sampling_rate // g, self.rate // g

    def _mono(self, f):
        """Mono blocks at the file's rate, as many samples as the scan counted."""
        n = 0
        for block in self._blocks(f):
            n += block.shape[0]
            if n > self.n_file:
                break
            yield mixdown(block)
        if n != self.n_file:
            raise self._changed()

    def blocks(self):
        """Mono float32 blocks at ``sampling_rate`` (after :meth:`scan`).

        Raises
        ------
        BadInput
            If the file changed since it was scanned (while the blocks are
            read: the consumer sees it at its next block).
        """
        with self._opened() as f:
            if self.rate == self.sampling_rate:
                yield from self._mono(f)
            else:
                yield from resample_stream(self._mono(f), *self._factors())


def open_audio(path, label, sampling_rate, window=FRAME_WINDOW, bound=None,
               cache=None, digest=None):
    """``(audio, key, entry)`` of a file: an :class:`AudioFile` and its cache entry.

    The one way the extractors open a file. Its header is checked first (a
    file longer than ``bound`` is refused before a byte of it is hashed or
    decoded); with a ``cache``, the file is then hashed in blocks and looked
    up, and a hit returns its entry without decoding anything; otherwise
    the file is scanned (every sample and the length validated).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    label : str
        How messages name it.
    sampling_rate : int
        The rate the extractor reads it at.
    window : float, default=0.025
        Seconds of the shortest usable audio.
    bound : DurationBound, default=None
        The longest audio the file may hold.
    cache : FeatureCache, default=None
        Where features are looked up; None: no cache.
    digest : str, default=None
        The feature set's digest (part of the key).

    Returns
    -------
    audio : AudioFile
    key : str or None
        The cache key (None without a cache).
    entry : tuple or None
        ``(features, notes)`` of a cache hit, else None (the file is scanned).

    Raises
    ------
    BadInput
        Whatever makes the file unusable, named.
    """
    audio = AudioFile(path, label, sampling_rate, window, bound, scan=False)
    key = None
    if cache is not None:
        key = cache_key("file", audio.chunks(), audio.size, sampling_rate, digest)
        entry = cache.load(key)
        if entry is not None:
            return audio, key, entry
    audio.scan()
    return audio, key, None


def read_waveform(audio, sampling_rate, clip=False, window=FRAME_WINDOW,
                  max_duration=MAX_DURATION):
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
    max_duration : float or None, default=3600.0
        Seconds of the longest audio (None: no bound).

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
    bound = DurationBound(max_duration, "read_waveform")
    [(index, kind, payload, _)] = check_input([audio], sampling_rate, clip, window,
                                              bound)
    if kind == "array":
        return payload
    label = describe(index, payload)
    try:
        blocks = list(AudioFile(payload, label, sampling_rate, window,
                                bound).blocks())
    except BadInput as exc:
        raise ValueError(str(exc)) from None
    return np.concatenate(blocks)
