"""The frames of a recording of any length, on the extractor's frame grid.

:class:`FrameStream` computes the LLD frames of a signal written in pieces
of any size, in runs of ``BLOCK_FRAMES`` frames whose starts depend only on
the frame index: every way of cutting a signal into pieces gives the same
frames, so the streaming recogniser equals the offline timeline.
:func:`read_frames` gives the frames of a whole file or waveform, reading a
file in blocks and keeping only its frames; with ``detection=True`` also
the IS09 frames that the speech detector reads, whatever the extractor's
feature set.
"""

import math
import os
from typing import NamedTuple

import numpy as np

from .._paper import FRAME_WINDOW
from .._validation import AUDIO_RATES, check_sampling_rate
from ..features._audio import (
    BadInput,
    array_blocks,
    as_waveform,
    frame_params,
    n_frames,
)
from ..features._audiofile import AudioFile
from ..features._bounds import DurationBound
from ..features._feature_sets import get_feature_set
from ..features._notes import Level, Notes
from ..features._opensmile import ENGINE, engine
from ..features._resample import n_resampled, resample_blocks

MAX_RECORDING = 24 * 3600.0
"""Default ``max_duration`` of a timeline, in seconds (24 hours).

Only the frames are kept (46 MB per hour with IS09, 187 MB with ComParE:
1.1 and 4.5 GB for 24 hours), so a timeline reads far longer audio than an
extractor's ``max_duration``; the bound keeps a file whose few megabytes
hold weeks of silence from costing that much.
"""

BLOCK_FRAMES = 1000
"""Frames computed per openSMILE run (10 s at 10 ms)."""

CONTEXT_FRAMES = 100
"""Frames of audio before (and after) a block that each run also reads.

openSMILE's pitch tracker carries state from frame to frame, and the
smoothing and deltas read up to three neighbouring frames: with one second
of context, the frames of a block equal those of a single pass over the
whole signal except, rarely, the pitch of a few frames just after a block
boundary (see the user guide).
"""


class FrameStream:
    """The LLD frames of a signal written in pieces of any size.

    Frames are computed in runs of ``BLOCK_FRAMES`` frames on the global
    frame grid, each run reading ``CONTEXT_FRAMES`` frames of audio on
    either side; where the runs start depends only on the frame index, never
    on the sizes of the pieces, so every way of cutting a signal into pieces
    gives the same frames. Only the samples the next run needs are kept.

    Parameters
    ----------
    sampling_rate : int
        Sampling rate of the signal and the features, in Hz.
    feature_set : str, default="is09"
        The extractor's feature set.
    """

    def __init__(self, sampling_rate, feature_set="is09"):
        self.sampling_rate = int(sampling_rate)
        self.feature_set = feature_set
        self.spec = get_feature_set(feature_set)
        self.window, self.step = frame_params(self.sampling_rate, self.spec.window)
        self.n_samples = 0    # samples written so far
        self.n_done = 0       # frames returned so far
        self._kept = []       # samples from global index self._kept_start on
        self._kept_n = 0
        self._kept_start = 0

    def _samples(self, start, stop):
        """Samples ``[start, stop)`` (global indices) of the kept audio."""
        if len(self._kept) > 1:
            self._kept = [np.concatenate(self._kept)]
        x = self._kept[0]
        return x[start - self._kept_start:stop - self._kept_start]

    def _run(self, stop_frame, stop_sample):
        """Frames ``[n_done, stop_frame)`` from the samples up to ``stop_sample``."""
        first = max(0, self.n_done - CONTEXT_FRAMES)
        x = self._samples(first * self.step, stop_sample)
        # the IS09 engine by its module name (tests count its runs)
        run = ENGINE if self.feature_set == "is09" else engine(self.feature_set)
        feats = run.extract([x], self.sampling_rate, x.shape[0])
        out = feats[self.n_done - first:stop_frame - first]
        self.n_done = stop_frame
        keep = max(0, self.n_done - CONTEXT_FRAMES) * self.step
        rest = self._samples(keep, self.n_samples).copy()
        self._kept, self._kept_n, self._kept_start = [rest], rest.shape[0], keep
        return out

    def push(self, x):
        """Write samples; returns the frames that became final, ``(k, n_features)``."""
        if x.shape[0]:
            self._kept.append(x)
            self._kept_n += x.shape[0]
            self.n_samples += x.shape[0]
        out = []
        while True:
            stop = self.n_done + BLOCK_FRAMES
            need = (stop + CONTEXT_FRAMES - 1) * self.step + self.window
            if self.n_samples < need:
                break
            out.append(self._run(stop, need))
        return stack_frames(out, self.spec.n_features)

    def finish(self):
        """The end of the signal: returns the remaining frames."""
        total = n_frames(self.n_samples, self.sampling_rate, self.spec.window)
        if total <= self.n_done:
            return stack_frames([], self.spec.n_features)
        return self._run(total, self.n_samples)


def stack_frames(arrays, n_features=32):
    if not arrays:
        return np.empty((0, n_features), dtype=np.float32)
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def check_rate(sampling_rate, extractor_rate):
    """The rate of a waveform: ``sampling_rate``, or the extractor's for None.

    The same bounds as the rate an audio file may declare
    (:data:`~sklearn_ser._validation.AUDIO_RATES`): a waveform is resampled
    to the extractor's rate like a file, so a rate of 1 Hz cannot make it
    16,000 times longer.
    """
    if sampling_rate is None:
        return extractor_rate
    return check_sampling_rate(sampling_rate, "sampling_rate", AUDIO_RATES)


class Recording(NamedTuple):
    """The frames of a whole recording (see :func:`read_recording`)."""

    frames: np.ndarray
    """The extractor's frames, ``(n_frames, n_features)``."""
    detection: np.ndarray
    """The IS09 frames the speech detector reads, cut to ``n_frames`` (the
    frames themselves for the IS09 set; None unless asked for)."""
    duration: float
    """Seconds of audio at the extractor's rate."""
    notes: object
    """The :class:`Notes` of the audio (None for a file too short to read)."""


def _source(audio, sampling_rate, extractor_rate, clip, window, bound):
    """``(blocks, n_samples, notes)`` of a file or waveform; None: too short."""
    if isinstance(audio, (str, os.PathLike)):
        path = os.fspath(audio)
        if isinstance(path, bytes):
            raise TypeError(f"audio is a bytes path {path!r}; expected a str or "
                            "os.PathLike audio file path.")
        label = f"audio ({path!r})"
        try:
            source = AudioFile(path, label, extractor_rate, window, bound, scan=False)
            if source.declared is not None and too_short(
                    source.declared, source.rate, extractor_rate, window):
                return None
            source.scan()
            return source.blocks(), source.n, source.notes
        except BadInput as exc:
            raise ValueError(str(exc)) from None
    level = Level()
    x = as_waveform(audio, "audio", clip=clip, level=level)
    rate = check_rate(sampling_rate, extractor_rate)
    try:
        bound.check(x.shape[0], rate, "audio")
    except BadInput as exc:
        raise ValueError(str(exc)) from None
    notes = Notes(rate, level.share)
    if rate != extractor_rate and x.shape[0]:
        g = math.gcd(rate, extractor_rate)
        up, down = extractor_rate // g, rate // g
        # a block at a time: the memory of the signal, not of its float64
        # resampling
        return resample_blocks(x, up, down), n_resampled(x.shape[0], up, down), notes
    return array_blocks(x), x.shape[0], notes


def read_recording(audio, sampling_rate, extractor_rate, clip=False,
                   feature_set="is09", detection=False,
                   max_duration=MAX_RECORDING):
    """The frames of a whole recording, and the detector's frames if asked.

    A file is read in blocks and only its frames are kept; the frames go
    into one preallocated array. With ``detection`` and a feature set other
    than IS09, the same blocks also go through a :class:`FrameStream` of the
    IS09 set: the speech detector reads the IS09 columns (RMS energy, pitch,
    MFCC 1-12), and the sets share the 10 ms frame grid, so frame ``t`` of
    both starts at the same sample; the IS09 frames are cut to the set's
    count (IS09's shorter window gives a few more frames at the end). A
    recording longer than ``max_duration`` seconds (None: no bound) is
    refused, a file from its header before anything is decoded.

    Returns
    -------
    recording : Recording
    """
    spec = get_feature_set(feature_set)
    extra = detection and feature_set != "is09"
    bound = DurationBound(max_duration, "predict_timeline")
    source = _source(audio, sampling_rate, extractor_rate, clip, spec.window, bound)
    if source is None:
        empty = stack_frames([], spec.n_features)
        return Recording(empty, stack_frames([]) if detection else None, 0.0, None)
    blocks, size, notes = source
    streams = [FrameStream(extractor_rate, feature_set)]
    if extra:
        streams.append(FrameStream(extractor_rate))
    outs = [np.empty((n_frames(size, extractor_rate, stream.spec.window),
                      stream.spec.n_features), dtype=np.float32)
            for stream in streams]
    filled = [0] * len(streams)

    def put(k, frames):
        outs[k][filled[k]:filled[k] + frames.shape[0]] = frames
        filled[k] += frames.shape[0]

    try:
        for block in blocks:
            for k, stream in enumerate(streams):
                put(k, stream.push(block))
    except BadInput as exc:  # the file changed while it was read
        raise ValueError(str(exc)) from None
    for k, stream in enumerate(streams):
        put(k, stream.finish())
    if filled != [out.shape[0] for out in outs]:  # pragma: no cover - file changed
        raise ValueError(f"audio: {streams[0].n_samples} samples were read, "
                         f"{size} expected; the file changed while it was read.")
    frames = outs[0]
    found = (outs[1][:frames.shape[0]] if extra else frames) if detection else None
    return Recording(frames, found, streams[0].n_samples / extractor_rate, notes)


def read_frames(audio, sampling_rate, extractor_rate, clip=False, feature_set="is09"):
    """Frames of a whole recording, its duration in seconds, and its notes."""
    recording = read_recording(audio, sampling_rate, extractor_rate, clip,
                               feature_set)
    return recording.frames, recording.duration, recording.notes


def too_short(n, file_rate, rate, window=FRAME_WINDOW):
    """Whether ``n`` samples at ``file_rate`` give fewer samples at ``rate``
    than one analysis window."""
    g = math.gcd(file_rate, rate)
    return n_resampled(n, rate // g, file_rate // g) < frame_params(rate, window)[0]
