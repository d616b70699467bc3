"""Loaders of an own corpus: a CSV file of audio paths and labels, or a folder."""

import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._base import check_classes, count_sections

#: How many missing files, duplicate files or bad rows an error message lists.
_SHOWN = 5

EXPECTED_CSV = (
    "a CSV file with a header line and one row per utterance: the audio file "
    "(a path, relative to root or absolute), its label and optionally its "
    "speaker and session, e.g.\n"
    "    file,emotion,speaker,session\n"
    "    s01/happy_001.wav,hap,s01,1"
)
EXPECTED_FOLDER = "<root>/<label>/<file>.wav, one sub-folder per label"


class CorpusFileNotFoundError(FileNotFoundError, ValueError):
    """A file of an own corpus is missing.

    Both a :class:`FileNotFoundError`, like the other loaders' errors for a
    missing corpus, and a :class:`ValueError`, like every other problem of a
    label file.
    """


def _check_path(value, param):
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"{param} must be a path (str or os.PathLike), got "
            f"{type(value).__name__}."
        )
    path = Path(value).expanduser()
    if str(value) == "":
        raise ValueError(f"{param} is an empty string; give a path.")
    return path


def check_root(root, param="root"):
    path = _check_path(root, param)
    if not path.exists():
        raise CorpusFileNotFoundError(
            f"{param} {str(path)!r} does not exist; the audio files are looked "
            "up there."
        )
    if not path.is_dir():
        raise ValueError(f"{param} {str(path)!r} is not a directory.")
    return Path(os.path.abspath(path))


def check_column_names(**columns):
    for param, name in columns.items():
        if name is None and param in _REQUIRED:
            raise TypeError(f"{param} must be a column name (str), got None.")
        if name is not None and not isinstance(name, str):
            raise TypeError(
                f"{param} must be a column name (str), got {name!r} of type "
                f"{type(name).__name__}."
            )
    named = {p: c for p, c in columns.items() if c is not None}
    seen = {}
    for param, name in named.items():
        if name in seen:
            raise ValueError(
                f"{seen[name]} and {param} both name the column {name!r}; give "
                "each its own column."
            )
        seen[name] = param
    return named


_REQUIRED = ("audio_column", "label_column")


def _lines(index):
    """``"lines 2, 5 and 7"`` for data rows ``index`` (0-based, header first)."""
    lines = [str(int(i) + 2) for i in index]
    if len(lines) == 1:
        return f"line {lines[0]}"
    return "lines " + ", ".join(lines[:-1]) + " and " + lines[-1]


def read_csv(path):
    path = _check_path(path, "path")
    if not path.exists():
        raise CorpusFileNotFoundError(
            f"The label file {str(path)!r} does not exist. Expected {EXPECTED_CSV}"
        )
    if path.is_dir():
        raise ValueError(
            f"The label file {str(path)!r} is a directory; give the CSV file "
            "(or use load_folder for a folder of audio files)."
        )
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"The label file {str(path)!r} is empty. Expected {EXPECTED_CSV}"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"The label file {str(path)!r} is not a readable CSV file ({exc}). "
            f"Expected {EXPECTED_CSV}"
        ) from None
    _check_header(path, len(frame.columns))
    frame.columns = [str(c).strip() for c in frame.columns]
    return Path(os.path.abspath(path)), frame


def _check_header(path, n_columns):
    """Refuse a header line that names a column twice.

    pandas renames the second ``emotion`` to ``emotion.1``, so that the
    first would silently be the one used; the names are compared as the
    header line writes them, spaces around them stripped.
    """
    header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False,
                         skipinitialspace=True).iloc[0].tolist()
    names = [str(c).strip() for c in header[:n_columns]]
    positions = {}
    for i, name in enumerate(names):
        positions.setdefault(name, []).append(i + 1)
    repeated = {name: at for name, at in positions.items() if len(at) > 1}
    if repeated:
        name, at = next(iter(repeated.items()))
        where = ", ".join(map(str, at[:-1])) + f" and {at[-1]}"
        raise ValueError(
            f"The label file {str(path)!r} names the column {name!r} more than once "
            f"(columns {where} of its header line); which one "
            "holds the values would be a guess: give each column its own name."
        )


def _check_columns(frame, source, named):
    columns = [str(c) for c in frame.columns]
    for param, name in named.items():
        if name not in columns:
            hint = ""
            if len(columns) == 1:
                sep = next((c for c in ";\t|" if c in columns[0]), None)
                if sep is not None:
                    hint = (f" The header seems to use {sep!r} as separator; "
                            "save the file with commas.")
            raise ValueError(
                f"{source} has no column {name!r} ({param}); its columns are "
                f"{columns}.{hint}"
            )
    dup = [c for c, n in Counter(columns).items() if n > 1]
    if dup:
        raise ValueError(f"{source} has the column {dup[0]!r} more than once.")


def _check_cells(frame, source, named):
    """Strip the named columns' cells; an empty one is an error naming its line."""
    for param, name in named.items():
        values = frame[name].astype(str).str.strip()
        frame[name] = values
        empty = np.flatnonzero((values == "").to_numpy())
        if empty.size:
            more = f" and {empty.size - _SHOWN} more" if empty.size > _SHOWN else ""
            raise ValueError(
                f"{source}: {empty.size} row(s) have no value in the column "
                f"{name!r} ({param}): {_lines(empty[:_SHOWN])}{more}; every row "
                "needs one."
            )


def _resolve(values, root):
    """Absolute, normalised paths; relative ones under ``root``."""
    out = []
    for v in values:
        p = Path(v).expanduser()
        if not p.is_absolute():
            p = root / p
        out.append(os.path.normpath(os.path.abspath(p)))
    return out


def _check_duplicates(frame, filenames, source):
    repeated = frame.duplicated(keep="first").to_numpy()
    if repeated.any():
        first = int(np.flatnonzero(repeated)[0])
        same = np.flatnonzero((frame == frame.iloc[first]).all(axis=1).to_numpy())
        raise ValueError(
            f"{source}: {int(repeated.sum())} duplicate row(s); {_lines(same)} "
            "are identical. Remove the repeated rows."
        )
    by_file = {}
    for i, f in enumerate(filenames):
        by_file.setdefault(f, []).append(i)
    dups = [rows for rows in by_file.values() if len(rows) > 1]
    if dups:
        rows = dups[0]
        raise ValueError(
            f"{source}: {len(dups)} audio file(s) are listed more than once, e.g. "
            f"{filenames[rows[0]]!r} on {_lines(rows)}; each file must appear "
            "on one row only."
        )


def _check_exist(frame, filenames, source, root, audio_column):
    missing = [i for i, f in enumerate(filenames) if not os.path.isfile(f)]
    if missing:
        shown = ", ".join(
            f"{filenames[i]!r} ({_lines([i])})" for i in missing[:_SHOWN]
        )
        more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
        raise CorpusFileNotFoundError(
            f"{source}: {len(missing)} of the {len(filenames)} audio file(s) of "
            f"column {audio_column!r} do not exist: {shown}{more}. Relative "
            f"paths are resolved against root={str(root)!r}."
        )


_INTEGER = re.compile(r"[+-]?[0-9]+")


def _group_values(values):
    """int64 when every value is an integer (``"1"``, ``"05"``), else str."""
    values = np.asarray(values, dtype=str)
    if not all(_INTEGER.fullmatch(v) for v in values):
        return values
    try:
        return np.array([int(v) for v in values], dtype=np.int64)
    except OverflowError:
        return values


def corpus_bunch(frame, *, source, root, audio_column, label_column, speaker_column,
            session_column, classes, return_X_y, header):
    """The Bunch of a table of audio paths and labels (the rows of ``frame``)."""
    named = check_column_names(
        audio_column=audio_column, label_column=label_column,
        speaker_column=speaker_column, session_column=session_column,
    )
    _check_columns(frame, source, named)
    if len(frame) == 0:
        raise ValueError(
            f"{source} has no utterance (no row after the header line)."
        )
    frame = frame.reset_index(drop=True).copy()
    _check_cells(frame, source, named)
    filenames = _resolve(frame[audio_column], root)
    _check_duplicates(frame, filenames, source)
    _check_exist(frame, filenames, source, root, audio_column)

    labels = frame[label_column].tolist()
    classes = check_classes(classes, allowed=set(labels), source=source)
    if classes is not None:
        keep = np.isin(np.asarray(labels, dtype=object),
                       np.array(classes, dtype=object))
        frame = frame[keep].reset_index(drop=True)
        filenames = [f for f, k in zip(filenames, keep, strict=True) if k]
        target_names = classes
    else:
        target_names = tuple(sorted(set(labels)))
    target = frame[label_column].to_numpy(dtype=str)
    filenames = np.asarray(filenames, dtype=str)
    if return_X_y:
        return filenames, target

    speakers = (frame[speaker_column].to_numpy(dtype=str)
                if speaker_column is not None else None)
    sessions = (_group_values(frame[session_column])
                if session_column is not None else None)
    if sessions is not None:
        groups, groups_are = sessions, f"the sessions (column {session_column!r})"
    elif speakers is not None:
        groups = speakers
        groups_are = f"the speakers (column {speaker_column!r})"
    else:
        groups = None
        groups_are = ("None: no speaker_column or session_column was given, so "
                      "speaker-independent folds cannot be drawn")
    utterance_ids = np.array(
        [_utterance_id(f, root) for f in filenames], dtype=str)

    sections = [("class", target, target_names)]
    counts = f"{len(target)} utterances"
    if sessions is not None:
        sections.append(("session", sessions, None))
        counts += f", {len(set(sessions.tolist()))} session(s)"
    if speakers is not None:
        sections.append(("speaker", speakers, None))
        counts += f", {len(set(speakers.tolist()))} speaker(s)"
    descr = (
        f"{header}\n"
        f"Audio root: {root}\n"
        f"Classes: {', '.join(target_names)}\n"
        f"{counts}.\n"
        f"groups: {groups_are}.\n"
        + count_sections(*sections)
    )
    return Bunch(
        filenames=filenames,
        target=target,
        groups=groups,
        speakers=speakers,
        utterance_ids=utterance_ids,
        target_names=np.asarray(target_names, dtype=str),
        frame=frame,
        DESCR=descr,
    )


def _utterance_id(filename, root):
    path = Path(filename)
    try:
        rel = path.relative_to(root)
    except ValueError:
        rel = path
    return rel.with_suffix("").as_posix()


def load_csv(path, *, audio_column="file", label_column="emotion",
             speaker_column=None, session_column=None, root=None, classes=None,
             return_X_y=False):
    """Load an own corpus from a CSV file of audio paths and labels.

    The CSV file has a header line and one row per utterance; the columns
    named by ``audio_column`` and ``label_column`` are required, the speaker
    and session columns optional, and any other column is kept in
    ``data.frame``. The audio is not read, but every file must exist (pass
    ``data.filenames`` to :class:`~sklearn_ser.LLDExtractor` or to the
    pipeline of :func:`~sklearn_ser.make_ser_pipeline`).

    Parameters
    ----------
    path : str or path-like
        The CSV file (comma-separated, UTF-8, with a header line).
    audio_column : str, default="file"
        Column of the audio files: paths relative to ``root``, or absolute.
    label_column : str, default="emotion"
        Column of the labels (any strings, e.g. ``"ang"`` or ``"angry"``).
        The default normalisation of :func:`~sklearn_ser.make_ser_pipeline`
        learns its statistics from the utterances labelled ``"neu"``.
    speaker_column : str, default=None
        Column of the speakers, if any.
    session_column : str, default=None
        Column of the recording sessions, if any.
    root : str or path-like, default=None
        Folder against which relative audio paths are resolved; default:
        the folder of the CSV file.
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
            Absolute paths of the audio files, in the order of the rows.
        target : ndarray of shape (n_samples,), dtype str
            The label of each utterance, as written.
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
            The rows kept, with every column of the CSV file, values as
            strings (the named columns without surrounding blanks).
        DESCR : str
            Source, columns, what ``groups`` are, and the counts per
            class, session and speaker.

    (filenames, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If the CSV file, ``root`` or an audio file does not exist (the
        message lists the first missing files, with their lines, and their
        count). This error is also a :class:`ValueError`.
    ValueError
        If the CSV file cannot be read or has no row, a named column does not
        exist (the message lists the columns there are), a cell of a named
        column is empty, rows are repeated or a file is listed twice (the
        lines are named), or a class has no utterance.
    TypeError
        If ``path`` or ``root`` is not a path, or a column name is not a
        string.

    See Also
    --------
    load_folder : Load a folder of audio files (labels from a CSV file or
        from the sub-folder names).

    Notes
    -----
    Lines are counted as in a text editor or a spreadsheet: the header is
    line 1, the first utterance line 2. The command line reads the same
    files: ``sklearn-ser train --data corpus.csv`` and ``sklearn-ser
    evaluate --data corpus.csv``, with ``--audio-column``,
    ``--label-column``, ``--speaker-column``, ``--session-column`` and
    ``--root`` for the parameters of the same names.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np, soundfile as sf
    >>> from sklearn_ser.datasets import load_csv
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ["a.wav", "b.wav", "c.wav"]:
    ...     sf.write(folder / name, np.zeros(1600), 16000)
    >>> _ = (folder / "corpus.csv").write_text(
    ...     "file,emotion,speaker\\na.wav,ang,s1\\nb.wav,neu,s1\\nc.wav,neu,s2\\n")
    >>> data = load_csv(folder / "corpus.csv", speaker_column="speaker")
    >>> data.target.tolist(), data.groups.tolist()
    (['ang', 'neu', 'neu'], ['s1', 's1', 's2'])
    >>> data.utterance_ids.tolist(), data.target_names.tolist()
    (['a', 'b', 'c'], ['ang', 'neu'])
    """
    csv_path, frame = read_csv(path)
    root = csv_path.parent if root is None else check_root(root)
    source = f"The label file {str(csv_path)!r}"
    return corpus_bunch(
        frame, source=source, root=root, audio_column=audio_column,
        label_column=label_column, speaker_column=speaker_column,
        session_column=session_column, classes=classes, return_X_y=return_X_y,
        header=f"Corpus of the label file {csv_path}",
    )
