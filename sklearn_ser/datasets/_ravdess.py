"""Loader of the speech part of RAVDESS."""

import os
import re

from ._base import (
    DEFAULT_CLASSES,
    check_classes,
    check_root,
    count_sections,
    labels_line,
    make_bunch,
    select_classes,
)

#: RAVDESS emotion codes and their common labels.
RAVDESS_LABELS = {
    "01": "neu",  # neutral
    "02": "cal",  # calm
    "03": "hap",  # happy
    "04": "sad",  # sad
    "05": "ang",  # angry
    "06": "fea",  # fearful
    "07": "dis",  # disgust
    "08": "sur",  # surprised
}

EXPECTED_LAYOUT = (
    "<root>/Actor_NN/<file>.wav (root is e.g. Audio_Speech_Actors_01-24; "
    "sub-folders are searched) with RAVDESS file names such as "
    "'03-01-05-01-02-01-12.wav' (modality-vocal channel-emotion-intensity-"
    "statement-repetition-actor, two digits each; modality 03 = audio-only, "
    "vocal channel 01 = speech)."
)
_NAME = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.wav$")


def load_ravdess(root, *, classes=DEFAULT_CLASSES, return_X_y=False):
    """Load the speech part of RAVDESS (audio-only speech files).

    The Ryerson Audio-Visual Database of Emotional Speech and Song has 1,440
    audio-only speech files of 24 actors (odd numbers male, even female), two
    statements in eight emotions. The actor and the emotion are read from the
    file names (``03-01-05-01-02-01-12.wav``: modality 03 audio-only, vocal
    channel 01 speech, emotion 05 angry, intensity 01 normal, statement 02,
    repetition 01, actor 12); only audio-only (03) speech (01) files are
    kept, so song files and the audio-visual modalities are skipped. The
    audio is not read.

    Emotion codes and the common labels they map to: 01 neutral -> "neu",
    02 calm -> "cal", 03 happy -> "hap", 04 sad -> "sad", 05 angry -> "ang",
    06 fearful -> "fea", 07 disgust -> "dis", 08 surprised -> "sur".

    Parameters
    ----------
    root : str or path-like
        The corpus folder (e.g. ``Audio_Speech_Actors_01-24``), searched
        recursively for wav files (usually in ``Actor_01`` ... ``Actor_24``).
    classes : sequence of str or None, default=("ang", "hap", "neu", "sad")
        Common labels to keep, among ``"neu"``, ``"cal"``, ``"hap"``,
        ``"sad"``, ``"ang"``, ``"fea"``, ``"dis"`` and ``"sur"``; ``None``
        keeps all eight. ``target_names`` follows this order.
    return_X_y : bool, default=False
        If True, return ``(filenames, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        filenames : ndarray of shape (n_samples,), dtype str
            Absolute paths of the wav files (sorted by name).
        target : ndarray of shape (n_samples,), dtype str
            The common label of each utterance.
        groups : ndarray of shape (n_samples,), dtype int64
            The actor number (1 to 24), for
            :class:`~sklearn.model_selection.GroupKFold` (leave actors out).
        speakers : ndarray of shape (n_samples,), dtype str
            The actor, e.g. ``"Actor_12"``.
        utterance_ids : ndarray of shape (n_samples,), dtype str
            The file name without ``.wav``.
        target_names : ndarray of shape (n_classes,), dtype str
            The classes.
        DESCR : str
            Source folder and counts per class and actor.

    (filenames, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist.
    ValueError
        If a wav file name does not follow RAVDESS's pattern or has an unknown
        emotion code, no audio-only speech file is found, a class is unknown
        or has no utterance.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_ravdess
    >>> data = load_ravdess("/data/Audio_Speech_Actors_01-24")  # doctest: +SKIP
    >>> data.utterance_ids[0], data.target[0], data.speakers[0]  # doctest: +SKIP
    ('03-01-01-01-01-01-01', 'neu', 'Actor_01')
    """
    classes = check_classes(
        classes, allowed=set(RAVDESS_LABELS.values()), corpus="RAVDESS"
    )
    root = check_root(root, expected=EXPECTED_LAYOUT)
    parsed = []
    n_wav = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.lower().endswith(".wav") or name.startswith("."):
                continue
            n_wav += 1
            path = os.path.join(dirpath, name)
            m = _NAME.match(name)
            if m is None:
                raise ValueError(
                    f"{path!r} is not a RAVDESS file name. Expected layout: "
                    f"{EXPECTED_LAYOUT}"
                )
            modality, channel, emotion = m.group(1, 2, 3)
            if modality != "03" or channel != "01":
                continue
            if emotion not in RAVDESS_LABELS:
                raise ValueError(
                    f"{path!r} has the unknown emotion code {emotion!r}; RAVDESS "
                    f"codes are {sorted(RAVDESS_LABELS)}."
                )
            actor = int(m.group(7))
            parsed.append((name, os.path.abspath(path), RAVDESS_LABELS[emotion], actor))
    if not parsed:
        raise ValueError(
            f"No audio-only speech file (03-01-...) under {str(root)!r} "
            f"({n_wav} wav file(s) found). Expected layout: {EXPECTED_LAYOUT}"
        )
    parsed.sort()
    labels = [p[2] for p in parsed]
    mask, target_names = select_classes(
        labels, classes, corpus="RAVDESS", where=f"under {str(root)!r}"
    )
    parsed = [p for p, keep in zip(parsed, mask, strict=True) if keep]
    target = [p[2] for p in parsed]
    speakers = [f"Actor_{p[3]:02d}" for p in parsed]
    descr = (
        "RAVDESS (Ryerson Audio-Visual Database of Emotional Speech and Song), "
        "audio-only speech\n"
        f"Source: {root}\n"
        f"Classes: {', '.join(target_names)}\n"
        f"{len(parsed)} utterances, {len(set(speakers))} actor(s).\n"
        + count_sections(("class", target, target_names), ("actor", speakers, None))
        + labels_line(target_names)
    )
    return make_bunch(
        filenames=[p[1] for p in parsed],
        target=target,
        groups=[p[3] for p in parsed],
        speakers=speakers,
        utterance_ids=[p[0][:-4] for p in parsed],
        target_names=target_names,
        descr=descr,
        return_X_y=return_X_y,
    )
