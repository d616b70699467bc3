"""Loader of an own corpus from a folder: one sub-folder per label, or a label file."""

import os
from pathlib import Path

import pandas as pd

from ._own import (
    EXPECTED_FOLDER,
    check_column_names,
    check_root,
    corpus_bunch,
    read_csv,
)


def _folder_frame(root, extensions, audio_column, label_column):
    """The table of ``root/<label>/...`` files: one row per audio file."""
    rows = []
    stray = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            if entry.name.lower().endswith(extensions):
                stray.append(entry.path)
            continue
        if not entry.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(entry.path):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or not name.lower().endswith(extensions):
                    continue
                rel = Path(dirpath, name).relative_to(root).as_posix()
                rows.append((rel, entry.name))
    rows.sort()
    if stray:
        raise ValueError(
            f"{len(stray)} audio file(s) lie directly in root {str(root)!r}, "
            f"e.g. {stray[0]!r}, and so have no label; expected "
            f"{EXPECTED_FOLDER} (or give labels, a CSV file)."
        )
    if not rows:
        raise ValueError(
            f"No audio file ({', '.join(extensions)}) in the sub-folders of "
            f"{str(root)!r}; expected {EXPECTED_FOLDER}."
        )
    return pd.DataFrame(rows, columns=[audio_column, label_column])


def _check_extensions(extensions):
    if isinstance(extensions, str):
        extensions = (extensions,)
    try:
        extensions = tuple(extensions)
    except TypeError:
        raise TypeError(
            f"extensions must be a sequence of file extensions such as "
            f"('.wav',), got {extensions!r}."
        ) from None
    if not extensions or not all(
        isinstance(e, str) and e.startswith(".") and len(e) > 1 for e in extensions
    ):
        raise ValueError(
            "extensions must be a non-empty sequence of extensions starting "
            f"with a dot, such as ('.wav', '.flac'), got {extensions!r}."
        )
    return tuple(e.lower() for e in extensions)


def load_folder(root, labels=None, *, audio_column="file", label_column="emotion",
                speaker_column=None, session_column=None, extensions=(".wav",),
                classes=None, return_X_y=False):
    """Load an own corpus from a folder of audio files.

    Two layouts: with ``labels=None``, one sub-folder per label,
    ``root/<label>/<file>.wav`` (files in deeper folders count for the label
    of their top folder); otherwise a label file (CSV) maps the files, given
    relative to ``root``, to their labels, as in :func:`load_csv`. The audio
    is not read.

    Parameters
    ----------
    root : str or path-like
        The folder of the audio files.
    labels : str, path-like, pandas.DataFrame or None, default=None
        The label file (CSV, see :func:`load_csv`), or a DataFrame with the
        same columns; its relative paths are resolved against ``root``.
        ``None`` takes the labels from the sub-folder names; then there is
        no speaker or session information and ``groups`` is ``None``.
    audio_column : str, default="file"
        Column of the audio files in ``labels`` (and of ``data.frame``).
    label_column : str, default="emotion"
        Column of the labels in ``labels`` (and of ``data.frame``).
    speaker_column : str, default=None
        Column of the speakers in ``labels``, if any.
    session_column : str, default=None
        Column of the recording sessions in ``labels``, if any.
    extensions : sequence of str, default=(".wav",)
        With ``labels=None``, the file extensions that count as audio (any
        case); other files are ignored. Any format soundfile reads works,
        e.g. ``(".wav", ".flac")``.
    classes : sequence of str, default=None
        Labels to keep, in this order for ``target_names``; ``None`` keeps
        every label.
    return_X_y : bool, default=False
        If True, return ``(filenames, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        filenames : ndarray of shape (n_samples,), dtype str
            Absolute paths of the audio files, in the order of the rows of
            ``labels`` (the sorted paths with ``labels=None``).
        target : ndarray of shape (n_samples,), dtype str
            The label of each utterance, as written (the sub-folder names
            with ``labels=None``).
        groups : ndarray of shape (n_samples,) or None
            The unit to leave out in cross-validation, for
            :class:`~sklearn.model_selection.GroupKFold` and
            :func:`~sklearn_ser.evaluate_sessions`: the sessions when
            ``session_column`` is given, else the speakers when
            ``speaker_column`` is given, else ``None``. Every utterance
            its own group would let a speaker's utterances sit on both
            sides of a split and overstate the scores, so without a
            speaker or session there are no groups, and what needs them
            (``evaluate_sessions``, ``GroupKFold``) raises. Sessions are
            int64 when every value is an integer, else str; speakers are
            str.
        speakers : ndarray of shape (n_samples,), dtype str, or None
            The speaker column (for ``classifier__groups=data.speakers``
            or ``normalization="speaker"``); ``None`` without
            ``speaker_column``.
        utterance_ids : ndarray of shape (n_samples,), dtype str
            The path of each file relative to ``root`` (its absolute path
            when it lies elsewhere), without the extension, e.g.
            ``"s01/happy_001"``.
        target_names : ndarray of shape (n_classes,), dtype str
            The classes: the order of ``classes``, or the sorted labels.
        frame : pandas.DataFrame
            The rows kept, with every column of ``labels`` (the columns
            ``audio_column`` and ``label_column`` with ``labels=None``),
            values as strings (the named columns without surrounding
            blanks).
        DESCR : str
            Source, columns, what ``groups`` are, and the counts per
            class, session and speaker.

    (filenames, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If ``root``, the label file or a listed audio file does not exist.
        This error is also a :class:`ValueError`.
    ValueError
        With ``labels=None``: if audio files lie directly in ``root`` (they
        have no label) or no sub-folder holds an audio file. With a label
        file: as :func:`load_csv`.
    TypeError
        If ``root`` or ``labels`` is not a path (or a DataFrame), or a
        column name is not a string.

    See Also
    --------
    load_csv : Load a corpus from a CSV file of paths and labels.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np, soundfile as sf
    >>> from sklearn_ser.datasets import load_folder
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ["ang/a.wav", "neu/b.wav", "neu/c.wav"]:
    ...     (root / name).parent.mkdir(exist_ok=True)
    ...     sf.write(root / name, np.zeros(1600), 16000)
    >>> data = load_folder(root)
    >>> data.utterance_ids.tolist(), data.target.tolist(), data.groups
    (['ang/a', 'neu/b', 'neu/c'], ['ang', 'neu', 'neu'], None)
    """
    root = check_root(root)
    if labels is None:
        if speaker_column is not None or session_column is not None:
            raise ValueError(
                "speaker_column and session_column name columns of a label "
                "file; with labels=None the labels come from the sub-folder "
                "names and there is no such column."
            )
        extensions = _check_extensions(extensions)
        check_column_names(audio_column=audio_column, label_column=label_column)
        frame = _folder_frame(root, extensions, audio_column, label_column)
        source = f"The folder {str(root)!r}"
        header = f"Corpus of the folder {root} (labels: the sub-folder names)"
    elif isinstance(labels, pd.DataFrame):
        frame = labels.astype(object).where(labels.notna(), "").astype(str)
        frame.columns = [str(c) for c in frame.columns]
        source = "The labels DataFrame"
        header = f"Corpus of the folder {root} (labels: a DataFrame)"
    else:
        try:
            csv_path, frame = read_csv(labels)
        except TypeError:
            raise TypeError(
                "labels must be a path to a CSV file, a pandas DataFrame or "
                f"None, got {type(labels).__name__}."
            ) from None
        source = f"The label file {str(csv_path)!r}"
        header = f"Corpus of the folder {root} (labels: {csv_path})"
    return corpus_bunch(
        frame, source=source, root=root, audio_column=audio_column,
        label_column=label_column, speaker_column=speaker_column,
        session_column=session_column, classes=classes, return_X_y=return_X_y,
        header=header,
    )

