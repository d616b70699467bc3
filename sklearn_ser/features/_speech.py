"""Where is the speech? The one speech detector of the library, on the LLDs.

The detector behind ``predict_timeline(segmentation="vad")`` and behind the
non-speech warnings of ``sklearn-ser predict`` works on the frames that
:class:`~sklearn_ser.LLDExtractor` computed already: it reads neither the
audio again nor openSMILE's pitch tracker, which misses low voices (on real
recordings of low male voices it gives F0 = 0 and a voicing probability
under 0.5 in every frame).

From the MFCC 1-12 and the RMS energy of each frame it rebuilds the level
of the 26 mel bands the MFCCs were computed from (the inverse of openSMILE's
liftered DCT, scaled so that the band powers add up to the frame's energy),
estimates the noise of every band as a low percentile of that band over the
recording, and scores each frame with the likelihood ratio of a
statistical-model detector (Sohn, Kim and Sung, 1999) on the bands that are
above their noise: speech raises some bands far above a steady noise, in
white or pink noise down to 5 dB SNR, while a steady noise, a steady tone
and silence do not. Frames are speech by hysteresis on the smoothed score;
pauses shorter than 0.25 s are bridged (a pause of 0.3 s between two
utterances separates them), and regions are widened by 30 ms. The user
guide gives the measurements behind these values, on real speech.

The detector reads the columns of the IS09 set. For an extractor of
another feature set (eGeMAPS, ComParE) or a pretrained encoder,
:func:`detector_frames` computes the IS09 frames of the same audio (one
more openSMILE pass, over a hundred times faster than real time), so the
detector and its measured behaviour stay the same whatever the features
the model reads.
"""

import numpy as np

from ._audio import frame_params
from ._opensmile import FEATURE_NAMES

__all__ = ["detector_frames", "speech_frames", "speech_problem", "speech_regions"]

NOISE_PERCENTILE = 10
"""Percentile of each band's level over the recording taken as its noise."""
DYNAMIC_RANGE = 50.0
"""dB: a band's noise is taken at least this far below the loudest frames
(a recording with digital silence between utterances has no noise)."""
SILENCE_RMS = -75.0
"""dBFS: a frame's RMS energy below this is silence whatever the recording."""
HIGH_SCORE = 0.5
"""Score (mean log likelihood ratio over the bands) of a frame that is surely
speech; a region must hold one."""
LOW_SCORE = 0.2
"""Score down to which a region around a sure frame extends."""
SMOOTH = 0.05
"""Seconds over which the score is averaged."""
MAX_GAP = 0.25
"""Seconds: shorter pauses inside speech are bridged."""
MIN_SPEECH = 0.1
"""Seconds: shorter regions are dropped (clicks)."""
PAD = 0.03
"""Seconds added before and after each region."""

MIN_FRAMES = 10
"""Fewer frames than this (0.1 s) are too short to carry an emotion."""
VOICED_FRACTION = 0.9
"""Above this share of voiced speech frames a steady pitch is a tone or music."""
TONE_SPREAD = 0.25
"""Semitones: a pitch spread (interquartile range) below this is one tone."""
HELD_STEP = 0.1
"""Semitones: a pitch step between two frames below this holds the pitch."""
HELD_SHARE = 0.8
"""Share of held steps above which the pitch moves in notes, not in speech
(real speech: at most 0.72 of its voiced steps, 0.39 in 99 % of clips)."""

_ENERGY = "pcm_RMSenergy_sma"
_F0 = "F0_sma"
_MFCC = tuple(f"pcm_fftMag_mfcc_sma[{k}]" for k in range(1, 13))

# openSMILE's MFCCs (cMfcc, htkcompatible): c_j = sqrt(2 / 26) * L_j *
# sum_k log|mel_k| cos(pi j (k + 1/2) / 26), liftered by L_j = 1 + 11 sin(pi
# j / 22). The pseudo-inverse over j = 1..12 gives the log band magnitudes up
# to their mean, which the RMS energy then fixes.
_N_BANDS = 26
_J = np.arange(1, 13)
_LIFTER = 1 + 11 * np.sin(np.pi * _J / 22)
_BASIS = (np.sqrt(2 / _N_BANDS)
          * np.cos(np.pi * np.outer(_J, np.arange(_N_BANDS) + 0.5) / _N_BANDS)
          / _LIFTER[:, None])
_DB = np.log(10) / 20  # dB -> natural log of a magnitude


def _columns(feature_names):
    names = list(FEATURE_NAMES if feature_names is None else feature_names)
    missing = [c for c in (_ENERGY, _F0, *_MFCC) if c not in names]
    if missing:
        raise ValueError(
            f"feature_names has no {missing[0]!r} column; the speech detector "
            "needs the RMS energy, the pitch and MFCC 1-12 of LLDExtractor's "
            "IS09 features (for an extractor of another feature set, "
            "detector_frames computes them from the same audio)."
        )
    return (names.index(_ENERGY), names.index(_F0),
            [names.index(c) for c in _MFCC])


def _band_levels(frames, energy, mfcc):
    """Natural log of the magnitude of each of the 26 mel bands, per frame."""
    shape = frames[:, mfcc].astype(np.float64) @ _BASIS
    log_rms = np.log(np.maximum(frames[:, energy].astype(np.float64), 1e-10))
    top = shape.max(axis=1, keepdims=True)
    total = 0.5 * np.log(np.exp(2 * (shape - top)).sum(axis=1)) + top[:, 0]
    return shape + (log_rms - total)[:, None]


def _smooth(x, n):
    if n <= 1 or x.shape[0] < 2:
        return x
    kernel = np.ones(n) / n
    padded = np.pad(x, (n // 2, n - 1 - n // 2), mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def _runs(mask):
    """``(starts, stops)`` of the runs of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate([[False], mask, [False]]).astype(np.int8))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def speech_frames(frames, sampling_rate=16000, feature_names=None):
    """Which frames of a recording are speech, before pauses are bridged.

    Parameters
    ----------
    frames : ndarray of shape (n_frames, n_features)
        LLDs of the recording (:class:`~sklearn_ser.LLDExtractor`'s columns).
    sampling_rate : int, default=16000
        Sampling rate of the features.
    feature_names : array-like of str, default=None
        Names of the columns; None means the extractor's 32.

    Returns
    -------
    speech : ndarray of shape (n_frames,), dtype bool
    """
    frames = np.asarray(frames)
    energy, _, mfcc = _columns(feature_names)
    n = frames.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    _, step = frame_params(sampling_rate)
    frame_s = step / sampling_rate
    levels = _band_levels(frames, energy, mfcc)
    noise = np.percentile(levels, NOISE_PERCENTILE, axis=0)
    loud = np.percentile(levels.max(axis=1), 99)
    floor = (SILENCE_RMS * _DB) - 0.5 * np.log(_N_BANDS)
    noise = np.maximum(noise, max(loud - DYNAMIC_RANGE * _DB, floor))
    ratio = np.exp(2 * (levels - noise))  # a posteriori SNR of each band
    lam = np.where(ratio > 1, ratio - np.log(np.maximum(ratio, 1)) - 1, 0.0)
    score = _smooth(lam.mean(axis=1), max(1, int(round(SMOOTH / frame_s))))
    strong = score > HIGH_SCORE
    starts, stops = _runs(score > LOW_SCORE)
    count = np.concatenate([[0], np.cumsum(strong)])
    keep = count[stops] > count[starts]
    speech = np.zeros(n, dtype=bool)
    for a, b in zip(starts[keep].tolist(), stops[keep].tolist(), strict=True):
        speech[a:b] = True
    return speech


def speech_regions(frames, sampling_rate=16000, feature_names=None):
    """Speech regions of a recording from its LLDs: ``[(start, stop), ...]`` frames.

    The frames of :func:`speech_frames`, with pauses shorter than 0.25 s
    bridged, regions shorter than 0.1 s dropped and the others widened by
    30 ms on each side.

    Parameters
    ----------
    frames : ndarray of shape (n_frames, n_features)
        LLDs of the recording (:class:`~sklearn_ser.LLDExtractor`'s columns).
    sampling_rate : int, default=16000
        Sampling rate of the features.
    feature_names : array-like of str, default=None
        Names of the columns; None means the extractor's 32.

    Returns
    -------
    regions : list of tuple of int
        Frame ranges ``[start, stop)``, sorted, not overlapping.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import LLDExtractor
    >>> from sklearn_ser.features._speech import speech_regions
    >>> t = np.arange(8000) / 16000
    >>> word = 0.3 * np.sin(2 * np.pi * 150 * t) * np.hanning(8000)  # 0.5 s
    >>> pause = np.zeros(6400)                                       # 0.4 s
    >>> recording = np.concatenate([pause, word, pause, word, pause])
    >>> [frames] = LLDExtractor().fit_transform([recording])
    >>> [(a / 100, b / 100) for a, b in speech_regions(frames)]  # seconds
    [(0.36, 0.92), (1.26, 1.82)]
    """
    speech = speech_frames(frames, sampling_rate, feature_names)
    n = speech.shape[0]
    _, step = frame_params(sampling_rate)
    frame_s = step / sampling_rate
    max_gap = int(round(MAX_GAP / frame_s))
    pad = int(round(PAD / frame_s))
    min_len = int(round(MIN_SPEECH / frame_s))
    starts, stops = _runs(speech)
    if starts.size == 0:
        return []
    # bridge the pauses of at most max_gap frames
    cut = (starts[1:] - stops[:-1]) > max_gap
    starts = np.concatenate([starts[:1], starts[1:][cut]])
    stops = np.concatenate([stops[:-1][cut], stops[-1:]])
    regions = []
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        if b - a < min_len:
            continue
        regions.append((max(0, a - pad), min(n, b + pad)))
    return regions


def speech_problem(frames, feature_names=None, sampling_rate=16000):
    """Why an utterance's LLDs do not look like speech, or None.

    The reasons of the warnings of ``sklearn-ser predict``: the detector of
    :func:`speech_regions` finds no speech (silence, a steady noise), or the
    speech it finds has a steady pitch in almost every frame (a tone) or
    moves in held notes (music).

    Parameters
    ----------
    frames : ndarray of shape (n_frames, n_features)
        LLDs of one utterance (valid frames only).
    feature_names : array-like of str, default=None
        Names of the ``n_features`` columns (``get_feature_names_out`` of the
        extractor); None means the extractor's 32.
    sampling_rate : int, default=16000
        Sampling rate of the features.

    Returns
    -------
    problem : str or None
        A short reason, or None when the utterance passes.

    Raises
    ------
    ValueError
        If a column the detector needs is missing from ``feature_names``.
    """
    energy, f0_column, _ = _columns(feature_names)
    frames = np.asarray(frames, dtype=float)
    n = len(frames)
    _, step = frame_params(sampling_rate)
    frame_s = step / sampling_rate
    if n < MIN_FRAMES:
        return (f"only {n} frame{'s' if n != 1 else ''} "
                f"({n * frame_s * 1000:.0f} ms) of audio, too short to hold speech")
    regions = speech_regions(frames, sampling_rate, feature_names)
    if not regions:
        peak = 20 * np.log10(max(float(frames[:, energy].max()), 1e-10))
        if peak < SILENCE_RMS:
            return (f"silence (no frame louder than {SILENCE_RMS:g} dBFS), not "
                    "speech")
        return ("no speech found (a steady noise, or another sound without the "
                "level changes of speech)")
    inside = speech_frames(frames, sampling_rate, feature_names)
    f0 = frames[:, f0_column]
    voiced = inside & (f0 > 0)
    if voiced.sum() < MIN_FRAMES or voiced.sum() <= VOICED_FRACTION * inside.sum():
        return None
    semitones = 12 * np.log2(f0[voiced])
    q25, q75 = np.percentile(semitones, [25, 75])
    if q75 - q25 < TONE_SPREAD:
        return (f"a steady tone (pitch {np.median(f0[voiced]):.0f} Hz in almost "
                "every frame), not speech")
    both = voiced[1:] & voiced[:-1]
    steps = np.abs(np.diff(12 * np.log2(np.maximum(f0, 1e-3))))[both]
    if steps.size and np.mean(steps < HELD_STEP) > HELD_SHARE:
        return ("pitches held in almost every frame (music or a melody of "
                "tones), not speech")
    return None


def detector_frames(extractor, audio, frames=None):
    """The IS09 frames the detector reads for ``audio``, whatever the extractor.

    Parameters
    ----------
    extractor : LLDExtractor or EncoderExtractor
        The first step of a model.
    audio : str, os.PathLike or array-like
        The audio ``frames`` were computed from, read as ``extractor`` reads
        it (its sampling rate, its ``clip``).
    frames : ndarray of shape (n_frames, n_features), default=None
        The extractor's frames of ``audio``: returned as they are when the
        extractor computes the IS09 set.

    Returns
    -------
    frames : ndarray of shape (n_frames_is09, 32)
        The 32 IS09 columns, at the extractor's sampling rate.

    Raises
    ------
    ValueError, TypeError
        If ``audio`` is not usable (as :class:`~sklearn_ser.LLDExtractor`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import LLDExtractor
    >>> from sklearn_ser.features._speech import detector_frames, speech_problem
    >>> tone = 0.3 * np.sin(2 * np.pi * 200 * np.arange(16000) / 16000)
    >>> egemaps = LLDExtractor(feature_set="egemaps")
    >>> [frames] = egemaps.fit_transform([tone])
    >>> detector_frames(egemaps, tone, frames).shape
    (98, 32)
    >>> speech_problem(detector_frames(egemaps, tone, frames))  # a steady sound
    'no speech found (a steady noise, or another sound without the level changes of speech)'
    """
    from ._lld import LLDExtractor

    if (frames is not None and isinstance(extractor, LLDExtractor)
            and extractor.feature_set == "is09"):
        return frames
    is09 = LLDExtractor(sampling_rate=int(extractor.sampling_rate),
                        clip=bool(getattr(extractor, "clip", False)))
    [[found], _] = is09._extract([audio])
    return found
