"""Loader of the IEMOCAP corpus (its EmoEvaluation files and wav tree)."""

import os
import re
from pathlib import Path

import numpy as np

from ._base import (
    DEFAULT_CLASSES,
    DIMENSIONS,
    check_classes,
    check_root,
    check_target,
    count_sections,
    labels_line,
    make_bunch,
    select_classes,
)

#: The categorical labels of IEMOCAP's EmoEvaluation files.
IEMOCAP_LABELS = ("ang", "hap", "exc", "neu", "sad", "fru", "fea", "sur", "dis",
                  "oth", "xxx")

EXPECTED_LAYOUT = (
    "<root>/SessionN/dialog/EmoEvaluation/<dialog>.txt (labels) and "
    "<root>/SessionN/sentences/wav/<dialog>/<utterance_id>.wav (audio), "
    "N = 1, 2, ... as in IEMOCAP_full_release."
)
EXPECTED_LINE = (
    "'[START - END]<TAB>UTTERANCE_ID<TAB>LABEL<TAB>[V, A, D]' "
    "(e.g. '[6.2901 - 8.2357]\\tSes01F_impro01_F000\\tneu\\t[2.5000, 2.5000, "
    "2.5000]'), an evaluator line starting with 'C-' or 'A-', a '%' header or a "
    "blank line"
)

_SESSION_DIR = re.compile(r"^Session(\d+)$")
_TURN_LINE = re.compile(
    r"^\[\s*(\d+(?:\.\d*)?)\s*-\s*(\d+(?:\.\d*)?)\s*\]\s+(\S+)\s+(\S+)\s+\[([^\]]*)\]\s*$"
)
# Ses01F_impro01_M003: session 01, marker wearer F, speaker M (the letter just
# before the utterance number).
UTTERANCE_ID = re.compile(r"^Ses(\d+)[FM]_\S*_([FM])\d+$")

SUBSETS = ("full", "improvised", "scripted")
EXPECTED_TRIPLE = (
    "three comma-separated finite numbers '[VALENCE, AROUSAL, DOMINANCE]' "
    "(IEMOCAP's 1-5 scale, e.g. '[2.5000, 3.3333, 2.0000]')"
)


def _session_dirs(root):
    sessions = []
    for entry in os.scandir(root):
        match = _SESSION_DIR.match(entry.name)
        if match and entry.is_dir():
            sessions.append((int(match.group(1)), Path(entry.path)))
    if not sessions:
        raise ValueError(
            f"{str(root)!r} is not an IEMOCAP tree: it has no Session* folders. "
            f"Expected layout: {EXPECTED_LAYOUT}"
        )
    return sorted(sessions)


def _parse_triple(text):
    """The ``(valence, arousal, dominance)`` of a bracket's text, or a str
    that says what is wrong with it."""
    parts = text.split(",")
    if len(parts) != 3:
        return f"{len(parts)} value(s) in [{text}]"
    values = []
    for name, part in zip(DIMENSIONS, parts, strict=True):
        try:
            value = float(part.strip())
        except ValueError:
            return f"{name} {part.strip()!r} in [{text}] is not a number"
        if not np.isfinite(value):
            return f"{name} {part.strip()!r} in [{text}] is not finite"
        values.append(value)
    return tuple(values)


def _read_turns(path, dimensions):
    """The turns of one EmoEvaluation file.

    ``dimensions`` is ``"skip"`` (5-tuples), ``"check"`` (6-tuples, a bad
    triple raises) or ``"nan"`` (6-tuples, a bad triple becomes NaNs).
    """
    path = Path(path)
    turns = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.strip()
            if not line or line.startswith(("%", "C-", "A-")):
                continue
            match = _TURN_LINE.match(line)
            if match is None:
                raise ValueError(
                    f"{path}, line {lineno}: cannot parse {line[:80]!r}; expected "
                    f"{EXPECTED_LINE}."
                )
            start, end, utt, label, triple = match.group(1, 2, 3, 4, 5)
            if UTTERANCE_ID.match(utt) is None:
                raise ValueError(
                    f"{path}, line {lineno}: {utt!r} is not an IEMOCAP utterance id "
                    "such as 'Ses01F_impro01_M003' (session, marker wearer, "
                    "dialog, then the speaker's F/M letter and the utterance "
                    "number)."
                )
            if label not in IEMOCAP_LABELS:
                raise ValueError(
                    f"{path}, line {lineno}: unknown label {label!r}; IEMOCAP "
                    f"labels are {list(IEMOCAP_LABELS)}."
                )
            turn = (lineno, utt, label, float(start), float(end))
            if dimensions != "skip":
                vad = _parse_triple(triple)
                if isinstance(vad, str):
                    if dimensions == "check":
                        raise ValueError(
                            f"{path}, line {lineno}: bad dimensional triple of "
                            f"{utt!r}: {vad}; expected {EXPECTED_TRIPLE}."
                        )
                    vad = (np.nan, np.nan, np.nan)
                turn = (*turn, vad)
            turns.append(turn)
    return turns


def parse_emo_evaluation(path, *, with_dimensions=False):
    r"""Parse one EmoEvaluation file.

    Parameters
    ----------
    path : path-like
        A ``SessionN/dialog/EmoEvaluation/<dialog>.txt`` file.
    with_dimensions : bool, default=False
        If True, also parse and check the bracketed ``[V, A, D]`` triple of
        each turn line and append it to each tuple.

    Returns
    -------
    turns : list of tuple
        ``(line_number, utterance_id, label, start, end)`` for each labelled
        turn, in file order; with ``with_dimensions=True``,
        ``(line_number, utterance_id, label, start, end, (valence, arousal,
        dominance))``, the three values as floats.

    Raises
    ------
    ValueError
        If a line is neither a turn line, an evaluator line (``C-``/``A-``), a
        ``%`` header nor blank, or if its utterance id or label is not an
        IEMOCAP one; with ``with_dimensions=True`` also if a triple has not
        three values or a value is not a finite number. The message names the
        file and the line number.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_ser.datasets._iemocap import parse_emo_evaluation
    >>> path = os.path.join(tempfile.mkdtemp(), "Ses01F_impro01.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("% header\n\n[6.2901 - 8.2357]\tSes01F_impro01_F000"
    ...                 "\tneu\t[2.5000, 3.3333, 2.0000]\n")
    >>> parse_emo_evaluation(path)
    [(3, 'Ses01F_impro01_F000', 'neu', 6.2901, 8.2357)]
    >>> parse_emo_evaluation(path, with_dimensions=True)[0][5]
    (2.5, 3.3333, 2.0)
    """
    return _read_turns(path, "check" if with_dimensions else "skip")


def load_iemocap(
    root,
    *,
    subset="full",
    classes="auto",
    merge_excited=False,
    target="category",
    return_X_y=False,
):
    """Load the IEMOCAP corpus (utterance paths, categories and dimensions).

    Reads the categorical labels and the dimensional ratings (valence,
    arousal, dominance) of the ``EmoEvaluation`` files and checks the wav
    tree; the audio itself is not read (pass the file names to
    :class:`~sklearn_ser.LLDExtractor`). The groups are the sessions, for
    leave-one-session-out cross-validation with
    :class:`~sklearn.model_selection.GroupKFold` or
    :class:`~sklearn.model_selection.LeaveOneGroupOut`.

    Parameters
    ----------
    root : str or path-like
        The corpus folder (``IEMOCAP_full_release``), which holds
        ``Session1`` ... ``Session5``; each ``SessionN`` has
        ``dialog/EmoEvaluation/<dialog>.txt`` and
        ``sentences/wav/<dialog>/<utterance_id>.wav``.
    subset : {"full", "improvised", "scripted"}, default="full"
        ``"improvised"`` keeps the dialogs whose name contains ``"impro"``,
        ``"scripted"`` the others.
    classes : "auto", sequence of str or None, default="auto"
        Labels to keep, among IEMOCAP's ``"ang"``, ``"hap"``, ``"exc"``,
        ``"neu"``, ``"sad"``, ``"fru"``, ``"fea"``, ``"sur"``, ``"dis"``,
        ``"oth"`` and ``"xxx"`` (no majority among the evaluators); ``None``
        keeps every label. ``"auto"`` is ``("ang", "hap", "neu", "sad")``
        with ``target="category"`` and ``None`` (every label) with
        ``target="dimensions"``. With ``target="category"``,
        ``target_names`` follows this order. The selection applies to the
        labels after ``merge_excited``, whatever the target.
    merge_excited : bool, default=False
        If True, relabel "exc" (excited) as "hap" (happy), a common choice
        in the literature (the paper the library implements does not merge).
        It changes the labels only, never the dimensional ratings.
    target : {"category", "dimensions"}, default="category"
        What ``target`` holds: the categorical label of each utterance, or
        its ``(valence, arousal, dominance)`` ratings. ``subset``,
        ``classes`` and ``merge_excited`` select the utterances the same way
        for both.
    return_X_y : bool, default=False
        If True, return ``(filenames, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        filenames : ndarray of shape (n_samples,), dtype str
            Absolute paths of the wav files.
        target : ndarray of shape (n_samples,) or (n_samples, 3)
            With ``target="category"``, the label of each utterance (dtype
            str, the same as ``labels``); with ``target="dimensions"``, its
            valence, arousal and dominance (float64, the same as
            ``dimensions``).
        labels : ndarray of shape (n_samples,), dtype str
            The categorical label of each utterance (after
            ``merge_excited``), whatever the target: for filtering or for a
            normalisation that needs the neutral utterances.
        dimensions : ndarray of shape (n_samples, 3), dtype float64
            The bracketed ``[V, A, D]`` triple of each utterance line, in the
            file's order: valence, arousal (IEMOCAP's "activation") and
            dominance, on IEMOCAP's 1-5 scale (averages of the evaluators'
            ratings), whatever the target. With ``target="category"`` a
            triple that does not parse gives a row of NaN (the category
            loading accepts such lines, as it always did; the DESCR counts
            them); with ``target="dimensions"`` it is an error.
        groups : ndarray of shape (n_samples,), dtype int64
            The session number (1 to 5) of each utterance.
        speakers : ndarray of shape (n_samples,), dtype str
            The speaker, e.g. ``"Ses01F"`` for session 1's female speaker
            (session plus the F/M letter just before the utterance number:
            ``Ses01F_impro01_M003`` is ``"Ses01M"``).
        utterance_ids : ndarray of shape (n_samples,), dtype str
            IEMOCAP's utterance ids.
        target_names : ndarray of shape (n_classes,) or (3,), dtype str
            The classes with ``target="category"``; ``["valence",
            "arousal", "dominance"]`` with ``target="dimensions"``.
        DESCR : str
            Source folder, selection and counts per class, session and
            speaker (with ``target="dimensions"`` also the mean and standard
            deviation of each dimension).

    (filenames, target) : tuple if ``return_X_y`` is True
        ``target`` is the one of the Bunch: labels, or an ``(n_samples, 3)``
        array with ``target="dimensions"``.

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist or a selected utterance has no wav file.
    ValueError
        If ``root`` is not an IEMOCAP tree, an EmoEvaluation line does not
        parse (the file and line number are named), ``subset``, ``target``
        or a class is unknown, a class has no utterance, or the selection is
        empty. With ``target="dimensions"`` also if the triple of any turn
        line (in any file, selected or not, as for the other checks of a
        line) has not three values or a value is not a finite number (the
        file and line number are named).

    Notes
    -----
    IEMOCAP counts (all five sessions): ang 1103, hap 595, exc 1041, neu 1708,
    sad 1084; the four default classes give 4,490 utterances, 5,531 with
    ``merge_excited=True``. Every utterance line carries its dimensional
    ratings, including those labelled ``"xxx"`` or ``"oth"``, so
    ``target="dimensions"`` keeps them all by default; the scale is not
    checked (a value outside 1-5 is read as written).

    Examples
    --------
    >>> from sklearn_ser.datasets import load_iemocap
    >>> data = load_iemocap("/data/IEMOCAP_full_release",
    ...                     subset="improvised")  # doctest: +SKIP
    >>> data.filenames[0], data.target[0], data.groups[0]  # doctest: +SKIP
    ('/data/IEMOCAP_full_release/Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav', 'neu', 1)
    >>> dims = load_iemocap("/data/IEMOCAP_full_release",
    ...                     target="dimensions")  # doctest: +SKIP
    >>> dims.target_names.tolist(), dims.target[0], dims.labels[0]  # doctest: +SKIP
    (['valence', 'arousal', 'dominance'], array([2.5, 2.5, 2.5]), 'neu')
    """
    if not isinstance(subset, str) or subset not in SUBSETS:
        raise ValueError(
            f"subset must be one of {list(SUBSETS)}, got {subset!r}."
        )
    check_target(target)
    if isinstance(classes, str) and classes == "auto":
        classes = DEFAULT_CLASSES if target == "category" else None
    classes = check_classes(classes, allowed=IEMOCAP_LABELS, corpus="IEMOCAP")
    if merge_excited and classes is not None and "exc" in classes:
        raise ValueError(
            "classes contains 'exc' but merge_excited=True relabels 'exc' as "
            "'hap'; drop 'exc' from classes or set merge_excited=False."
        )
    root = check_root(root, expected=EXPECTED_LAYOUT)

    records = _records(root, "check" if target == "dimensions" else "nan")
    if subset == "improvised":
        records = [r for r in records if "impro" in r[1]]
    elif subset == "scripted":
        records = [r for r in records if "impro" not in r[1]]
    labels = [
        "hap" if merge_excited and r[5] == "exc" else r[5] for r in records
    ]
    where = f"under {str(root)!r} (subset={subset!r})"
    mask, names = select_classes(labels, classes, corpus="IEMOCAP", where=where)
    records = [r for r, keep in zip(records, mask, strict=True) if keep]
    labels = [lab for lab, keep in zip(labels, mask, strict=True) if keep]

    filenames = _wav_paths(root, records)
    groups = [r[0] for r in records]
    speakers = []
    for r in records:
        m = UTTERANCE_ID.match(r[4])
        speakers.append(f"Ses{int(m.group(1)):02d}{m.group(2)}")
    utterance_ids = [r[4] for r in records]
    dimensions = np.array([r[6] for r in records], dtype=np.float64).reshape(-1, 3)

    descr = _description(root, subset, names, merge_excited, target, labels, groups,
                         speakers, dimensions)
    dimensional = target == "dimensions"
    bunch = make_bunch(
        filenames=np.array(filenames, dtype=str),
        target=labels,
        groups=groups,
        speakers=speakers,
        utterance_ids=utterance_ids,
        target_names=DIMENSIONS if dimensional else names,
        descr=descr,
        return_X_y=False,
    )
    bunch.labels = bunch.target.copy()
    bunch.dimensions = dimensions
    if dimensional:
        bunch.target = dimensions.copy()
    if return_X_y:
        return bunch.filenames, bunch.target
    return bunch


def _records(root, mode):
    """``(session, dialog, lineno, eval_path, utt, label, vad)`` of every turn."""
    records = []
    for session, sdir in _session_dirs(root):
        eval_dir = sdir / "dialog" / "EmoEvaluation"
        if not eval_dir.is_dir():
            raise ValueError(
                f"{str(sdir)!r} has no dialog/EmoEvaluation folder. Expected "
                f"layout: {EXPECTED_LAYOUT}"
            )
        files = sorted(
            Path(e.path)
            for e in os.scandir(eval_dir)
            if e.name.endswith(".txt") and not e.name.startswith(".")
            and e.is_file()
        )
        if not files:
            raise ValueError(
                f"{str(eval_dir)!r} has no <dialog>.txt file. Expected layout: "
                f"{EXPECTED_LAYOUT}"
            )
        for path in files:
            dialog = path.stem
            for lineno, utt, label, _, _, vad in _read_turns(path, mode):
                records.append((session, dialog, lineno, path, utt, label, vad))
    return records


def _wav_paths(root, records):
    """The wav file of each record; raises if any is missing (each dialog
    folder is listed once)."""
    listings = {}
    filenames, missing = [], []
    for session, dialog, lineno, path, utt, _, _ in records:
        wav_dir = root / f"Session{session}" / "sentences" / "wav" / dialog
        if wav_dir not in listings:
            try:
                listings[wav_dir] = set(os.listdir(wav_dir))
            except (FileNotFoundError, NotADirectoryError):
                listings[wav_dir] = set()
        name = f"{utt}.wav"
        wav = os.path.abspath(wav_dir / name)
        if name not in listings[wav_dir]:
            missing.append((wav, path, lineno))
        filenames.append(wav)
    if missing:
        wav, path, lineno = missing[0]
        raise FileNotFoundError(
            f"{len(missing)} labelled utterance(s) have no wav file, e.g. {wav!r} "
            f"(labelled in {str(path)!r}, line {lineno}). Expected layout: "
            f"{EXPECTED_LAYOUT}"
        )
    return filenames


def _description(root, subset, names, merge_excited, target, labels, groups,
                 speakers, dimensions):
    """The ``DESCR`` of the Bunch."""
    if target == "dimensions":
        stats = "; ".join(
            f"{name} {dimensions[:, j].mean():.2f} +- {dimensions[:, j].std():.2f}"
            for j, name in enumerate(DIMENSIONS)
        )
        target_line = (
            "Target: dimensions (valence, arousal, dominance; 1-5 scale); "
            f"mean +- std: {stats}\n"
        )
    else:
        n_bad = int(np.isnan(dimensions).any(axis=1).sum())
        target_line = (
            f"{n_bad} utterance(s) have no valid [V, A, D] triple (NaN in "
            "dimensions).\n" if n_bad else ""
        )
    return (
        "IEMOCAP (Interactive Emotional Dyadic Motion Capture database)\n"
        f"Source: {root}\n"
        f"Subset: {subset}; classes: {', '.join(names)}; excited merged into "
        f"happy: {'yes' if merge_excited else 'no'}\n"
        f"{len(labels)} utterances, {len(set(groups))} session(s), "
        f"{len(set(speakers))} speaker(s).\n"
        + target_line
        + count_sections(("class", labels, names), ("session", groups, None),
                         ("speaker", speakers, None))
        + labels_line(names)
    )
