"""Loader of the Berlin Database of Emotional Speech (EmoDB)."""

import os
import re
from pathlib import Path

from ._base import (
    DEFAULT_CLASSES,
    check_classes,
    check_root,
    count_sections,
    labels_line,
    make_bunch,
    select_classes,
)

#: EmoDB's emotion letters (German names) and their common labels.
EMODB_LABELS = {
    "W": "ang",  # Wut (anger)
    "L": "bor",  # Langeweile (boredom)
    "E": "dis",  # Ekel (disgust)
    "A": "fea",  # Angst (fear)
    "F": "hap",  # Freude (happiness)
    "T": "sad",  # Trauer (sadness)
    "N": "neu",  # neutral
}

EXPECTED_LAYOUT = (
    "<root>/wav/<file>.wav or <root>/<file>.wav with EmoDB file names such as "
    "'03a01Fa.wav' (speaker 2 digits, text code letter + 2 digits, emotion "
    "letter W/L/E/A/F/T/N, version letter)."
)
_NAME = re.compile(r"^(\d{2})([a-z]\d{2})([WLEAFTN])([a-z])\.wav$")


def load_emodb(root, *, classes=DEFAULT_CLASSES, return_X_y=False):
    """Load the Berlin Database of Emotional Speech (EmoDB).

    EmoDB has 535 utterances of ten German actors (five female, five male)
    speaking ten sentences in seven emotions. The speaker, the text and the
    emotion are read from the file names (``03a01Fa.wav``: speaker 03, text
    a01, emotion F = Freude, version a); the audio is not read.

    Emotion letters and the common labels they map to: W (Wut) -> "ang",
    L (Langeweile) -> "bor", E (Ekel) -> "dis", A (Angst) -> "fea",
    F (Freude) -> "hap", T (Trauer) -> "sad", N (neutral) -> "neu".

    Parameters
    ----------
    root : str or path-like
        The corpus folder: the wav files are read from ``<root>/wav`` when it
        exists (the layout of the EmoDB download), else from ``root``.
    classes : sequence of str or None, default=("ang", "hap", "neu", "sad")
        Common labels to keep, among ``"ang"``, ``"bor"``, ``"dis"``,
        ``"fea"``, ``"hap"``, ``"sad"`` and ``"neu"``; ``None`` keeps all
        seven. ``target_names`` follows this order.
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
            The speaker number (03, 08, ..., 16), for
            :class:`~sklearn.model_selection.GroupKFold` (leave speakers out).
        speakers : ndarray of shape (n_samples,), dtype str
            The speaker code, e.g. ``"03"``.
        utterance_ids : ndarray of shape (n_samples,), dtype str
            The file name without ``.wav``, e.g. ``"03a01Fa"``.
        target_names : ndarray of shape (n_classes,), dtype str
            The classes.
        DESCR : str
            Source folder and counts per class and speaker.

    (filenames, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist.
    ValueError
        If a wav file name does not follow EmoDB's pattern, no EmoDB file is
        found, a class is unknown or has no utterance.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_emodb
    >>> data = load_emodb("/data/emodb")  # doctest: +SKIP
    >>> data.utterance_ids[0], data.target[0], data.groups[0]  # doctest: +SKIP
    ('03a01Fa', 'hap', 3)
    """
    classes = check_classes(
        classes, allowed=set(EMODB_LABELS.values()), corpus="EmoDB"
    )
    root = check_root(root, expected=EXPECTED_LAYOUT)
    folder = root / "wav" if (root / "wav").is_dir() else root
    names = sorted(
        e.name
        for e in os.scandir(folder)
        if e.name.lower().endswith(".wav") and not e.name.startswith(".")
        and e.is_file()
    )
    if not names:
        raise ValueError(
            f"No wav file in {str(folder)!r}. Expected layout: {EXPECTED_LAYOUT}"
        )
    parsed = []
    for name in names:
        m = _NAME.match(name)
        if m is None:
            raise ValueError(
                f"{str(folder / name)!r} is not an EmoDB file name. Expected "
                f"layout: {EXPECTED_LAYOUT}"
            )
        parsed.append((name, m.group(1), EMODB_LABELS[m.group(3)]))
    labels = [p[2] for p in parsed]
    mask, target_names = select_classes(
        labels, classes, corpus="EmoDB", where=f"in {str(folder)!r}"
    )
    parsed = [p for p, keep in zip(parsed, mask, strict=True) if keep]
    target = [p[2] for p in parsed]
    speakers = [p[1] for p in parsed]
    descr = (
        "Berlin Database of Emotional Speech (EmoDB)\n"
        f"Source: {folder}\n"
        f"Classes: {', '.join(target_names)}\n"
        f"{len(parsed)} utterances, {len(set(speakers))} speaker(s).\n"
        + count_sections(("class", target, target_names), ("speaker", speakers, None))
        + labels_line(target_names)
    )
    return make_bunch(
        filenames=[os.path.abspath(Path(folder) / p[0]) for p in parsed],
        target=target,
        groups=[int(s) for s in speakers],
        speakers=speakers,
        utterance_ids=[p[0][:-4] for p in parsed],
        target_names=target_names,
        descr=descr,
        return_X_y=return_X_y,
    )
