"""Dimensional emotion: the network against functionals + ridge, on the same folds.

A leave-one-session-out table on the library's synthetic corpus (by default
1,000 utterances, 4 balanced classes, 5 sessions of 2 speakers) with its
valence, arousal and dominance ratings as the targets
(``make_emotional_speech(..., target="dimensions")``): every configuration
is evaluated with :func:`sklearn_ser.evaluate_sessions` on the same five
folds and reported as the CCC of each dimension, mean +- standard deviation
over the folds, with the wall-clock seconds of its run. The rows:

- ``chance``: :class:`~sklearn.dummy.DummyRegressor` (the training mean),
  whose CCC is 0;
- ``class-mean oracle``: each test utterance gets the training folds' mean
  ratings of its TRUE emotion. The synthetic ratings are the emotion's mean
  plus noise independent of the audio, so this is about the best any model
  of the audio can reach; it is a ceiling, not a model;
- the functionals baseline ``make_baseline_pipeline(task="regression")``
  (functionals + ``RidgeCV``);
- the network ``make_ser_pipeline(attention, task="regression",
  recipe="fast")`` (``SERRegressor``, loss ``"ccc"``) for each pooling of
  ``--poolings`` (lstm by default);

each under ``normalization="neutral"`` (with dimensional targets the
scaler standardises with every training utterance) and ``"speaker"``.

The corpus is draw ``--seed`` (0) of
:func:`sklearn_ser.datasets.make_emotional_speech`; the fast recipe is the
classification recipe, used unchanged, and nothing is tuned on the test
folds. Run ``python benchmarks/bench_dimensions.py --help`` for the options;
the default run takes about 15 minutes on a 2-core CPU.
"""

import os
import time

import numpy as np
from _common import Run, add_cache_option, feature_cache, make_parser, torch_threads
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import GroupKFold

from sklearn_ser import evaluate_sessions, make_baseline_pipeline, make_ser_pipeline
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.metrics import concordance_correlation_coefficient
from sklearn_ser.network._modules import ATTENTIONS
from sklearn_ser.pipeline._evaluation import with_speakers
from sklearn_ser.pipeline._factories import NORMALIZATIONS

DIMENSIONS = ("valence", "arousal", "dominance")


def _fmt(values):
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def _oracle(labels, dims, groups):
    """Per-fold CCC of the training folds' class means of the true emotions."""
    ccc = []
    for train, test in GroupKFold(n_splits=5).split(dims, dims, groups):
        means = {c: dims[train][labels[train] == c].mean(axis=0)
                 for c in np.unique(labels[train])}
        pred = np.array([means[c] for c in labels[test]])
        ccc.append(concordance_correlation_coefficient(dims[test], pred,
                                                       multioutput="raw_values"))
    return np.array(ccc)


def main(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0,
                        help="draw of the synthetic corpus (default: %(default)s)")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="folds in parallel, one torch thread each")
    parser.add_argument("--poolings", nargs="+", choices=ATTENTIONS, default=["lstm"])
    parser.add_argument("--normalizations", nargs="+", choices=NORMALIZATIONS,
                        default=list(NORMALIZATIONS))
    add_cache_option(parser)
    args = parser.parse_args(argv)
    torch_threads(1)
    with Run("bench_dimensions", args) as run, \
            feature_cache(args.cache, "bench_dimensions_") as cache:
        _run(args, cache, run.results)


def _run(args, cache, results):
    print(f"Synthetic corpus: {args.n_samples} utterances, draw {args.seed}, "
          f"target='dimensions'; {args.n_jobs} fold(s) at a time on "
          f"{os.cpu_count()} CPU(s).")
    data = make_emotional_speech(n_samples=args.n_samples, random_state=args.seed,
                                 target="dimensions")
    X = list(data.data)
    X_speakers = with_speakers(X, data.speakers)
    dims = data.target
    t = time.perf_counter()
    make_baseline_pipeline(memory=cache)[0].transform(X)
    extraction = time.perf_counter() - t
    print(f"Feature extraction (once, cached) {extraction:.0f} s; ratings mean "
          + ", ".join(f"{n} {m:.2f}" for n, m in zip(DIMENSIONS, dims.mean(axis=0),
                                                     strict=True)))

    rows = [("chance (training mean)", "",
             evaluate_sessions(DummyRegressor(), np.zeros((len(X), 1)), dims,
                               data.groups).ccc, 0.0),
            ("class-mean oracle (true labels)", "",
             _oracle(data.labels, dims, data.groups), 0.0)]
    configs = []
    for normalization in args.normalizations:
        configs.append(("functionals + RidgeCV", normalization, make_baseline_pipeline(
            task="regression", normalization=normalization, memory=cache)))
        for attention in args.poolings:
            configs.append((f"{attention}, fast recipe, CCC loss", normalization,
                            make_ser_pipeline(attention, task="regression",
                                              normalization=normalization,
                                              recipe="fast", memory=cache,
                                              random_state=0)))
    for name, normalization, pipe in configs:
        t = time.perf_counter()
        result = evaluate_sessions(pipe, X_speakers if normalization == "speaker" else X,
                                   dims, data.groups, n_splits=5, n_jobs=args.n_jobs)
        seconds = time.perf_counter() - t
        rows.append((name, normalization, result.ccc, seconds))
        print(f"  {name:<34}{normalization:<9}"
              + "  ".join(f"{d} {_fmt(result.ccc[:, j])}"
                          for j, d in enumerate(DIMENSIONS))
              + f"  {seconds:.0f} s", flush=True)

    print()
    print(f"| model | normalization | {' | '.join(DIMENSIONS)} | seconds |")
    print("|---|---|" + "---|" * len(DIMENSIONS) + "---|")
    for name, normalization, ccc, seconds in rows:
        cells = " | ".join(_fmt(ccc[:, j]) for j in range(len(DIMENSIONS)))
        print(f"| {name} | {normalization} | {cells} | "
              f"{f'{seconds:.0f}' if seconds else ''} |")
    print()
    print("CCC, mean +- standard deviation over the 5 leave-one-session-out folds; "
          f"seconds: wall clock of the 5 folds from the feature cache (+ "
          f"{extraction:.0f} s extraction).")
    by_key = {(name, norm): ccc for name, norm, ccc, _ in rows}
    for normalization in args.normalizations:
        base = by_key[("functionals + RidgeCV", normalization)]
        for attention in args.poolings:
            net = by_key[(f"{attention}, fast recipe, CCC loss", normalization)]
            gap = net[:, 1].mean() - base[:, 1].mean()
            wins = int(np.sum(net[:, 1] > base[:, 1]))
            print(f"{normalization}: {attention} - RidgeCV arousal CCC = {gap:+.3f}, "
                  f"network ahead in {wins} of 5 folds.")
    results.update(extraction_seconds=extraction, dimensions=list(DIMENSIONS),
                   rows=[dict(name=n, normalization=m, ccc=c, seconds=t)
                         for n, m, c, t in rows])


if __name__ == "__main__":
    main()
