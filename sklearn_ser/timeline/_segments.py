"""Emotion over long recordings: a timeline of segments, offline or streamed.

A fitted pipeline of the library (an :class:`~sklearn_ser.LLDExtractor`
first, any classifier after it) classifies one utterance. Here a recording
of any length becomes a table of segments: the frames of the whole
recording are computed once (:class:`~sklearn_ser.timeline._frames.FrameStream`, in blocks on the 10 ms
frame grid), cut into windows of frames, and the rest of the pipeline
classifies all windows together. :func:`predict_timeline` does it for a
file or a waveform, :class:`StreamingRecognizer` for audio that arrives in
pieces, with the same frames and hence the same segments.
"""

import numbers
import os

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._validation import FEATURE_RATES, check_sampling_rate
from ..features._audio import frame_params
from ..features._feature_sets import get_feature_set
from ..features._notes import warn_notes
from ..features._speech import speech_regions
from ..network._base import NonFiniteOutputError
from ..pipeline._describe import describe_pipeline
from ._frames import MAX_RECORDING, read_recording

__all__ = ["predict_timeline"]

PREDICT_BATCH = 512
"""Windows given to the rest of the pipeline per call (bounds its memory)."""

SEGMENTATIONS = ("vad", "fixed")

MAX_WINDOW = 24 * 3600
"""The longest ``window`` and ``hop``, in seconds (24 hours).

A window is a number of 10 ms frames; past this bound the count stops
meaning anything (``window=1e308`` would overflow it), and a window longer
than the recording is one segment anyway.
"""


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def check_estimator(estimator, what):
    """The description of the pipeline; raises if it cannot make a timeline."""
    if not isinstance(estimator, Pipeline) or len(estimator.steps) < 2:
        raise TypeError(
            f"estimator must be a fitted Pipeline of sklearn-ser whose first step "
            f"is an LLDExtractor (e.g. make_ser_pipeline()); got "
            f"{type(estimator).__name__}."
        )
    kind = describe_pipeline(estimator)
    if not kind.takes_audio:
        raise TypeError(
            f"the first step of estimator is {type(estimator.steps[0][1]).__name__}; "
            f"{what} needs a pipeline whose first step is an LLDExtractor, to "
            "compute the frames of the whole recording once."
        )
    check_is_fitted(estimator)
    # the extractor's rate reaches openSMILE, whatever made the extractor
    check_sampling_rate(kind.extractor.sampling_rate,
                        f"the sampling_rate of the LLDExtractor of the estimator "
                        f"given to {what}", FEATURE_RATES)
    if kind.task == "regression":
        raise TypeError(
            f"estimator predicts emotion dimensions ({type(kind.final).__name__}); "
            f"{what} reports the probabilities of emotion categories: use a "
            "classifier."
        )
    if not kind.has_proba:
        raise TypeError(
            f"the last step of estimator ({type(kind.final).__name__}) has no "
            f"predict_proba; {what} reports class probabilities: use a classifier "
            "that has it, e.g. make_baseline_pipeline(LogisticRegression()) or "
            "make_baseline_pipeline(CalibratedClassifierCV(SVC("
            "class_weight='balanced'), ensemble=False))."
        )
    if kind.needs_speakers:
        raise ValueError(
            f"estimator is speaker-normalised (SpeakerStandardScaler); {what} "
            "classifies the windows of one recording without speaker ids: use a "
            "pipeline with normalization='neutral'."
        )
    return kind


def check_window(window, hop, estimator, sampling_rate):
    """``window`` and ``hop`` in seconds -> whole frames ``(w, h)``."""
    _, step = frame_params(sampling_rate)
    frame_s = step / sampling_rate
    if window is None:
        window = describe_pipeline(estimator).window
    for name, value in (("window", window), ("hop", hop)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not np.isfinite(value):
            raise TypeError(f"{name} must be a finite number of seconds, got "
                            f"{value!r}.")
        if value > MAX_WINDOW:
            raise ValueError(
                f"{name}={value!r} s is longer than {MAX_WINDOW} s ("
                f"{MAX_WINDOW // 3600} h), the longest {name} the timeline takes; "
                "to classify a whole recording as one utterance, use predict."
            )
    if window < frame_s:
        raise ValueError(
            f"window={window!r} s is shorter than one frame ({frame_s * 1000:g} ms); "
            "expected a window of at least one frame, e.g. the training "
            "utterance length."
        )
    w = max(1, int(round(window / frame_s)))
    if hop is None:
        h = max(1, w // 2)
    else:
        if hop <= 0:
            raise ValueError(f"hop={hop!r} s must be positive (the time between the "
                             "starts of two windows).")
        if hop > window:
            raise ValueError(
                f"hop={hop!r} s is longer than window={window!r} s: parts of the "
                "recording would fall between the windows; expected 0 < hop <= "
                "window."
            )
        h = int(round(hop / frame_s))
        if h < 1:
            raise ValueError(f"hop={hop!r} s is shorter than one frame "
                             f"({frame_s * 1000:g} ms); expected at least one frame.")
        h = min(h, w)
    return w, h


# ---------------------------------------------------------------------------
# Segments
# ---------------------------------------------------------------------------


def tile(first, stop, w, h):
    """Window starts over frames ``[first, stop)``: every ``h``, the last at the end.

    Windows hold ``w`` frames (all of them when the span is shorter); when
    the regular starts leave frames uncovered at the end, one more window
    ends exactly at ``stop``.
    """
    n = stop - first
    if n <= w:
        return [(first, stop)]
    starts = list(range(first, stop - w + 1, h))
    if starts[-1] + w < stop:
        starts.append(stop - w)
    return [(s, s + w) for s in starts]


def empty_table(classes):
    import pandas as pd

    columns = {"start": pd.Series(dtype=float), "end": pd.Series(dtype=float),
               "label": pd.Series(dtype=object)}
    for c in classes:
        columns[c] = pd.Series(dtype=float)
    return pd.DataFrame(columns)


def classify(estimator, frames, spans, rate, origin=0):
    """Probabilities of the windows ``spans`` of ``frames`` (first at ``origin``).

    Probabilities that are NaN or infinite (a network or a classifier whose
    weights overflow) are a ``ValueError`` naming the windows by their
    times, never a label.
    """
    rest = estimator[1:]
    out = []
    for i in range(0, len(spans), PREDICT_BATCH):
        batch = [frames[a - origin:b - origin] for a, b in spans[i:i + PREDICT_BATCH]]
        try:
            proba = np.asarray(rest.predict_proba(batch), dtype=np.float64)
        except NonFiniteOutputError as exc:
            bad = exc.indices
        else:
            bad = np.flatnonzero(~np.isfinite(proba).all(axis=1)).tolist()
        if bad:
            raise ValueError(_non_finite(spans, [i + j for j in bad], rate))
        out.append(proba)
    return np.concatenate(out) if out else np.empty((0, len(estimator.classes_)))


def _non_finite(spans, bad, rate):
    window, step = frame_params(rate)
    times = ", ".join(f"{spans[k][0] * step / rate:.2f}-"
                      f"{((spans[k][1] - 1) * step + window) / rate:.2f} s"
                      for k in bad[:3])
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return (f"The model gives NaN or infinite probabilities for the window(s) at "
            f"{times}{more}: its weights, or these frames, are too large for its "
            "arithmetic; no label is made of them.")


def segment_table(estimator, spans, proba, sampling_rate):
    """The DataFrame of segments: start, end, label and one column per class."""
    import pandas as pd

    classes = list(estimator.classes_)
    if not spans:
        return empty_table(classes)
    longest = get_feature_set(estimator.steps[0][1].feature_set).window
    window, step = frame_params(sampling_rate, longest)
    spans = np.asarray(spans, dtype=np.int64)
    table = pd.DataFrame({
        "start": spans[:, 0] * step / sampling_rate,
        "end": ((spans[:, 1] - 1) * step + window) / sampling_rate,
        "label": np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)],
    })
    for k, c in enumerate(classes):
        table[c] = proba[:, k]
    return table


def predict_timeline(estimator, audio, *, sampling_rate=None, window=None, hop=None,
                     segmentation="vad", max_duration=MAX_RECORDING):
    """Emotion over a recording of any length: one row per segment.

    The frames of the whole recording are computed once, on the 10 ms frame
    grid of :class:`~sklearn_ser.LLDExtractor` (a file is read in blocks,
    so only the frames are kept, not the audio), cut into windows of
    ``window`` seconds every ``hop`` seconds, and the rest of the pipeline
    classifies the windows together.

    Parameters
    ----------
    estimator : Pipeline
        A fitted pipeline whose first step is an
        :class:`~sklearn_ser.LLDExtractor` and whose last step has
        ``predict_proba`` (e.g. :func:`~sklearn_ser.make_ser_pipeline` or
        :func:`~sklearn_ser.make_baseline_pipeline`, fitted).
    audio : str, os.PathLike or array-like of shape (n_samples,) or \
            (n_samples, n_channels)
        An audio file (read like :class:`~sklearn_ser.LLDExtractor` reads it:
        channels averaged, other rates resampled) or a waveform.
    sampling_rate : int, default=None
        Sampling rate of a waveform ``audio``, in Hz, 1000 to 768000 (the
        rates an audio file may declare); None means the extractor's. A
        waveform at another rate is resampled, a block at a time. Ignored
        for files, whose rate is in the file.
    window : float, default=None
        Length of a window in seconds (at most 24 hours), rounded to whole
        10 ms frames. None
        takes the length the model was trained on: ``n_frames`` of the
        pipeline's :class:`~sklearn_ser.PadCrop` (5 s for the paper's 500
        frames), or 5 s without one. A window longer than that is cropped by
        ``PadCrop`` like a long utterance; a shorter one is padded.
    hop : float, default=None
        Time between the starts of two windows, in seconds, ``0 < hop <=
        window``; None means ``window / 2``.
    segmentation : {"vad", "fixed"}, default="vad"
        ``"fixed"``: windows over the whole recording, from its start; the
        last window ends at the end of the recording, so the rows cover it
        all. ``"vad"``: first the speech regions (the speech detector on the
        IS09 LLDs, computed for it when the extractor has another feature
        set; silence and noise are dropped), then windows over each region;
        a region no longer than ``window`` is one segment.
    max_duration : float or None, default=86400.0
        The longest recording, in seconds (24 hours by default); None: no
        bound. Only frames are kept, so this is far longer than the
        extractor's own ``max_duration``, which the timeline does not use;
        a file is checked from its header before anything is decoded, and
        while it is decoded.

    Returns
    -------
    timeline : pandas.DataFrame
        One row per segment, in time order: ``start`` and ``end`` in seconds
        (the audio the segment's frames were computed from: ``start`` on the
        10 ms grid, ``end`` at the end of the last frame's analysis window:
        25 ms, 60 ms for the eGeMAPS and ComParE sets), ``label`` (the class
        of highest probability) and one column per class of
        ``estimator.classes_`` with its probability. Empty (same columns, no
        rows) for a recording shorter than one analysis window and, with
        ``"vad"``, for one without speech.

    Raises
    ------
    TypeError
        If ``estimator`` is not a pipeline starting with an
        ``LLDExtractor`` or cannot give probabilities, or ``audio``,
        ``window`` or ``hop`` have the wrong type.
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    ValueError
        If ``window`` is shorter than one frame or longer than 24 hours,
        ``hop`` is not in ``(0, window]``, ``segmentation`` is unknown,
        ``window`` is longer than the recording with ``"fixed"``,
        ``sampling_rate`` is outside 1000 to 768000 Hz (or the extractor's
        outside 8000 to 768000 Hz), the recording is longer than
        ``max_duration``, or the audio is unusable (the message names the
        file and the sample).

    See Also
    --------
    StreamingRecognizer : The same segments from audio arriving in pieces.
    TimelineDisplay : Plots a timeline.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ser import make_baseline_pipeline, predict_timeline
    >>> from sklearn_ser.datasets import make_emotional_speech
    >>> X, y = make_emotional_speech(24, n_sessions=2, random_state=0,
    ...                              return_X_y=True)
    >>> pipe = make_baseline_pipeline(LogisticRegression()).fit(X, y)
    >>> recording = np.concatenate(X[:3])
    >>> timeline = predict_timeline(pipe, recording, window=2.0, hop=1.0,
    ...                             segmentation="fixed")
    >>> list(timeline.columns)
    ['start', 'end', 'label', 'ang', 'hap', 'neu', 'sad']
    >>> bool(np.allclose(timeline[["ang", "hap", "neu", "sad"]].sum(axis=1), 1))
    True
    """
    extractor = check_estimator(estimator, "predict_timeline").extractor
    if segmentation not in SEGMENTATIONS:
        raise ValueError(f"segmentation must be one of {SEGMENTATIONS}, got "
                         f"{segmentation!r}.")
    rate = int(extractor.sampling_rate)
    w, h = check_window(window, hop, estimator, rate)
    frames, detection, duration, notes = read_recording(
        audio, sampling_rate, rate, bool(extractor.clip), extractor.feature_set,
        detection=segmentation == "vad",
        max_duration=max_duration)
    if notes is not None:
        is_path = isinstance(audio, (str, os.PathLike))
        label = f"audio ({os.fspath(audio)!r})" if is_path else "audio"
        warn_notes([(label, notes, audio if is_path else None)], rate,
                   stacklevel=2)
    total = frames.shape[0]
    if total == 0:
        return empty_table(list(estimator.classes_))
    if segmentation == "fixed":
        if w > total:
            raise ValueError(
                f"window={w * _frame_seconds(rate):g} s is longer than the recording "
                f"({duration:.2f} s, {total} frames); pass a shorter window, or "
                "classify the recording as one utterance with predict."
            )
        spans = tile(0, total, w, h)
    else:
        spans = [span for a, b in speech_regions(detection, rate)
                 for span in tile(a, b, w, h)]
    proba = classify(estimator, frames, spans, rate)
    return segment_table(estimator, spans, proba, rate)


def _frame_seconds(rate):
    return frame_params(rate)[1] / rate
