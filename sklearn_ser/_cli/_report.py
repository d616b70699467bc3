"""How the commands report an evaluation: fold tables, the summary, the verdict.

The categories (WA, UA) and the dimensions (CCC of each) are reported the
same way, each by its :class:`Scores`: a per-fold table, a summary table
beside chance, and a verdict that compares a network with the baseline
fold by fold (:func:`verdict`, which the demo uses too).

When is a difference a tie? The verdict pairs the folds: on fold ``k``,
``d_k = score(network) - score(baseline)``. The two models are *tied*
when the mean of the ``d_k`` is within one standard deviation of the
``d_k`` (the spread of the paired fold differences that the line prints),
or when it rounds to zero at the printed precision. Otherwise the one with
the higher mean is better, by that mean. With five folds, a mean beyond one
(population) standard deviation is a paired t statistic beyond 2.
"""

import numpy as np

from ._common import say
from ._output import shown

__all__ = ["CategoryScores", "DimensionScores", "verdict"]


def verdict(model, baseline, model_name, baseline_name, *, metric="UA",
            scale=100.0, unit=" points", decimals=1):
    """One sentence comparing two models on the same folds.

    Parameters
    ----------
    model, baseline : array-like of shape (n_folds,)
        The score of each model on each fold (higher is better).
    model_name, baseline_name : str
        The models, in words.
    metric : str, default="UA"
        The score's name.
    scale : float, default=100
        Factor of the printed differences (100: percentage points).
    unit : str, default=" points"
        Unit of the printed differences.
    decimals : int, default=1
        Printed decimals.

    Returns
    -------
    sentence : str
        ``"... is better than ... by 4.2 UA points (...)"``, ``"... worse
        ..."``, or ``"... and ... are tied on UA: ..."`` (see the module's
        docstring for the rule).

    Examples
    --------
    >>> from sklearn_ser._cli._report import verdict
    >>> print(verdict([0.52, 0.60, 0.55], [0.51, 0.58, 0.57], "the network",
    ...               "the baseline"))  # doctest: +NORMALIZE_WHITESPACE
    the network and the baseline are tied on UA: the mean paired difference,
    +0.3 points, is within the spread of the paired fold differences (+-1.7
    points); higher UA in 2 of 3 folds.
    """
    diff = np.asarray(model, dtype=float) - np.asarray(baseline, dtype=float)
    mean, spread = float(np.mean(diff)), float(np.std(diff))
    wins, n = int(np.sum(diff > 0)), len(diff)
    fmt = f".{decimals}f"
    folds = f"higher {metric} in {wins} of {n} folds"
    if abs(mean) <= spread or round(abs(mean) * scale, decimals) == 0:
        return (f"{model_name} and {baseline_name} are tied on {metric}: the mean "
                f"paired difference, {mean * scale:+{fmt}}{unit}, is within the "
                f"spread of the paired fold differences (+-{spread * scale:{fmt}}"
                f"{unit}); {folds}.")
    word = "better" if mean > 0 else "worse"
    return (f"{model_name} is {word} than {baseline_name} by "
            f"{abs(mean) * scale:{fmt}} {metric}{unit} ({folds}; paired fold "
            f"differences {mean * scale:+{fmt}} +- {spread * scale:{fmt}}{unit}).")


def _groups(res, k):
    return ",".join(shown(g) for g in res.test_groups[k])


def _epoch(res, k):
    epoch = res.best_epochs[k]
    return "-" if epoch is None else str(epoch)


class CategoryScores:
    """WA and UA: the reporting of an evaluation of emotion categories.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The labels of the corpus (for the chance level).
    """

    metric = "UA"
    scale, unit, decimals = 100.0, " points", 1

    def __init__(self, y):
        _, n = np.unique(np.asarray(y), return_counts=True)
        self.chance_wa = float(n.max() / n.sum())
        self.chance_ua = 1.0 / len(n)

    def per_fold(self, res):
        """The score the verdict compares: UA of each fold."""
        return res.ua

    def fold_lines(self, res):
        lines = [f"{'fold':>6}  {'test groups':<16}{'n':>6}{'WA':>8}{'UA':>8}"
                 f"{'kept epoch':>12}"]
        for k in range(res.n_splits):
            lines.append(f"{k:>6}  {_groups(res, k):<16}{res.n_test[k]:>6}"
                         f"{res.wa[k]:>8.3f}{res.ua[k]:>8.3f}{_epoch(res, k):>12}")
        return lines

    def head(self, with_paper):
        head = f"{'WA %':>14}{'UA %':>14}"
        return head + (f"{'paper WA':>10}{'paper UA':>10}" if with_paper else "")

    def chance(self, with_paper):
        return (f"{100 * self.chance_wa:>14.1f}{100 * self.chance_ua:>14.1f}"
                + (f"{'':>10}{'':>10}" if with_paper else ""))

    def cells(self, res, paper=None, with_paper=False):
        line = (f"{f'{100 * res.wa_mean:.1f} +- {100 * res.wa_std:.1f}':>14}"
                f"{f'{100 * res.ua_mean:.1f} +- {100 * res.ua_std:.1f}':>14}")
        if with_paper:
            line += (f"{paper[0]:>10.1f}{paper[1]:>10.1f}" if paper
                     else f"{'-':>10}{'-':>10}")
        return line

    chance_run = "majority class / uniform"
    footnote = ("WA, UA: mean +- standard deviation over the folds; chance: WA of "
                "always predicting the largest class, UA of any constant "
                "prediction.")

    def warnings(self, res):
        """Warnings for the folds whose predictions are all one class."""
        out = []
        for k in range(res.n_splits):
            pred = np.unique(res.y_pred[res.fold == k])
            if len(pred) == 1:
                out.append(
                    f"warning: fold {k} (test {_groups(res, k)}) predicts only "
                    f"{str(pred[0])!r}: the model collapsed to one class (UA = "
                    "chance); train longer (--epochs), use --recipe fast, or check "
                    "the labels")
        return out


class DimensionScores:
    """The CCC of each dimension: the reporting of a dimensional evaluation.

    Parameters
    ----------
    names : list of str
        The dimensions.
    """

    metric = "mean CCC"
    scale, unit, decimals = 1.0, "", 3
    chance_run = "training mean"
    footnote = ("CCC: concordance correlation coefficient of each dimension, mean "
                "+- standard deviation over the folds (1: perfect, 0: chance, a "
                "constant prediction such as the training mean).")

    def __init__(self, names):
        self.names = [str(n) for n in names]
        self.width = max(16, *(len(shown(n)) + 6 for n in self.names))

    def per_fold(self, res):
        """The score the verdict compares: the mean CCC of each fold."""
        return res.ccc.mean(axis=1)

    def fold_lines(self, res):
        w = max(11, *(len(shown(n)) + 2 for n in self.names))
        lines = [f"{'fold':>6}  {'test groups':<16}{'n':>6}"
                 + "".join(f"{shown(n):>{w}}" for n in self.names)
                 + f"{'kept epoch':>12}   (CCC)"]
        for k in range(res.n_splits):
            lines.append(f"{k:>6}  {_groups(res, k):<16}{res.n_test[k]:>6}"
                         + "".join(f"{v:>{w}.3f}" for v in res.ccc[k])
                         + f"{_epoch(res, k):>12}")
        return lines

    def head(self, with_paper):
        return "".join(f"{'CCC ' + shown(n):>{self.width}}" for n in self.names)

    def chance(self, with_paper):
        return "".join(f"{'0.000':>{self.width}}" for _ in self.names)

    def cells(self, res, paper=None, with_paper=False):
        return "".join(f"{f'{m:.3f} +- {s:.3f}':>{self.width}}"
                       for m, s in zip(res.ccc_mean, res.ccc_std, strict=True))

    def warnings(self, res):
        from ._dimensions import constant_folds

        return constant_folds(res)


def print_table(scores, rows, with_paper=False):
    """The summary: chance, then each run (mean +- std over the folds).

    ``rows`` are ``(model, run, result, paper)``; ``paper`` is the paper's
    (WA, UA) for the run or None.
    """
    say()
    say(f"{'model':<10}{'run':<28}" + scores.head(with_paper))
    say(f"{'chance':<10}{scores.chance_run:<28}" + scores.chance(with_paper))
    for model, run, res, paper in rows:
        say(f"{model:<10}{run:<28}" + scores.cells(res, paper, with_paper))
    say(scores.footnote)


def compare(scores, network, baseline, network_name, baseline_name):
    """:func:`verdict` of two results with the scores' metric."""
    return verdict(scores.per_fold(network), scores.per_fold(baseline), network_name,
                   baseline_name, metric=scores.metric, scale=scores.scale,
                   unit=scores.unit, decimals=scores.decimals)
