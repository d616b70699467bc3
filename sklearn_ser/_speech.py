"""A speech detector on the LLDs of a recording (the ``"vad"`` segmentation)."""

import numpy as np

from ._audio import frame_params
from ._opensmile import FEATURE_NAMES

__all__ = ["speech_regions"]

# The built-in speech detector (on the LLDs of every frame); the user guide
# gives the measurements behind these values.
VAD_VOICING = 0.55        # voicing probability of a voiced frame (openSMILE's cutoff)
VAD_FLOOR_PERCENTILE = 10  # the quietest 10 % of the frames estimate the noise
VAD_ENERGY_RATIO = 2.0    # energy above twice the noise floor is speech ...
VAD_ENERGY_FLOOR = 1e-4   # ... and above this RMS energy
VAD_SPECTRAL_DISTANCE = 4.0  # mean squared z-score of MFCC 1-12 from the noise
VAD_MIN_VOICED = 5        # frames: a region without this many voiced ones is noise
VAD_MAX_GAP = 0.5         # seconds: shorter pauses inside speech are bridged
VAD_MIN_SPEECH = 0.25     # seconds: shorter regions are dropped
VAD_PAD = 0.1             # seconds added before and after each region

_F0 = FEATURE_NAMES.index("F0_sma")
_ENERGY = FEATURE_NAMES.index("pcm_RMSenergy_sma")
_VOICING = FEATURE_NAMES.index("voiceProb_sma")
_MFCC = slice(FEATURE_NAMES.index("pcm_fftMag_mfcc_sma[1]"),
              FEATURE_NAMES.index("pcm_fftMag_mfcc_sma[12]") + 1)


def speech_regions(frames, sampling_rate=16000):
    """Speech regions of a recording from its LLDs: ``[(start, stop), ...]`` frames.

    The noise is estimated on the quietest 10 % of the frames (their RMS
    energy and the mean and spread of their MFCC 1-12). A frame is speech
    when it is voiced (voicing probability at least 0.55, or a pitch), or
    its energy is above twice the noise floor (and above 1e-4), or its
    spectrum is far from the noise's (mean squared z-score of the MFCCs,
    smoothed over 5 frames, above 4). Pauses shorter than 0.5 s are
    bridged; a region is kept when it lasts at least 0.25 s and holds at
    least 5 voiced frames (noise bursts have none), and is widened by
    0.1 s on both sides.

    Parameters
    ----------
    frames : ndarray of shape (n_frames, 32)
        LLDs of the recording (:class:`~sklearn_ser.LLDExtractor`'s columns).
    sampling_rate : int, default=16000
        Sampling rate of the features.

    Returns
    -------
    regions : list of tuple of int
        Frame ranges ``[start, stop)``, sorted, not overlapping.
    """
    frames = np.asarray(frames)
    n = frames.shape[0]
    if n == 0:
        return []
    _, step = frame_params(sampling_rate)
    frame_s = step / sampling_rate
    energy = frames[:, _ENERGY].astype(np.float64)
    voiced = (frames[:, _VOICING] >= VAD_VOICING) | (frames[:, _F0] > 0)
    if voiced.sum() < VAD_MIN_VOICED:
        return []
    floor = np.percentile(energy, VAD_FLOOR_PERCENTILE)
    quiet = energy <= floor
    mfcc = frames[:, _MFCC].astype(np.float64)
    z = (mfcc - mfcc[quiet].mean(axis=0)) / (mfcc[quiet].std(axis=0) + 1e-3)
    distance = np.convolve((z ** 2).mean(axis=1), np.ones(5) / 5, mode="same")
    speech = (voiced | (distance > VAD_SPECTRAL_DISTANCE)
              | (energy > max(VAD_ENERGY_FLOOR, VAD_ENERGY_RATIO * floor)))
    idx = np.flatnonzero(speech)
    max_gap = int(round(VAD_MAX_GAP / frame_s))
    cuts = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[idx[0]], idx[cuts + 1]])
    stops = np.concatenate([idx[cuts], [idx[-1]]]) + 1
    pad = int(round(VAD_PAD / frame_s))
    min_len = int(round(VAD_MIN_SPEECH / frame_s))
    regions = []
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        if b - a < min_len or voiced[a:b].sum() < VAD_MIN_VOICED:
            continue
        a, b = max(0, a - pad), min(n, b + pad)
        if regions and a <= regions[-1][1]:
            regions[-1] = (regions[-1][0], b)
        else:
            regions.append((a, b))
    return regions
