"""What affects the features of an input without making it unusable.

A clipped recording (more than ``CLIPPED_SHARE`` of its samples at full
scale) and audio sampled below the features' rate (narrowband) are used;
their :class:`Notes` travel with the features (through the cache too) and
the entry points turn them into one :class:`AudioWarning` per kind, naming
each input once per process.
"""

import os
from typing import NamedTuple

import numpy as np

FULL_SCALE = 0.999
"""A sample with ``|x| >= FULL_SCALE`` counts as at full scale (clipped)."""

CLIPPED_SHARE = 1e-3
"""Share of samples at full scale above which a recording counts as clipped.

Measured on real speech normalised to a peak of 0.99 and encoded as MP3,
Vorbis and Opus, at most 0.02 % of the samples are at full scale; the same
recordings clipped by 6 dB have 0.02-9 % (median 1-2 %).
"""


class AudioWarning(UserWarning):
    """Audio that was read, with something that affects its features.

    Raised (as a warning, never an error) for a clipped recording and for
    audio sampled below the extractor's rate (narrowband, e.g. 8 kHz
    telephone audio given to a 16 kHz extractor). Silence it with
    ``warnings.filterwarnings("ignore", category=AudioWarning)``.
    """


class Level:
    """Running count of the samples of one signal at full scale."""

    __slots__ = ("n", "full")

    def __init__(self):
        self.n = 0
        self.full = 0

    def add(self, x):
        """Count the samples of ``x`` (any shape) that are at full scale."""
        self.n += x.size
        self.full += int(np.count_nonzero(np.abs(x) >= FULL_SCALE))

    @property
    def share(self):
        """Share of the samples counted so far that are at full scale."""
        return self.full / self.n if self.n else 0.0


class Notes(NamedTuple):
    """What affects the features of one input, besides its samples.

    ``rate`` is the sampling rate of the audio as given (a file's own rate),
    ``full_scale`` the share of its samples at full scale.
    """

    rate: int
    full_scale: float

    def messages(self, sampling_rate):
        """Short reasons, for the warnings: ``{"clipped": ..., "narrowband": ...}``."""
        out = {}
        if self.full_scale > CLIPPED_SHARE:
            out["clipped"] = (f"{self.full_scale:.1%} of the samples at full scale: "
                              "a clipped recording, its features are distorted")
        if self.rate < int(sampling_rate):
            out["narrowband"] = (
                f"sampled at {self.rate} Hz, so no frequencies above "
                f"{self.rate / 2:g} Hz; the features span up to "
                f"{int(sampling_rate) / 2:g} Hz, so the band between is missing "
                "(e.g. telephone audio given to a model of wideband speech)")
        return out


_WARNING_HEADS = {
    "clipped": "are clipped recordings (more than {share:.1%} of the samples at "
               "full scale), which distorts their features",
    "narrowband": "are sampled below the features' {rate} Hz and lack the "
                  "frequencies above half their own rate: a model trained on "
                  "wideband audio sees features it has not learnt (telephone "
                  "audio is 8 kHz)",
}


_REPORTED = set()
"""Inputs whose notes were warned about in this process (at most
``_MAX_REPORTED``): each clipped or narrowband input is named once, not in
every fold of a cross-validation."""
_MAX_REPORTED = 100_000


def _identity(source, notes):
    """What names one input across calls: its real path, or its samples' hash."""
    if source is None:
        return None
    if isinstance(source, np.ndarray):
        import hashlib

        digest = hashlib.blake2b(memoryview(np.ascontiguousarray(source)).cast("B"),
                                 digest_size=16).digest()
        return ("array", digest, source.shape, notes)
    return ("path", os.path.realpath(os.fspath(source)), notes)


def warn_notes(labelled_notes, sampling_rate, n_inputs=None, stacklevel=2):
    """One :class:`AudioWarning` per kind of note, naming the inputs.

    An input is named once per process: a file (by its real path) or an
    array (by a hash of its samples) that was named before is left out, so
    that the folds of a cross-validation do not repeat the same warning.

    Parameters
    ----------
    labelled_notes : list of (str, Notes, source)
        The notes of the inputs, with the label that names each input and
        its source (a path or the array of samples; None: always named).
    sampling_rate : int
        The features' sampling rate.
    n_inputs : int, default=None
        Number of inputs in all; by default ``len(labelled_notes)``.
    stacklevel : int, default=2
        Passed to :func:`warnings.warn` (plus one for this function).
    """
    import warnings

    n_inputs = len(labelled_notes) if n_inputs is None else n_inputs
    found = {}
    for label, notes, source in labelled_notes:
        messages = notes.messages(sampling_rate)
        if not messages:
            continue
        key = _identity(source, notes)
        if key is not None:
            if key in _REPORTED:
                continue
            if len(_REPORTED) < _MAX_REPORTED:
                _REPORTED.add(key)
        for kind, message in messages.items():
            found.setdefault(kind, []).append((label, message))
    for kind, items in found.items():
        if len(items) == 1:
            text = f"{items[0][0]}: {items[0][1]}."
        else:
            head = _WARNING_HEADS[kind].format(share=CLIPPED_SHARE,
                                               rate=int(sampling_rate))
            shown = "; ".join(f"{label}: {message}" for label, message in items[:5])
            more = f"; and {len(items) - 5} more" if len(items) > 5 else ""
            text = f"{len(items)} of {n_inputs} inputs {head}. {shown}{more}."
        warnings.warn(text, AudioWarning, stacklevel=stacklevel + 1)
