"""A synthetic emotional speech corpus generated with numpy and scipy only."""

import numbers

import numpy as np
from scipy.signal import lfilter, sosfilt
from sklearn.utils import Bunch, check_random_state

from ..features._audio import frame_params
from ..features._audio import n_frames as count_frames
from ._base import DIMENSIONS, check_classes, check_target, count_sections

# Per-emotion prosody, relative to the speaker's neutral voice:
#   f0_shift  F0 level shift in semitones
#   f0_range  factor on the pitch-accent and declination excursions
#   tempo     factor on the syllable rate
#   loudness  level change in dB
#   tilt      pole of the one-pole low-pass on the glottal source (higher =
#             steeper spectral tilt, i.e. softer, darker voice)
#   closing   closing phase of the glottal pulse as a fraction of the period
#             (shorter = more abrupt closure = more high-frequency energy)
#   jitter    factor on the speaker's cycle-to-cycle F0 perturbation
#   breath    factor on the aspiration noise
#   pause     factor on the pause durations between phrases
_EMOTIONS = {
    "neu": dict(f0_shift=0.0, f0_range=1.0, tempo=1.00, loudness=0.0, tilt=0.55,
                closing=0.155, jitter=1.0, breath=1.0, pause=1.0),
    "ang": dict(f0_shift=2.5, f0_range=1.25, tempo=1.12, loudness=5.5, tilt=0.30,
                closing=0.10, jitter=2.0, breath=0.6, pause=0.8),
    "hap": dict(f0_shift=3.5, f0_range=1.75, tempo=1.02, loudness=2.0, tilt=0.48,
                closing=0.14, jitter=1.2, breath=0.8, pause=0.9),
    "sad": dict(f0_shift=-1.5, f0_range=0.65, tempo=0.85, loudness=-3.5, tilt=0.68,
                closing=0.19, jitter=1.6, breath=1.8, pause=1.5),
    "exc": dict(f0_shift=4.0, f0_range=1.9, tempo=1.12, loudness=5.0, tilt=0.32,
                closing=0.11, jitter=1.4, breath=0.7, pause=0.8),
    "fru": dict(f0_shift=1.0, f0_range=1.2, tempo=1.04, loudness=3.0, tilt=0.38,
                closing=0.12, jitter=1.7, breath=0.9, pause=1.0),
    "fea": dict(f0_shift=4.5, f0_range=0.9, tempo=1.15, loudness=1.0, tilt=0.48,
                closing=0.14, jitter=2.0, breath=1.4, pause=1.1),
    "sur": dict(f0_shift=4.0, f0_range=2.1, tempo=1.00, loudness=3.0, tilt=0.40,
                closing=0.13, jitter=1.2, breath=0.9, pause=1.0),
    "dis": dict(f0_shift=-0.5, f0_range=1.1, tempo=0.85, loudness=1.0, tilt=0.50,
                closing=0.14, jitter=1.5, breath=1.2, pause=1.2),
    "cal": dict(f0_shift=-1.0, f0_range=0.8, tempo=0.90, loudness=-2.0, tilt=0.62,
                closing=0.18, jitter=0.9, breath=1.3, pause=1.2),
    "bor": dict(f0_shift=-1.5, f0_range=0.5, tempo=0.80, loudness=-3.0, tilt=0.65,
                closing=0.18, jitter=1.1, breath=1.2, pause=1.4),
}

SYNTHETIC_CLASSES = tuple(_EMOTIONS)

#: Mean (valence, arousal, dominance) of each emotion on IEMOCAP's 1-5 scale:
#: plausible values in the manner of IEMOCAP's per-class means, rounded to
#: 0.1 (not measured on the corpus; "cal" and "bor", which IEMOCAP lacks,
#: follow the same scale).
DIMENSION_MEANS = {
    "ang": (1.9, 3.7, 3.8),
    "hap": (3.9, 3.1, 3.1),
    "exc": (3.8, 3.6, 3.4),
    "neu": (2.9, 2.6, 2.8),
    "sad": (2.1, 2.4, 2.5),
    "fru": (2.2, 3.2, 3.3),
    "fea": (2.1, 3.4, 2.4),
    "sur": (3.4, 3.6, 2.9),
    "dis": (2.0, 3.2, 3.4),
    "cal": (3.2, 2.0, 2.8),
    "bor": (2.4, 1.8, 2.4),
}
#: Standard deviation of the per-utterance Gaussian noise on each dimension.
DIMENSION_NOISE = 0.5
# Tag of the random stream of the dimensional noise: the stream is seeded from
# the per-utterance seeds and this tag, and draws nothing from the generator
# of the audio, labels, speakers and ids (which stay those of earlier
# versions).
_DIMENSION_STREAM = 0x564144


def _draw_dimensions(seeds, labels):
    """The (n, 3) valence, arousal and dominance of the utterances."""
    rng = np.random.default_rng([*(int(x) for x in seeds), _DIMENSION_STREAM])
    means = np.array([DIMENSION_MEANS[label] for label in labels], dtype=np.float64)
    noise = rng.normal(0.0, DIMENSION_NOISE, size=(len(labels), 3))
    return np.round(np.clip(means.reshape(-1, 3) + noise, 1.0, 5.0), 4)

# Vowel formants (Hz) of an adult male voice (Peterson & Barney style), and
# the bandwidths of the four formants.
_VOWELS = np.array(
    [
        [730.0, 1090.0, 2440.0, 3400.0],  # a
        [530.0, 1840.0, 2480.0, 3500.0],  # e
        [270.0, 2290.0, 3010.0, 3700.0],  # i
        [570.0, 840.0, 2410.0, 3300.0],  # o
        [300.0, 870.0, 2240.0, 3300.0],  # u
        [660.0, 1720.0, 2410.0, 3400.0],  # ae
        [520.0, 1190.0, 2390.0, 3400.0],  # schwa
    ]
)
_BANDWIDTHS = np.array([70.0, 100.0, 140.0, 200.0])


def _draw_speakers(rng, n_sessions):
    """Voice parameters of the F and M speaker of each session."""
    speakers = []
    for session in range(1, n_sessions + 1):
        # recording conditions are shared by the session's two speakers
        session_gain = rng.normal(0.0, 3.5)
        session_snr = rng.uniform(20.0, 35.0)
        for gender in "FM":
            female = gender == "F"
            speakers.append(
                dict(
                    id=f"Ses{session:02d}{gender}",
                    session=session,
                    gender=gender,
                    f0=(205.0 if female else 118.0) * np.exp(rng.normal(0.0, 0.11)),
                    f0_range=np.exp(rng.normal(0.0, 0.3)),
                    vtl=(1.17 if female else 1.0) * np.exp(rng.normal(0.0, 0.04)),
                    tempo=4.6 * np.exp(rng.normal(0.0, 0.15)),
                    tilt=rng.normal(0.0, 0.12),
                    closing=rng.normal(0.0, 0.03),
                    jitter=0.007 * np.exp(rng.normal(0.0, 0.3)),
                    breath=rng.uniform(0.03, 0.10),
                    gain=session_gain + rng.normal(0.0, 2.0),
                    snr=session_snr + rng.normal(0.0, 2.0),
                )
            )
    return speakers


def _raised_cosine_ramp(n):
    return 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)


def _formant_sos(formants, sr):
    """Cascade of unity-DC-gain two-pole resonators (Klatt), one per formant."""
    sos = []
    for f, bw in zip(formants, _BANDWIDTHS, strict=True):
        if f >= 0.45 * sr:
            continue
        r = np.exp(-np.pi * bw / sr)
        c = -2.0 * r * np.cos(2.0 * np.pi * f / sr)
        sos.append([1.0 + c + r * r, 0.0, 0.0, 1.0, c, r * r])
    return np.array(sos)


def _utterance(rng, spk, emo, sr):
    """One utterance: (waveform float32, ground-truth F0 per 10 ms frame)."""
    # --- per-utterance variation of the speaker's voice -------------------------
    f0_shift = emo["f0_shift"] + rng.normal(0.0, 1.2)
    range_factor = emo["f0_range"] * spk["f0_range"] * np.exp(rng.normal(0.0, 0.3))
    rate = spk["tempo"] * emo["tempo"] * np.exp(rng.normal(0.0, 0.09))
    level_db = -30.0 + spk["gain"] + emo["loudness"] + rng.normal(0.0, 2.0)
    tilt = np.clip(emo["tilt"] + spk["tilt"] + rng.normal(0.0, 0.06), 0.0, 0.92)
    closing = np.clip(emo["closing"] + spk["closing"], 0.06, 0.35)
    jitter = spk["jitter"] * emo["jitter"]
    breath = spk["breath"] * emo["breath"]

    # --- syllables, phrases and pauses ------------------------------------------
    n_syll = int(np.clip(round(np.exp(rng.normal(np.log(9.0), 0.6))), 4, 200))
    n_syll = min(n_syll, int(rate * 7.0))
    syll_dur = np.exp(rng.normal(0.0, 0.25, n_syll)) / rate
    accented = rng.random(n_syll) < 0.4
    phrase_start = np.zeros(n_syll, dtype=bool)
    i = 0
    while i < n_syll:
        phrase_start[i] = True
        i += int(rng.integers(4, 10))
    accented |= phrase_start & (rng.random(n_syll) < 0.5)
    syll_dur *= np.where(accented, 1.2, 1.0)
    pauses = np.where(
        phrase_start,
        np.clip(0.22 * emo["pause"] * np.exp(rng.normal(0.0, 0.4, n_syll)), 0.08, 0.7),
        0.0,
    )
    lead, trail = rng.uniform(0.08, 0.3, 2)
    pauses[0] = lead
    starts = np.cumsum(pauses) + np.concatenate([[0.0], np.cumsum(syll_dur)[:-1]])
    onset = syll_dur * rng.uniform(0.15, 0.4, n_syll)  # unvoiced consonant part
    nuc_start = starts + onset
    nuc_end = starts + syll_dur
    # at most 10 s: drop the syllables that end too late
    keep = max(4, int(np.searchsorted(nuc_end + trail, 9.95)))
    if keep < n_syll:
        n_syll = keep
        syll_dur, accented, phrase_start = (
            syll_dur[:keep], accented[:keep], phrase_start[:keep]
        )
        starts, onset = starts[:keep], onset[:keep]
        nuc_start, nuc_end = nuc_start[:keep], nuc_end[:keep]
    total = nuc_end[-1] + trail
    n = int(round(total * sr))
    phrase_id = np.cumsum(phrase_start) - 1
    n_phrases = phrase_id[-1] + 1

    # --- F0 contour in semitones around the speaker's base ---------------------
    t_ctrl = np.arange(0.0, total + 0.01, 0.005)
    p_begin = starts[phrase_start]
    p_end = np.append(starts[phrase_start][1:], total)
    p_idx = np.clip(np.searchsorted(p_begin, t_ctrl, side="right") - 1, 0, None)
    pos = np.clip((t_ctrl - p_begin[p_idx]) / (p_end[p_idx] - p_begin[p_idx]), 0, 1)
    decl = 2.0 * range_factor * np.exp(rng.normal(0.0, 0.2, n_phrases))
    st = f0_shift + decl[p_idx] * (0.5 - pos)
    centre = 0.5 * (nuc_start + nuc_end)
    width = 0.35 * (nuc_end - nuc_start) + 0.03
    amp = np.where(accented, 2.2, 0.5) * range_factor * rng.uniform(0.6, 1.3, n_syll)
    st = st + (amp[:, None] * np.exp(
        -0.5 * ((t_ctrl[None, :] - centre[:, None]) / width[:, None]) ** 2
    )).sum(axis=0)
    # phrase-final fall (or a rise, as in a question)
    last = nuc_end[-1] - nuc_start[-1]
    final = np.clip((t_ctrl - nuc_start[-1]) / last, 0.0, 1.0)
    st = st + final * range_factor * (2.5 if rng.random() < 0.15 else -1.8)
    wander = rng.normal(0.0, 0.35, int(total * 8) + 2)
    st = st + np.interp(t_ctrl, np.arange(wander.size) / 8.0, wander)
    f0_ctrl = np.clip(spk["f0"] * 2.0 ** (st / 12.0), 60.0, 450.0)

    t = np.arange(n) / sr
    f0 = np.interp(t, t_ctrl, f0_ctrl)

    # --- glottal source: Rosenberg pulse derivative with jitter and shimmer ----
    # jitter: one random period perturbation per (approximate) glottal cycle
    f0_max = float(f0_ctrl.max())
    cycle = (np.arange(n) * (f0_max / sr)).astype(np.int64)
    n_cycles = int(n * f0_max / sr) + 2
    f0_jit = f0 * (1.0 + np.clip(rng.normal(0.0, jitter, n_cycles), -0.1, 0.1)[cycle])
    phase = np.cumsum(f0_jit) / sr
    cycle = phase.astype(np.int64)
    frac = phase - cycle
    t_open = 0.40
    opening = frac < t_open
    open_phase = frac < t_open + closing
    # one sine for both phases: rising flank while opening, falling while closing
    scale = np.where(opening, 0.5 * np.pi / t_open, -0.5 * np.pi / closing)
    arg = np.where(
        opening, (np.pi / t_open) * frac, (0.5 * np.pi / closing) * (frac - t_open)
    )
    dg = np.sin(arg) * scale * open_phase
    dg *= 1.0 + np.clip(rng.normal(0.0, 2.5 * jitter, n_cycles), -0.3, 0.3)[cycle]
    dg += open_phase * (breath * 4.0) * rng.standard_normal(n, dtype=np.float32)
    src = lfilter([1.0 - tilt], [1.0, -tilt], dg)

    # --- voicing envelope and vowel formants, syllable by syllable -------------
    ramp_n = max(2, int(0.02 * sr))
    ramp = _raised_cosine_ramp(ramp_n)
    tail = int(0.03 * sr)
    vowels = rng.integers(0, len(_VOWELS), n_syll)
    formants = _VOWELS[vowels] * spk["vtl"] * np.exp(rng.normal(0.0, 0.04, (n_syll, 4)))
    syll_amp = np.where(accented, 1.0, 0.7) * np.exp(rng.normal(0.0, 0.15, n_syll))
    env = np.zeros(n)
    voiced = np.zeros(n)
    a_idx = np.round(nuc_start * sr).astype(np.int64)
    b_idx = np.minimum(np.round(nuc_end * sr).astype(np.int64), n)
    for k in range(n_syll):
        a, b = a_idx[k], b_idx[k]
        m = b - a
        e = np.full(m, syll_amp[k])
        r = min(ramp_n, m // 2)
        rr = ramp if r == ramp_n else _raised_cosine_ramp(r)
        e[:r] *= rr
        e[m - r:] *= rr[::-1]
        env[a:b] = e / syll_amp[k]
        seg = np.concatenate([src[a:b] * e, np.zeros(tail)])
        out = sosfilt(_formant_sos(formants[k], sr), seg)
        stop = min(n, b + tail)
        voiced[a:stop] += out[: stop - a]

    # active speech level -> the utterance's loudness
    active = voiced[env > 0.5]
    speech_rms = np.sqrt(np.mean(active**2)) if active.size else 1.0
    level = 10.0 ** (level_db / 20.0)
    signal = voiced * (level / speech_rms)

    # --- unvoiced consonant onsets (fricative noise or silent closures) --------
    fric = lfilter([1.0, -0.95], [1.0], rng.standard_normal(n, dtype=np.float32))
    fric *= level / np.std(fric)
    c_amp = rng.uniform(0.05, 0.35, n_syll) * (rng.random(n_syll) < 0.7)
    c_start = np.round(starts * sr).astype(np.int64)
    cons_env = np.zeros(n)
    for k in range(n_syll):
        a, b = c_start[k], a_idx[k]
        m = b - a
        if m < 4 or c_amp[k] == 0.0:
            continue
        cons_env[a:b] = c_amp[k] * np.sin(np.pi * (np.arange(m) + 0.5) / m)
    signal += fric * cons_env

    # --- background noise ---------------------------------------------------
    noise = lfilter([1.0], [1.0, -0.7], rng.standard_normal(n, dtype=np.float32))
    noise *= level * 10.0 ** (-spk["snr"] / 20.0) / np.std(noise)
    signal += noise
    wave = np.clip(signal, -1.0, 1.0).astype(np.float32)

    # --- ground-truth F0 on openSMILE's frame grid --------------------------
    flen, hop = frame_params(sr)
    n_frames = count_frames(n, sr)
    starts_f = np.arange(n_frames) * hop
    csum = np.concatenate([[0], np.cumsum(env >= 0.5)])
    fully_voiced = (csum[starts_f + flen] - csum[starts_f]) == flen
    f0_frames = np.where(fully_voiced, f0[starts_f + flen // 2], 0.0)
    return wave, f0_frames.astype(np.float32)


def _dialog_names(session, n_dialogs):
    """IEMOCAP-style dialog names; even indices improvised, odd ones scripted."""
    names = []
    for k in range(n_dialogs):
        kind_index = k // 2
        wearer = "FM"[kind_index % 2]
        number = kind_index // 2 + 1
        if k % 2 == 0:
            names.append(f"Ses{session:02d}{wearer}_impro{number:02d}")
        else:
            names.append(f"Ses{session:02d}{wearer}_script{number:02d}_1")
    return names


def make_emotional_speech(
    n_samples=400,
    *,
    n_sessions=5,
    classes=("ang", "hap", "neu", "sad"),
    sampling_rate=16000,
    target="category",
    random_state=None,
    return_X_y=False,
):
    """Generate a synthetic emotional speech corpus (IEMOCAP-shaped).

    The library's embedded corpus for demos, examples and tests: no download
    and no external program, only numpy and scipy. Each utterance is
    speech-like audio: a glottal pulse source (Rosenberg pulse derivative with
    jitter, shimmer and aspiration noise) shaped by a spectral-tilt filter and
    by vowel formant resonators, cut into syllables with unvoiced consonant
    onsets, grouped in phrases separated by pauses, over background noise.

    The corpus has ``n_sessions`` sessions with one female and one male
    speaker each, like IEMOCAP. Every speaker has an own voice (F0 level and
    range, vocal tract length, speaking rate, spectral tilt, jitter, recording
    level and noise). Every emotion changes the prosody relative to the
    speaker's neutral voice: F0 level and range, tempo, loudness, spectral tilt
    (glottal closure and source low-pass), jitter, breathiness and pauses. The
    per-speaker and per-utterance variation overlaps the emotion effects, so
    that no single global statistic (mean F0, loudness, duration, ...)
    separates the classes, while a model of the prosody does well above chance.
    Durations spread roughly from 1 to 10 s (median about 2.7 s).

    Every utterance also has dimensional ratings (valence, arousal,
    dominance) on IEMOCAP's 1-5 scale: the mean of its emotion (table
    below) plus Gaussian noise of standard deviation 0.5 on each dimension,
    independent across utterances and dimensions, clipped to [1, 5] and
    rounded to 4 decimals (IEMOCAP's values are averages of the evaluators'
    ratings, written with 4 decimals). The noise is independent of the audio:
    the ratings follow the emotion only, not how loud or high this
    utterance happens to be, so the best prediction from the audio is the
    class mean (simple, and it keeps the audio of every corpus unchanged).

    =======  =======  =======  =========
    emotion  valence  arousal  dominance
    =======  =======  =======  =========
    ang      1.9      3.7      3.8
    hap      3.9      3.1      3.1
    exc      3.8      3.6      3.4
    neu      2.9      2.6      2.8
    sad      2.1      2.4      2.5
    fru      2.2      3.2      3.3
    fea      2.1      3.4      2.4
    sur      3.4      3.6      2.9
    dis      2.0      3.2      3.4
    cal      3.2      2.0      2.8
    bor      2.4      1.8      2.4
    =======  =======  =======  =========

    The means are plausible values in the manner of IEMOCAP's per-class
    means (rounded to 0.1, not measured on that corpus). The noise comes
    from its own random stream, derived from the seed: the waveforms,
    labels, speakers, sessions and ids are the same whatever ``target`` is,
    and the same as before the ratings existed.

    Parameters
    ----------
    n_samples : int, default=400
        Number of utterances, at least ``2 * n_sessions`` (the number of
        speakers): every speaker, hence every session, has at least one
        utterance. The classes are balanced (counts differ by at most one)
        and spread evenly over the speakers.
    n_sessions : int, default=5
        Number of sessions; each has two speakers (``"Ses01F"``,
        ``"Ses01M"``, ...).
    classes : sequence of str, default=("ang", "hap", "neu", "sad")
        Emotions to generate, among ``"ang"``, ``"hap"``, ``"neu"``,
        ``"sad"``, ``"exc"``, ``"fru"``, ``"fea"``, ``"sur"``, ``"dis"``,
        ``"cal"`` and ``"bor"`` (the common label set of
        :mod:`sklearn_ser.datasets`).
    sampling_rate : int, default=16000
        Sampling rate in Hz, at least 8000.
    target : {"category", "dimensions"}, default="category"
        What ``target`` holds: the emotion of each utterance, or its
        ``(valence, arousal, dominance)`` ratings (as in
        :func:`load_iemocap`). Both are always in ``labels`` and
        ``dimensions``.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator; an int gives the same corpus on every call.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch (``target``
        as chosen by the ``target`` parameter).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : list of ndarray of shape (n_samples_i,), dtype float32
            The waveforms, values in [-1, 1].
        target : ndarray of shape (n_samples,) or (n_samples, 3)
            With ``target="category"``, the emotion of each utterance (dtype
            str, the same as ``labels``); with ``target="dimensions"``, its
            valence, arousal and dominance (float64, the same as
            ``dimensions``).
        labels : ndarray of shape (n_samples,), dtype str
            The emotion of each utterance, whatever the target.
        dimensions : ndarray of shape (n_samples, 3), dtype float64
            Valence, arousal and dominance of each utterance, in [1, 5] with
            4 decimals (the emotion's mean plus noise, see above), whatever
            the target. :func:`write_iemocap_layout` writes them in the
            EmoEvaluation files.
        groups : ndarray of shape (n_samples,), dtype int64
            The session (1 to ``n_sessions``) of each utterance, for
            :class:`~sklearn.model_selection.GroupKFold`.
        speakers : ndarray of shape (n_samples,), dtype str
            The speaker of each utterance, e.g. ``"Ses01F"``.
        utterance_ids : ndarray of shape (n_samples,), dtype str
            IEMOCAP-style ids such as ``"Ses01F_impro01_M003"`` (the letter
            before the number is the speaker's).
        dialogs : ndarray of shape (n_samples,), dtype str
            The dialog of each utterance; names contain ``"impro"``
            (improvised) or ``"script"`` (scripted), as in IEMOCAP. Used by
            :func:`write_iemocap_layout`.
        sampling_rate : int
            The sampling rate in Hz.
        f0 : list of ndarray of shape (n_frames_i,), dtype float32
            Ground truth: the F0 (Hz) the generator used, on openSMILE's
            frame grid (frame ``k`` spans ``[k * 10 ms, k * 10 ms + 25 ms)``
            and its value is the F0 at its centre); 0 where the frame is not
            entirely inside a voiced segment. The cycle-to-cycle jitter is
            not included.
        target_names : ndarray of shape (n_classes,) or (3,), dtype str
            The classes, in the order of ``classes``, with
            ``target="category"``; ``["valence", "arousal", "dominance"]``
            with ``target="dimensions"``.
        DESCR : str
            Description of the corpus.

    (data, target) : tuple if ``return_X_y`` is True
        The waveforms (list) and the labels, or the ``(n_samples, 3)``
        ratings with ``target="dimensions"``.

    Raises
    ------
    TypeError
        If ``n_samples``, ``n_sessions`` or ``sampling_rate`` is not an int.
    ValueError
        If ``n_samples`` is smaller than ``2 * n_sessions`` (the message
        names the minimum), ``n_sessions`` is below 1, ``sampling_rate``
        below 8000 Hz, a class is unknown, or ``target`` is neither
        ``"category"`` nor ``"dimensions"``.

    See Also
    --------
    write_iemocap_layout : Write the corpus as an IEMOCAP-style tree.
    load_iemocap : Load the IEMOCAP corpus (or such a tree).

    Examples
    --------
    >>> from sklearn_ser.datasets import make_emotional_speech
    >>> data = make_emotional_speech(n_samples=8, n_sessions=2, random_state=0)
    >>> len(data.data), data.sampling_rate, data.data[0].dtype
    (8, 16000, dtype('float32'))
    >>> sorted(set(data.target.tolist()))
    ['ang', 'hap', 'neu', 'sad']
    >>> sorted(set(data.speakers.tolist())), sorted(set(data.groups.tolist()))
    (['Ses01F', 'Ses01M', 'Ses02F', 'Ses02M'], [1, 2])
    >>> dims = make_emotional_speech(n_samples=8, n_sessions=2, random_state=0,
    ...                              target="dimensions")
    >>> dims.target.shape, dims.target_names.tolist()
    ((8, 3), ['valence', 'arousal', 'dominance'])
    >>> bool((dims.labels == data.target).all())
    True
    """
    if not isinstance(n_samples, numbers.Integral) or isinstance(n_samples, bool):
        raise TypeError(f"n_samples must be an int, got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}.")
    if not isinstance(n_sessions, numbers.Integral) or isinstance(n_sessions, bool):
        raise TypeError(f"n_sessions must be an int, got {n_sessions!r}.")
    if n_sessions < 1:
        raise ValueError(f"n_sessions must be at least 1, got {n_sessions}.")
    if n_samples < 2 * n_sessions:
        fewer = (f" or n_sessions <= {n_samples // 2}" if n_samples >= 2 else "")
        raise ValueError(
            f"n_samples={n_samples} is too small for n_sessions={n_sessions}: "
            f"the corpus has {2 * n_sessions} speakers (two per session) and "
            "every speaker needs at least one utterance; give n_samples >= "
            f"{2 * n_sessions}{fewer}."
        )
    if not isinstance(sampling_rate, numbers.Integral) or isinstance(
        sampling_rate, bool
    ):
        raise TypeError(f"sampling_rate must be an int, got {sampling_rate!r}.")
    if sampling_rate < 8000:
        raise ValueError(
            f"sampling_rate must be at least 8000 Hz, got {sampling_rate}."
        )
    classes = check_classes(
        classes, allowed=SYNTHETIC_CLASSES, corpus="synthetic"
    )
    if classes is None:
        raise ValueError(
            f"classes must be a sequence of names among {list(SYNTHETIC_CLASSES)}."
        )
    check_target(target)
    n_samples, n_sessions = int(n_samples), int(n_sessions)
    sr = int(sampling_rate)
    rng = check_random_state(random_state)

    speakers = _draw_speakers(rng, n_sessions)
    n_speakers = len(speakers)
    n_classes = len(classes)
    # balanced classes; utterance k has class k % n_classes
    label_idx = np.arange(n_samples) % n_classes
    first_speaker = rng.randint(n_speakers)
    if -(-n_samples // n_classes) >= n_speakers:
        # each block of n_classes utterances (one per class) goes to the next
        # speaker in turn: every speaker is reached (the corpus of every size
        # that covered all speakers before is unchanged)
        speaker_idx = (np.arange(n_samples) // n_classes + first_speaker) % (
            n_speakers
        )
    else:
        # fewer blocks than speakers: the blocks would leave speakers (and
        # sessions) without an utterance, so the speakers take turns per
        # utterance instead
        speaker_idx = (np.arange(n_samples) + first_speaker) % n_speakers
    order = rng.permutation(n_samples)
    label_idx, speaker_idx = label_idx[order], speaker_idx[order]

    # dialogs: each session's utterances spread over improvised and scripted
    # dialogs, numbered per speaker in order of appearance
    dialogs = np.empty(n_samples, dtype=object)
    utt_ids = np.empty(n_samples, dtype=object)
    sessions = np.array([speakers[s]["session"] for s in speaker_idx])
    for session in range(1, n_sessions + 1):
        members = np.flatnonzero(sessions == session)
        if members.size == 0:
            continue
        names = _dialog_names(session, max(2, int(round(members.size / 12))))
        assign = rng.permutation(members.size) % len(names)
        counters = {}
        for j, i in enumerate(members):
            dialog = names[assign[j]]
            gender = speakers[speaker_idx[i]]["gender"]
            count = counters.get((dialog, gender), 0)
            counters[(dialog, gender)] = count + 1
            dialogs[i] = dialog
            utt_ids[i] = f"{dialog}_{gender}{count:03d}"

    seeds = rng.randint(0, 2**31 - 1, size=n_samples)
    data, f0 = [], []
    for i in range(n_samples):
        wave, contour = _utterance(
            np.random.default_rng(seeds[i]),
            speakers[speaker_idx[i]],
            _EMOTIONS[classes[label_idx[i]]],
            sr,
        )
        data.append(wave)
        f0.append(contour)

    labels = np.array([classes[k] for k in label_idx], dtype=str)
    dimensions = _draw_dimensions(seeds, labels)
    dimensional = target == "dimensions"
    target = dimensions.copy() if dimensional else labels.copy()
    if return_X_y:
        return data, target
    durations = np.array([w.size / sr for w in data])
    descr = (
        "Synthetic emotional speech corpus (sklearn_ser.datasets."
        "make_emotional_speech)\n"
        f"{n_samples} utterances at {sr} Hz, {n_sessions} session(s) with one "
        "female and one male speaker each.\n"
        "Glottal pulse source with jitter, shimmer and aspiration noise, "
        "spectral tilt, vowel formants, syllables, phrases, pauses and "
        "background noise; emotions change F0 level and range, tempo, "
        "loudness, spectral tilt, jitter, breathiness and pauses.\n"
        f"Durations: min {durations.min():.2f} s, median "
        f"{np.median(durations):.2f} s, max {durations.max():.2f} s.\n"
        "Dimensions (valence, arousal, dominance; 1-5 scale): the emotion's "
        f"mean plus Gaussian noise (sd {DIMENSION_NOISE}), clipped to [1, 5]"
        f"; target: {'dimensions' if dimensional else 'category'}.\n"
        + count_sections(("class", labels, classes))
    )
    return Bunch(
        data=data,
        target=target,
        labels=labels,
        dimensions=dimensions,
        groups=sessions.astype(np.int64),
        speakers=np.array([speakers[s]["id"] for s in speaker_idx], dtype=str),
        utterance_ids=utt_ids.astype(str),
        dialogs=dialogs.astype(str),
        sampling_rate=sr,
        f0=f0,
        target_names=np.array(DIMENSIONS if dimensional else classes, dtype=str),
        DESCR=descr,
    )
