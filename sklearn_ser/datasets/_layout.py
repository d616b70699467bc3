"""Write a corpus as an IEMOCAP-style tree (wav files and EmoEvaluation files)."""

import numbers
import os
import re
from pathlib import Path

import numpy as np

from ._iemocap import IEMOCAP_LABELS, UTTERANCE_ID

# Valence, activation and dominance (1-5 scale) written for each label of a
# bunch without a 'dimensions' field, and the category name the evaluator lines
# use.
_VAD = {
    "ang": (1.5, 4.0, 4.0),
    "hap": (4.0, 3.0, 3.0),
    "exc": (4.0, 4.0, 3.5),
    "neu": (2.5, 2.5, 2.5),
    "sad": (1.5, 1.5, 2.0),
    "fru": (2.0, 3.5, 3.5),
    "fea": (1.5, 3.5, 2.0),
    "sur": (3.5, 4.0, 3.0),
    "dis": (1.5, 3.0, 3.5),
    "oth": (3.0, 3.0, 3.0),
    "xxx": (2.5, 3.0, 3.0),
}
_CATEGORY = {
    "ang": "Anger",
    "hap": "Happiness",
    "exc": "Excited",
    "neu": "Neutral state",
    "sad": "Sadness",
    "fru": "Frustration",
    "fea": "Fear",
    "sur": "Surprise",
    "dis": "Disgust",
    "oth": "Other",
    "xxx": "Neutral state; Frustration",
}
_HEADER = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
_DIALOG_OF = re.compile(r"^(.*)_[FM]\d+$")


def _field(bunch, name):
    try:
        return bunch[name]
    except (KeyError, TypeError):
        return getattr(bunch, name, None)


def _derive_ids(speakers, groups):
    """Dialogs and utterance ids for a corpus that has none."""
    dialogs, utt_ids, counters = [], [], {}
    seen = {}
    for i, (spk, session) in enumerate(zip(speakers, groups, strict=True)):
        spk = str(spk)
        if not spk or spk[-1] not in "FM":
            raise ValueError(
                f"bunch.speakers[{i}] = {spk!r} does not end with the speaker's "
                "F/M letter (e.g. 'Ses01F'); give bunch.utterance_ids and "
                "bunch.dialogs instead."
            )
        k = seen.get(session, 0)
        seen[session] = k + 1
        if k % 2 == 0:
            dialog = f"Ses{session:02d}F_impro01"
        else:
            dialog = f"Ses{session:02d}F_script01_1"
        n = counters.get((dialog, spk[-1]), 0)
        counters[(dialog, spk[-1])] = n + 1
        dialogs.append(dialog)
        utt_ids.append(f"{dialog}_{spk[-1]}{n:03d}")
    return dialogs, utt_ids


def write_iemocap_layout(bunch, root):
    """Write a corpus of waveforms as an IEMOCAP-style tree.

    Writes ``<root>/SessionN/sentences/wav/<dialog>/<utterance_id>.wav``
    (16-bit PCM) and ``<root>/SessionN/dialog/EmoEvaluation/<dialog>.txt`` in
    IEMOCAP's format (a ``%`` header, then per utterance a
    ``[START - END]<TAB>ID<TAB>LABEL<TAB>[V, A, D]`` line followed by
    evaluator lines starting with ``C-`` and ``A-``), so that
    :func:`load_iemocap` and the command line can run end to end without the
    real corpus: ``load_iemocap(root, classes=None)`` returns the same
    labels, groups and speakers, and ``load_iemocap(root,
    target="dimensions")`` the same ``dimensions``.

    Parameters
    ----------
    bunch : :class:`~sklearn.utils.Bunch`
        A corpus such as the one of :func:`make_emotional_speech`, with
        ``data`` (1-D waveforms, values in [-1, 1]), ``sampling_rate``,
        ``target`` (IEMOCAP labels; when ``target`` holds the dimensions, a
        2-D array, the labels are taken from ``labels``) and ``groups``
        (session numbers), and
        either ``utterance_ids`` and ``dialogs`` (IEMOCAP-style, as
        :func:`make_emotional_speech` gives them) or ``speakers`` ending with
        the speaker's F/M letter (dialogs and ids are then made up,
        alternating improvised and scripted dialogs per session). If it has
        ``dimensions`` (an ``(n_samples, 3)`` array of valence, arousal and
        dominance, as :func:`make_emotional_speech` gives it), these are
        written as each line's ``[V, A, D]`` triple with 4 decimals;
        without it a fixed triple per label is written.
    root : str or path-like
        Folder to write to; created if needed. Existing files of the same
        names are overwritten.

    Returns
    -------
    root : pathlib.Path
        The folder written.

    Raises
    ------
    ValueError
        If a field is missing or inconsistent (lengths, a label that is not an
        IEMOCAP label, an utterance id whose session differs from its group,
        ``dimensions`` that are not ``(n_samples, 3)`` finite numbers).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_ser.datasets import (
    ...     load_iemocap, make_emotional_speech, write_iemocap_layout)
    >>> corpus = make_emotional_speech(n_samples=12, n_sessions=2, random_state=0)
    >>> root = write_iemocap_layout(corpus, tempfile.mkdtemp())
    >>> data = load_iemocap(root)
    >>> len(data.filenames), sorted(set(data.groups.tolist()))
    (12, [1, 2])
    >>> dims = load_iemocap(root, target="dimensions")
    >>> index = {u: i for i, u in enumerate(corpus.utterance_ids)}
    >>> order = [index[u] for u in dims.utterance_ids]
    >>> bool((dims.target == corpus.dimensions[order]).all())
    True
    """
    data, sr, target, groups = _labelled_waveforms(bunch)
    dimensions = _dimensions(bunch, len(data))
    utt_ids, dialogs = _ids_and_dialogs(bunch, groups)
    import soundfile as sf

    root = Path(root).expanduser()
    by_dialog = {}
    for i in range(len(data)):
        by_dialog.setdefault((groups[i], dialogs[i]), []).append(i)
    for (session, dialog), members in sorted(by_dialog.items()):
        sdir = root / f"Session{session}"
        wav_dir = sdir / "sentences" / "wav" / dialog
        eval_dir = sdir / "dialog" / "EmoEvaluation"
        wav_dir.mkdir(parents=True, exist_ok=True)
        eval_dir.mkdir(parents=True, exist_ok=True)
        lines = [_HEADER]
        t = 1.0
        for i in members:
            wave = np.asarray(data[i])
            if wave.ndim != 1 or wave.dtype.kind not in "fiu":
                raise ValueError(
                    f"bunch.data[{i}] has shape {wave.shape} and dtype "
                    f"{wave.dtype}; expected a 1-D float waveform."
                )
            sf.write(
                wav_dir / f"{utt_ids[i]}.wav",
                np.clip(wave.astype(np.float64), -1.0, 1.0),
                int(sr),
                subtype="PCM_16",
            )
            start, end = t, t + wave.size / sr
            t = end + 0.7
            label = target[i]
            if dimensions is None:
                v, a, d = _VAD[label]
            else:
                v, a, d = (float(x) for x in dimensions[i])
            lines.append(
                f"[{start:.4f} - {end:.4f}]\t{utt_ids[i]}\t{label}\t"
                f"[{v:.4f}, {a:.4f}, {d:.4f}]\n"
            )
            for ev in ("E1", "E2", "E3"):
                lines.append(f"C-{ev}:\t{_CATEGORY[label]};\t()\n")
            for ev in ("E1", "E2"):
                lines.append(
                    f"A-{ev}:\tval {round(v)}; act {round(a)}; dom  {round(d)};\t()\n"
                )
            lines.append("\n")
        (eval_dir / f"{dialog}.txt").write_text("".join(lines), encoding="utf-8")
    return root


def _labelled_waveforms(bunch):
    """``(data, sampling_rate, labels, sessions)`` of a corpus Bunch, checked."""
    data = _field(bunch, "data")
    sr = _field(bunch, "sampling_rate")
    # the labels are the target, or 'labels' when the target holds the
    # dimensions (a 2-D array)
    target = _field(bunch, "target")
    label_field = "target"
    if (target is not None and np.ndim(target) == 2
            and _field(bunch, "labels") is not None):
        label_field = "labels"
        target = _field(bunch, "labels")
    groups = _field(bunch, "groups")
    if data is None or sr is None or target is None or groups is None:
        raise ValueError(
            "bunch must have the fields 'data' (waveforms), 'sampling_rate', "
            "'target' (or 'labels') and 'groups' (sessions), like the corpus of "
            "make_emotional_speech."
        )
    if not isinstance(sr, numbers.Integral) or isinstance(sr, bool) or sr <= 0:
        raise ValueError(
            f"bunch.sampling_rate must be a positive int, got {sr!r}."
        )
    n = len(data)
    target = [str(t) for t in target]
    groups = [int(g) for g in groups]
    if len(target) != n or len(groups) != n:
        raise ValueError(
            f"bunch.data has {n} waveforms but {label_field} has {len(target)} "
            f"and groups {len(groups)} entries; expected one per waveform."
        )
    for i, (label, g) in enumerate(zip(target, groups, strict=True)):
        if label not in IEMOCAP_LABELS:
            raise ValueError(
                f"bunch.{label_field}[{i}] = {label!r} is not an IEMOCAP label; "
                f"expected one of {list(IEMOCAP_LABELS)}."
            )
        if g < 1:
            raise ValueError(
                f"bunch.groups[{i}] = {g} is not a session number (1, 2, ...)."
            )

    return data, sr, target, groups


def _dimensions(bunch, n):
    """The ``(n, 3)`` valence, arousal, dominance of a Bunch, or None."""
    dimensions = _field(bunch, "dimensions")
    if dimensions is not None:
        try:
            dimensions = np.asarray(dimensions, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                "bunch.dimensions must be numbers: an (n_samples, 3) array of "
                "valence, arousal and dominance."
            ) from None
        if dimensions.shape != (n, 3):
            raise ValueError(
                f"bunch.dimensions has shape {dimensions.shape}; expected "
                f"({n}, 3): valence, arousal and dominance of each waveform."
            )
        bad = np.flatnonzero(~np.isfinite(dimensions).all(axis=1))
        if bad.size:
            raise ValueError(
                f"bunch.dimensions[{bad[0]}] = {dimensions[bad[0]].tolist()} is "
                "not finite; expected numbers (IEMOCAP's 1-5 scale)."
            )
    return dimensions


def _ids_and_dialogs(bunch, groups):
    """The utterance ids and dialogs of a Bunch, made up from its speakers if
    it has none, checked against the sessions."""
    n = len(groups)
    utt_ids = _field(bunch, "utterance_ids")
    dialogs = _field(bunch, "dialogs")
    if utt_ids is None:
        speakers = _field(bunch, "speakers")
        if speakers is None:
            raise ValueError(
                "bunch needs 'utterance_ids' and 'dialogs', or 'speakers' "
                "(e.g. 'Ses01F') to make them up."
            )
        dialogs, utt_ids = _derive_ids(speakers, groups)
    utt_ids = [str(u) for u in utt_ids]
    if dialogs is None:
        dialogs = []
        for i, u in enumerate(utt_ids):
            m = _DIALOG_OF.match(u)
            if m is None:
                raise ValueError(
                    f"bunch.utterance_ids[{i}] = {u!r} does not end with "
                    "'_F000'-style speaker letter and number."
                )
            dialogs.append(m.group(1))
    dialogs = [str(d) for d in dialogs]
    if len(utt_ids) != n or len(dialogs) != n:
        raise ValueError(
            f"bunch.data has {n} waveforms but utterance_ids has {len(utt_ids)} "
            f"and dialogs {len(dialogs)} entries; expected one per waveform."
        )
    if len(set(utt_ids)) != n:
        raise ValueError("bunch.utterance_ids are not unique.")
    for i, (u, g) in enumerate(zip(utt_ids, groups, strict=True)):
        m = UTTERANCE_ID.match(u)
        if m is None or int(m.group(1)) != g:
            raise ValueError(
                f"bunch.utterance_ids[{i}] = {u!r} is not an IEMOCAP id of "
                f"session {g} (e.g. 'Ses{g:02d}F_impro01_M003')."
            )
        if os.sep in dialogs[i] or "/" in dialogs[i] or not dialogs[i]:
            raise ValueError(f"bunch.dialogs[{i}] = {dialogs[i]!r} is not a name.")
    return utt_ids, dialogs
