"""The frames of a recording of any length, on the extractor's frame grid.

:class:`FrameStream` computes the LLD frames of a signal written in pieces
of any size, in runs of ``BLOCK_FRAMES`` frames whose starts depend only on
the frame index: every way of cutting a signal into pieces gives the same
frames, so the streaming recogniser equals the offline timeline.
:func:`read_frames` gives the frames of a whole file or waveform, reading a
file in blocks and keeping only its frames.
"""

import math
import os

import numpy as np

from .._validation import AUDIO_RATES, check_sampling_rate
from ..features._audio import (
    BadInput,
    array_blocks,
    as_waveform,
    frame_params,
    n_frames,
)
from ..features._audiofile import AudioFile, check_file
from ..features._notes import Level, Notes
from ..features._opensmile import ENGINE, N_FEATURES
from ..features._resample import resample_blocks

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
    """

    def __init__(self, sampling_rate):
        self.sampling_rate = int(sampling_rate)
        self.window, self.step = frame_params(self.sampling_rate)
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
        feats = ENGINE.extract([x], self.sampling_rate, x.shape[0])
        out = feats[self.n_done - first:stop_frame - first]
        self.n_done = stop_frame
        keep = max(0, self.n_done - CONTEXT_FRAMES) * self.step
        rest = self._samples(keep, self.n_samples).copy()
        self._kept, self._kept_n, self._kept_start = [rest], rest.shape[0], keep
        return out

    def push(self, x):
        """Write samples; returns the frames that became final, ``(k, 32)``."""
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
        return stack_frames(out)

    def finish(self):
        """The end of the signal: returns the remaining frames."""
        total = n_frames(self.n_samples, self.sampling_rate)
        if total <= self.n_done:
            return stack_frames([])
        return self._run(total, self.n_samples)


def stack_frames(arrays):
    if not arrays:
        return np.empty((0, N_FEATURES), dtype=np.float32)
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


def read_frames(audio, sampling_rate, extractor_rate, clip=False):
    """Frames of a whole recording, its duration in seconds, and its notes.

    A file is read in blocks and only its frames are kept; the frames go
    into one preallocated array. ``notes`` is the :class:`Notes` of the
    audio and ``label`` how messages name it.
    """
    stream = FrameStream(extractor_rate)
    if isinstance(audio, (str, os.PathLike)):
        path = os.fspath(audio)
        if isinstance(path, bytes):
            raise TypeError(f"audio is a bytes path {path!r}; expected a str or "
                            "os.PathLike audio file path.")
        label = f"audio ({path!r})"
        try:
            check_file(path, label)
            if too_short(path, extractor_rate):
                return stack_frames([]), 0.0, None
            source = AudioFile(path, label, extractor_rate)
            blocks, size, notes = source.blocks(), source.n, source.notes
        except BadInput as exc:
            raise ValueError(str(exc)) from None
    else:
        level = Level()
        x = as_waveform(audio, "audio", clip=clip, level=level)
        rate = check_rate(sampling_rate, extractor_rate)
        notes = Notes(rate, level.share)
        if rate != extractor_rate and x.shape[0]:
            g = math.gcd(rate, extractor_rate)
            up, down = extractor_rate // g, rate // g
            # a block at a time: the memory of the signal, not of its float64
            # resampling
            blocks, size = resample_blocks(x, up, down), -(-x.shape[0] * up // down)
        else:
            blocks, size = array_blocks(x), x.shape[0]
    out = np.empty((n_frames(size, extractor_rate), N_FEATURES), dtype=np.float32)
    filled = 0
    try:
        for block in blocks:
            frames = stream.push(block)
            out[filled:filled + frames.shape[0]] = frames
            filled += frames.shape[0]
    except BadInput as exc:  # the file changed while it was read
        raise ValueError(str(exc)) from None
    frames = stream.finish()
    out[filled:filled + frames.shape[0]] = frames
    filled += frames.shape[0]
    if filled != out.shape[0]:  # pragma: no cover - the file changed
        raise ValueError(f"audio: {stream.n_samples} samples were read, "
                         f"{size} expected; the file changed while it was read.")
    return out, stream.n_samples / extractor_rate, notes


def too_short(path, rate):
    """Whether a file has fewer samples at ``rate`` than one 25 ms window."""
    import soundfile as sf

    try:
        info = sf.info(path)
    except Exception:  # AudioFile reports why
        return False
    n = -(-info.frames * rate // info.samplerate) if info.samplerate else 0
    return n < frame_params(rate)[0]
