"""Emotion of a stream: :class:`StreamingRecognizer`, the timeline piece by piece."""

import numpy as np

from ..features._audio import as_waveform
from ..features._feature_sets import get_feature_set
from ..features._notes import Level, Notes, warn_notes
from ._frames import FrameStream, check_rate
from ._segments import (
    check_estimator,
    check_window,
    classify,
    empty_table,
    segment_table,
)

__all__ = ["StreamingRecognizer"]


# ---------------------------------------------------------------------------
# Streaming
# ---------------------------------------------------------------------------


class StreamingRecognizer:
    """Emotion of audio that arrives in pieces: finished segments as they come.

    Feed the samples of a stream with :meth:`feed` in pieces of any size and
    end it with :meth:`flush`; each returns the segments finished since the
    last call. Together they are the segments, probabilities included, that
    :func:`predict_timeline` gives with ``segmentation="fixed"`` for the
    whole recording: the frames are computed on the same grid in the same
    blocks whatever the pieces, and a window is classified as soon as its
    frames are final.

    Memory stays bounded whatever the stream's length: only the samples the
    next block of frames needs and the frames of the next window are kept.
    A window becomes final once the block of frames that holds its end has
    been computed, i.e. at most about 11 s (a block of 10 s and 1 s of
    context) after its last sample arrived.

    Parameters
    ----------
    estimator : Pipeline
        A fitted pipeline whose first step is an
        :class:`~sklearn_ser.LLDExtractor` (see :func:`predict_timeline`).
    sampling_rate : int, default=None
        Sampling rate of the stream in Hz; it must be the extractor's
        (None means the extractor's). A rate outside 1000 to 768000 Hz is
        refused as for :func:`predict_timeline`.
    window : float, default=None
        Length of a window in seconds (see :func:`predict_timeline`).
    hop : float, default=None
        Time between the starts of two windows in seconds; None means
        ``window / 2``.

    Attributes
    ----------
    n_samples_ : int
        Samples fed since the start of the current stream.
    classes_ : ndarray
        The classes of ``estimator``, the probability columns.

    See Also
    --------
    predict_timeline : The timeline of a whole recording.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import (StreamingRecognizer, make_baseline_pipeline,
    ...                          predict_timeline)
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ser.datasets import make_emotional_speech
    >>> X, y = make_emotional_speech(24, n_sessions=2, random_state=0,
    ...                              return_X_y=True)
    >>> pipe = make_baseline_pipeline(LogisticRegression()).fit(X, y)
    >>> recording = np.concatenate(X[:3])
    >>> stream = StreamingRecognizer(pipe, window=2.0, hop=1.0)
    >>> parts = [stream.feed(recording[i:i + 1600])
    ...          for i in range(0, len(recording), 1600)]
    >>> parts.append(stream.flush())
    >>> import pandas as pd
    >>> streamed = pd.concat(parts, ignore_index=True)
    >>> offline = predict_timeline(pipe, recording, window=2.0, hop=1.0,
    ...                            segmentation="fixed")
    >>> bool(np.allclose(streamed[pipe.classes_], offline[pipe.classes_]))
    True
    """

    def __init__(self, estimator, *, sampling_rate=None, window=None, hop=None):
        self.estimator = estimator
        self.sampling_rate = sampling_rate
        self.window = window
        self.hop = hop
        extractor = check_estimator(estimator, "StreamingRecognizer").extractor
        self._rate = int(extractor.sampling_rate)
        rate = check_rate(sampling_rate, self._rate)
        if rate != self._rate:
            raise ValueError(
                f"sampling_rate={sampling_rate} Hz differs from the extractor's "
                f"{self._rate} Hz; resample the stream to {self._rate} Hz before "
                "feeding it."
            )
        self._w, self._h = check_window(window, hop, estimator, self._rate)
        self._clip = bool(extractor.clip)
        self._feature_set = extractor.feature_set
        self.classes_ = np.asarray(estimator.classes_)
        self._empty = empty_table(list(self.classes_))
        self._reset()

    def _reset(self):
        self._stream = FrameStream(self._rate, self._feature_set)
        self._level = Level()
        width = get_feature_set(self._feature_set).n_features
        self._frames = np.empty((0, width), dtype=np.float32)
        self._origin = 0       # global index of self._frames[0]
        self._next = 0         # start of the next regular window
        self._last_end = 0     # end of the last window given out

    @property
    def n_samples_(self):
        return self._stream.n_samples

    def feed(self, chunk):
        """Add samples to the stream.

        Parameters
        ----------
        chunk : array-like of shape (n,) or (n, n_channels)
            The next samples (floats in [-1, 1] or integer PCM; channels are
            averaged); any size, empty included.

        Returns
        -------
        segments : pandas.DataFrame
            The segments finished by these samples (columns as
            :func:`predict_timeline`), often empty.
        """
        x = as_waveform(chunk, f"chunk (from sample {self.n_samples_})",
                        clip=self._clip, level=self._level)
        frames = self._stream.push(x)
        if frames.shape[0] == 0:  # most small chunks: nothing new
            return self._empty.copy()
        self._add(frames)
        return self._emit(final=False)

    def flush(self):
        """End the stream: the remaining segments, then start a new stream.

        The last window ends at the end of the stream, like the last window
        of :func:`predict_timeline`. A stream shorter than one window gives
        no segment at all (an empty table). A stream with more than 0.1 % of
        its samples at full scale (a clipped recording) gives an
        :class:`~sklearn_ser.AudioWarning` here, once per stream.

        Returns
        -------
        segments : pandas.DataFrame
            The segments not returned yet (columns as :func:`predict_timeline`).
        """
        self._add(self._stream.finish())
        warn_notes([("stream", Notes(self._rate, self._level.share), None)],
                   self._rate, stacklevel=2)
        try:
            return self._emit(final=True)
        finally:
            self._reset()

    def _add(self, frames):
        if frames.shape[0]:
            self._frames = np.concatenate([self._frames, frames])

    def _emit(self, final):
        w, h = self._w, self._h
        total = self._origin + self._frames.shape[0]
        spans = []
        while self._next + w <= total:
            spans.append((self._next, self._next + w))
            self._next += h
        if spans:
            self._last_end = spans[-1][1]
        if final and self._last_end and self._last_end < total:
            spans.append((total - w, total))
            self._last_end = total
        proba = classify(self.estimator, self._frames, spans, self._rate, self._origin)
        table = segment_table(self.estimator, spans, proba, self._rate)
        # keep the frames of the next window and of a last window at the end
        keep = max(0, min(self._next, total - w))
        if keep > self._origin:
            self._frames = self._frames[keep - self._origin:].copy()
            self._origin = keep
        return table
