"""Is there speech in an utterance? A check on the LLDs already extracted.

The 32 LLDs of :class:`~sklearn_ser.LLDExtractor` hold openSMILE's pitch
(``F0_sma``, 0 in unvoiced frames) and voicing probability
(``voiceProb_sma``) of every 10 ms frame. An utterance without a single
voiced frame (silence, noise, a click) or with the same pitch in every frame
(a pure tone, a dial tone) is not speech; a classifier still gives it a
confident label, so the command line says so.
"""

import numpy as np

from ._paper import FRAME_STEP

#: Fewer frames than this (0.1 s) are too short to carry an emotion.
MIN_FRAMES = 10
#: Voicing probability above which a frame counts as voiced.
VOICED_PROBABILITY = 0.5
#: A voiced fraction above this, with a pitch spread (interquartile range, in
#: semitones) below ``TONE_SPREAD``, is a steady tone.
TONE_VOICED_FRACTION = 0.95
TONE_SPREAD = 0.25

_F0 = "F0_sma"
_VOICING = "voiceProb_sma"


def speech_problem(frames, feature_names):
    """Why an utterance's LLDs do not look like speech, or None.

    Parameters
    ----------
    frames : ndarray of shape (n_frames, n_features)
        LLDs of one utterance (valid frames only).
    feature_names : array-like of str
        Names of the ``n_features`` columns (``get_feature_names_out`` of the
        extractor); ``"F0_sma"`` and ``"voiceProb_sma"`` must be among them.

    Returns
    -------
    problem : str or None
        A short reason (too short, no voiced frame, a steady tone), or None
        when the utterance passes.

    Raises
    ------
    ValueError
        If the pitch or voicing column is missing from ``feature_names``.
    """
    names = list(feature_names)
    for column in (_F0, _VOICING):
        if column not in names:
            raise ValueError(f"feature_names has no {column!r} column; the speech "
                             "check needs the extractor's pitch and voicing LLDs.")
    frames = np.asarray(frames, dtype=float)
    n = len(frames)
    if n < MIN_FRAMES:
        return (f"only {n} frame{'s' if n != 1 else ''} "
                f"({n * FRAME_STEP * 1000:.0f} ms) of audio, too short to hold "
                "speech")
    f0 = frames[:, names.index(_F0)]
    voiced = (f0 > 0) | (frames[:, names.index(_VOICING)] > VOICED_PROBABILITY)
    if not voiced.any():
        return "no voiced frame (silence, noise or another non-speech sound)"
    pitched = f0[f0 > 0]
    if voiced.mean() > TONE_VOICED_FRACTION and len(pitched) >= MIN_FRAMES:
        semitones = 12 * np.log2(pitched)
        q25, q75 = np.percentile(semitones, [25, 75])
        if q75 - q25 < TONE_SPREAD:
            return (f"a steady tone (pitch {np.median(pitched):.0f} Hz in almost "
                    "every frame), not speech")
    return None
