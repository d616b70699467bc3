"""``--target dimensions``: the rating columns of a corpus and their checks.

The dimensional targets (valence, arousal, dominance) go through the same
commands as the categories (``_evaluate``, ``_train``); what differs --
the CCC in place of WA and UA, the RidgeCV baseline, chance at CCC 0 -- is
in :mod:`._report`. This module reads the ratings of a CSV corpus and
describes them. It is imported to build the parser, so numpy is imported
only inside the functions.
"""

import argparse

from ._common import CLIError
from ._output import shown

#: IEMOCAP's dimensions, in the order of its annotations (``metrics.DIMENSIONS``).
DIMENSIONS = ("valence", "arousal", "dominance")
#: ``--dimension-columns`` when not given.
DEFAULT_COLUMNS = ",".join(DIMENSIONS)
#: How many bad cells of a dimension column an error lists.
_SHOWN = 5


def target_names(n_targets):
    """valence, arousal, dominance for three targets, else target 0, 1, ..."""
    if n_targets == len(DIMENSIONS):
        return list(DIMENSIONS)
    return [f"target {j}" for j in range(n_targets)]


def dimension_columns(text):
    """An argparse type: comma-separated column names, at least one, distinct."""
    names = [name.strip() for name in text.split(",")]
    if not names or any(not name for name in names):
        raise argparse.ArgumentTypeError(
            f"expected column names separated by commas, e.g. {DEFAULT_COLUMNS}, "
            f"got {text!r}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise argparse.ArgumentTypeError(
            f"expected distinct column names, got {', '.join(map(repr, repeated))} "
            "more than once")
    return names


def csv_dimensions(data, columns, csv_name):
    """The ``(n, k)`` float targets of the named columns of a CSV corpus.

    ``data.frame`` of :func:`~sklearn_ser.datasets.load_csv` keeps every
    column of the file as strings, one row per line after the header.
    """
    import numpy as np

    frame = data.frame
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CLIError(
            f"--dimension-columns: {csv_name} has no column "
            f"{', '.join(map(repr, missing))}; its columns are "
            f"{', '.join(map(repr, map(str, frame.columns)))}")
    values = np.empty((len(frame), len(columns)), dtype=np.float64)
    for j, column in enumerate(columns):
        cells = frame[column].astype(str).str.strip()
        number = np.full(len(cells), np.nan)
        for i, cell in enumerate(cells):
            try:
                number[i] = float(cell)
            except ValueError:
                pass
        bad = np.flatnonzero(~np.isfinite(number))
        if len(bad):
            cells_shown = ", ".join(f"line {i + 2} ({cells.iloc[i]!r})"
                                    for i in bad[:_SHOWN])
            more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
            raise CLIError(
                f"--dimension-columns: column {column!r} of {csv_name} must hold a "
                f"finite number in every row; {len(bad)} do not: {cells_shown}{more}")
        values[:, j] = number
    return values


def describe_targets(y, names):
    """``valence 2.95 +- 0.80, arousal ...``: mean and std of each target."""
    return ", ".join(f"{shown(name)} {y[:, j].mean():.2f} +- {y[:, j].std():.2f}"
                     for j, name in enumerate(names))


def normalization_note(args):
    """What the normalisation does with dimensional targets, in words."""
    if args.normalization == "neutral":
        return ("normalization=neutral (no neutral label with dimensions: the "
                "statistics of all the training utterances)")
    return f"normalization={args.normalization}"


def constant_folds(result, advice="train longer (--epochs) or use --recipe fast"):
    """Warnings for the folds whose predictions of a dimension hardly vary."""
    warnings = []
    for k in range(result.n_splits):
        in_fold = result.fold == k
        spread_true = result.y_true[in_fold].std(axis=0)
        spread_pred = result.y_pred[in_fold].std(axis=0)
        for j, name in enumerate(result.target_names):
            if spread_pred[j] <= 1e-3 * max(spread_true[j], 1e-12):
                groups = ", ".join(shown(g) for g in result.test_groups[k])
                warnings.append(
                    f"warning: fold {k} (test {groups}) predicts a constant "
                    f"{shown(name)} (spread {spread_pred[j]:.2g} against "
                    f"{spread_true[j]:.2g} of the truth): its CCC is that of "
                    f"chance, 0; {advice}")
    return warnings
