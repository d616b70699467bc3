"""``evaluate`` and ``train`` with ``--target dimensions``: valence, arousal, dominance.

The dimensional counterpart of the category path of ``_corpus``: the same
corpus options, folds, cache and results files, with the CCC of each
dimension in place of WA and UA, the functionals + RidgeCV baseline in
place of the SVM and a constant prediction (the training mean, CCC 0) as
the chance reference.
"""

import numpy as np

from ..metrics import DIMENSIONS
from ..pipeline._evaluation import dimension_names
from ._common import (
    CLIError,
    FoldProgress,
    describe_training,
    epoch_selection,
    make_pipeline,
    network_step,
    plural,
    say,
)

#: ``--dimension-columns`` when not given.
DEFAULT_COLUMNS = ",".join(DIMENSIONS)
#: How many bad cells of a dimension column an error lists.
_SHOWN = 5


def target_names(n_targets):
    """valence, arousal, dominance for three targets, else target 0, 1, ..."""
    return dimension_names(None, n_targets).tolist()


def dimension_columns(text):
    """An argparse type: comma-separated column names, at least one, distinct."""
    import argparse

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
            shown = ", ".join(f"line {i + 2} ({cells.iloc[i]!r})" for i in bad[:_SHOWN])
            more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
            raise CLIError(
                f"--dimension-columns: column {column!r} of {csv_name} must hold a "
                f"finite number in every row; {len(bad)} do not: {shown}{more}")
        values[:, j] = number
    return values


def describe_targets(y, names):
    """``valence 2.95 +- 0.80, arousal ...``: mean and std of each target."""
    return ", ".join(f"{name} {y[:, j].mean():.2f} +- {y[:, j].std():.2f}"
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
                groups = ", ".join(str(g) for g in result.test_groups[k])
                warnings.append(
                    f"warning: fold {k} (test {groups}) predicts a constant {name} "
                    f"(spread {spread_pred[j]:.2g} against {spread_true[j]:.2g} of "
                    f"the truth): its CCC is that of chance, 0; {advice}")
    return warnings


def evaluate_dimensions(args, data, name, groups, n_splits, speakers, evaluate):
    """The dimensional part of ``evaluate``: the runs, the table, the results.

    ``evaluate(pipe, is_net)`` runs :func:`~sklearn_ser.evaluate_sessions`
    on the folds of the category path. Returns ``results`` and ``config``
    for results.json.
    """
    import sys

    from .. import make_baseline_pipeline
    from ._corpus import configuration

    names = [str(n) for n in data.target_names]
    say(f"{name}: {len(data.target)} utterances, dimensions "
        f"{describe_targets(data.target, names)} (mean +- std), "
        f"{plural(len(np.unique(groups)), 'group')}, {n_splits} leave-one-group-out "
        "folds")
    chance = {"selection": "none",
              "description": "a constant prediction (the training mean of each "
              "dimension) has no covariance with the targets: CCC 0",
              "ccc_mean": dict.fromkeys(names, 0.0),
              "ccc_std": dict.fromkeys(names, 0.0)}
    results, config, rows = {"chance": chance}, {}, []
    if not args.no_baseline:
        base = make_baseline_pipeline(normalization=args.normalization,
                                      task="regression", memory=args.cache,
                                      n_jobs=args.n_jobs)
        say(f"[baseline] functionals + RidgeCV, {normalization_note(args)}...")
        res = evaluate(base, is_net=False)
        say(res)
        results["baseline_ridge"] = {"selection": "none", **res.to_dict()}
        config["baseline_ridge"] = configuration(base)
        rows.append(("baseline", "functionals + RidgeCV", res))
    for attention in args.attention:
        pipe = make_pipeline(args, attention)
        say(f"[{attention}] recipe={args.recipe}  {normalization_note(args)}  "
            f"{describe_training(pipe)}")
        config[attention] = configuration(pipe)
        pipe.set_params(**{f"{network_step(pipe)}__callbacks":
                           [("progress", FoldProgress())]})
        res = evaluate(pipe, is_net=True)
        results[attention] = {"selection": epoch_selection(pipe, "training groups"),
                              **res.to_dict()}
        rows.append((attention, "ours (validation)", res))
        say(res)
        for warning in constant_folds(res):
            say(warning, file=sys.stderr)
    print_table(rows, names)
    return results, config


def print_table(rows, names):
    """CCC mean +- std over the folds of each run, beside chance."""
    width = max(16, *(len(n) + 2 for n in names))
    say()
    say(f"{'model':<10}{'run':<28}" + "".join(f"{'CCC ' + n:>{width}}" for n in names))
    say(f"{'chance':<10}{'training mean':<28}"
        + "".join(f"{'0.000':>{width}}" for _ in names))
    for model, run, res in rows:
        say(f"{model:<10}{run:<28}"
            + "".join(f"{f'{m:.3f} +- {s:.3f}':>{width}}"
                      for m, s in zip(res.ccc_mean, res.ccc_std, strict=True)))
    say("CCC: concordance correlation coefficient of each dimension, mean +- "
        "standard deviation over the folds (1: perfect, 0: chance, a constant "
        "prediction such as the training mean).")


def results_csv(results):
    """Header and rows of results.csv: one row per run and fold."""
    names = next((r["target_names"] for r in results.values() if "folds" in r), [])
    header = ["model", "selection", "fold", "test_groups", "n_test",
              *(f"ccc_{n}" for n in names)]
    rows = []
    for model, res in results.items():
        for f in res.get("folds", []):
            rows.append([model, res["selection"], f["fold"],
                         " ".join(str(g) for g in f["test_groups"]), f["n_test"],
                         *(f"{f['ccc'][n]:.6f}" for n in names)])
    return header, rows


def fit_description(data, names):
    return f"{len(data.target)} utterances ({describe_targets(data.target, names)})"
