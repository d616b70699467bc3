"""A synthetic emotional speech corpus generated with numpy and scipy only."""

import numbers

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._base import DIMENSIONS, check_classes, check_target, count_sections
from ._voice import draw_speakers, utterance

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
    classes = _check_arguments(n_samples, n_sessions, sampling_rate, classes, target)
    n_samples, n_sessions = int(n_samples), int(n_sessions)
    sr = int(sampling_rate)
    rng = check_random_state(random_state)

    speakers = draw_speakers(rng, n_sessions)
    label_idx, speaker_idx = _assign(rng, n_samples, len(speakers), len(classes))
    sessions = np.array([speakers[s]["session"] for s in speaker_idx])
    dialogs, utt_ids = _name_utterances(rng, speakers, speaker_idx, sessions,
                                        n_sessions)

    seeds = rng.randint(0, 2**31 - 1, size=n_samples)
    data, f0 = [], []
    for i in range(n_samples):
        wave, contour = utterance(
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
    descr = _description(data, sr, n_samples, n_sessions, labels, classes,
                         dimensional)
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


def _check_arguments(n_samples, n_sessions, sampling_rate, classes, target):
    """Validate the arguments of :func:`make_emotional_speech`; the classes."""
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
    return classes


def _assign(rng, n_samples, n_speakers, n_classes):
    """The class and the speaker of each utterance: balanced, every speaker used."""
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
    return label_idx, speaker_idx


def _name_utterances(rng, speakers, speaker_idx, sessions, n_sessions):
    """IEMOCAP-style dialogs and utterance ids: each session's utterances spread
    over improvised and scripted dialogs, numbered per speaker in order."""
    n_samples = len(speaker_idx)
    dialogs = np.empty(n_samples, dtype=object)
    utt_ids = np.empty(n_samples, dtype=object)
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
    return dialogs, utt_ids


def _description(data, sr, n_samples, n_sessions, labels, classes, dimensional):
    """The ``DESCR`` of the corpus."""
    durations = np.array([w.size / sr for w in data])
    return (
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
