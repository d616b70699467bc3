"""Helpers shared by the dataset loaders: the common label set and validation."""

import os
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..metrics import DIMENSIONS  # noqa: F401 (the order of the columns)

#: The common label set of the package (IEMOCAP's three-letter codes, extended
#: with the emotions of the other corpora). Every loader maps its corpus' labels
#: onto these names.
COMMON_LABELS = {
    "ang": "anger",
    "hap": "happiness",
    "neu": "neutral",
    "sad": "sadness",
    "exc": "excitement",
    "fru": "frustration",
    "fea": "fear",
    "sur": "surprise",
    "dis": "disgust",
    "cal": "calm",
    "bor": "boredom",
    "oth": "other",
    "xxx": "no agreement between the evaluators",
}

DEFAULT_CLASSES = ("ang", "hap", "neu", "sad")

#: The values of the ``target`` parameter of the corpora with dimensional
#: ratings, and the dimensions in the order of IEMOCAP's ``[V, A, D]`` triple
#: (IEMOCAP calls arousal "activation").
TARGETS = ("category", "dimensions")


def check_target(target):
    """Validate the ``target`` parameter (``"category"`` or ``"dimensions"``)."""
    if not isinstance(target, str) or target not in TARGETS:
        raise ValueError(
            f"target must be one of {list(TARGETS)}, got {target!r}."
        )
    return target


def check_root(root, *, expected):
    """Return ``root`` as an existing directory ``Path``.

    Raises ``FileNotFoundError`` when it is missing and ``ValueError`` when it
    is not a directory; both messages describe the ``expected`` layout.
    """
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(
            f"root must be a path (str or os.PathLike), got {type(root).__name__}."
        )
    path = Path(root).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"Dataset root {str(path)!r} does not exist. Expected layout: {expected}"
        )
    if not path.is_dir():
        raise ValueError(
            f"Dataset root {str(path)!r} is not a directory. Expected layout: "
            f"{expected}"
        )
    return path


def check_classes(classes, *, allowed, corpus=None, param="classes", source=None):
    """Validate ``classes`` (a sequence of label names or None).

    Returns a tuple of unique names (``None`` is kept). Raises ``TypeError`` or
    ``ValueError`` naming the offending class and the allowed ones: the labels
    of the ``corpus`` (a name), or those found in ``source`` (a description of
    an own corpus's label file or folder).
    """
    if classes is None:
        return None
    if isinstance(classes, str) or not hasattr(classes, "__iter__"):
        raise TypeError(
            f"{param} must be a sequence of label names such as "
            f"{DEFAULT_CLASSES!r} or None, got {classes!r}."
        )
    classes = tuple(classes)
    if len(classes) == 0:
        raise ValueError(f"{param} is empty; give at least one label name.")
    for c in classes:
        if not isinstance(c, str):
            raise TypeError(
                f"{param} must contain label names (str), got {c!r} of type "
                f"{type(c).__name__}."
            )
        if c not in allowed and source is not None:
            raise ValueError(
                f"Class {c!r} of {param} has no utterance in {source}; its "
                f"labels are {sorted(allowed)}."
            )
        if c not in allowed:
            raise ValueError(
                f"Class {c!r} of {param} is not a label of the {corpus} corpus; "
                f"expected names among {sorted(allowed)}."
            )
    dup = [c for c, n in Counter(classes).items() if n > 1]
    if dup:
        raise ValueError(f"{param} lists {dup[0]!r} more than once: {classes!r}.")
    return classes


def select_classes(labels, classes, *, corpus, where):
    """Mask of the items of ``labels`` in ``classes`` and the target names.

    ``classes=None`` keeps every label present (target names sorted). Raises
    ``ValueError`` for an empty selection or a requested class with no item.
    """
    labels = np.asarray(labels, dtype=object)
    counts = Counter(labels.tolist())
    if classes is None:
        names = tuple(sorted(counts))
    else:
        names = tuple(classes)
    mask = np.isin(labels, np.array(names, dtype=object))
    if not mask.any():
        found = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
        raise ValueError(
            f"Empty selection: no {corpus} utterance with a label in "
            f"{list(names)} {where} (labels found: {found})."
        )
    missing = [c for c in names if counts.get(c, 0) == 0]
    if missing:
        found = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        raise ValueError(
            f"Class {missing[0]!r} has no utterance in the {corpus} corpus {where} "
            f"(labels found: {found}); choose classes among those found."
        )
    return mask, names


def count_lines(values, names=None):
    """``"  name  count"`` lines for a DESCR text."""
    counts = Counter(np.asarray(values).tolist())
    keys = names if names is not None else sorted(counts)
    return "\n".join(f"    {k:<8} {counts.get(k, 0):>6}" for k in keys)


def count_sections(*sections):
    """``"Utterances per <unit>:"`` blocks of a DESCR text.

    Each section is ``(unit, values, names)``: the counts of ``values``, in
    the order of ``names`` (None: sorted).
    """
    return "".join(f"Utterances per {unit}:\n{count_lines(values, names)}\n"
                   for unit, values, names in sections)


def labels_line(names):
    """The ``"Labels: ..."`` line of a DESCR text: each label and its meaning."""
    return "Labels: " + ", ".join(f"{k} = {COMMON_LABELS[k]}" for k in names) + "\n"


def make_bunch(
    *,
    filenames,
    target,
    groups,
    speakers,
    utterance_ids,
    target_names,
    descr,
    return_X_y,
):
    """The Bunch (or ``(filenames, target)``) the file loaders return."""
    filenames = np.asarray(filenames, dtype=str)
    target = np.asarray(target, dtype=str)
    if return_X_y:
        return filenames, target
    return Bunch(
        filenames=filenames,
        target=target,
        groups=np.asarray(groups, dtype=np.int64),
        speakers=np.asarray(speakers, dtype=str),
        utterance_ids=np.asarray(utterance_ids, dtype=str),
        target_names=np.asarray(target_names, dtype=str),
        DESCR=descr,
    )
