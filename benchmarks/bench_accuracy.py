"""Accuracy of the network against the functionals baselines, on the same folds.

A leave-one-session-out table on the library's synthetic corpus (by default
1,000 utterances, 4 balanced classes, 5 sessions of 2 speakers, i.e. 10
speakers): every configuration is evaluated with
:func:`sklearn_ser.evaluate_sessions` on the same five folds (each tests one
session that the model never saw) and reported as WA and UA, mean +-
standard deviation over the folds, with the wall-clock seconds of its
leave-one-session-out run. The rows:

- ``chance``: WA of always predicting the largest class, UA of any constant
  prediction;
- the functionals baselines (:func:`sklearn_ser.make_baseline_pipeline`):
  ``LogisticRegression(class_weight="balanced")`` and the default
  ``SVC(class_weight="balanced")``;
- the network with the fast recipe (``make_ser_pipeline(...,
  recipe="fast")``) and each of the four poolings;
- the paper's recipe (``recipe="paper"``: the paper-size network, 500
  frames, lr 3e-5, L2 5e-2) with the lstm attention, trained for a reduced
  number of epochs (``--paper-epochs``, 10 by default instead of 200: the
  full recipe takes hours per fold on a CPU, see the reproduction guide);

each under ``normalization="neutral"`` (the paper's) and ``"speaker"``.

The corpus is draw ``--seed`` (0 by default) of
:func:`sklearn_ser.datasets.make_emotional_speech`. The fast recipe was
chosen on other draws (seeds 1 and 2), never on this one, and no
configuration is tuned on its test folds. Folds run ``--n-jobs`` at a time
(2 by default), each with one torch thread; features are extracted once
into a cache before the first configuration, and that time is printed
separately.

Run ``python benchmarks/bench_accuracy.py --help`` for the options; the
default run takes about an hour on a 2-core CPU (``--only baseline fast``
skips the paper recipe, about 40 minutes).
"""

import os
import time

import numpy as np
from _common import Run, add_cache_option, feature_cache, make_parser, torch_threads
from sklearn.linear_model import LogisticRegression

from sklearn_ser import evaluate_sessions, make_baseline_pipeline, make_ser_pipeline
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.network._modules import ATTENTIONS
from sklearn_ser.pipeline._evaluation import with_speakers
from sklearn_ser.pipeline._factories import NORMALIZATIONS

GROUPS = ("baseline", "fast", "paper")


def _row(name, normalization, result, seconds):
    return dict(name=name, normalization=normalization, wa=result.wa, ua=result.ua,
                seconds=seconds)


def _fmt(values):
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def _print_table(rows, majority):
    print(f"{'model':<34}{'normalization':<15}{'WA':>16}{'UA':>16}{'seconds':>9}")
    print(f"{'chance':<34}{'':<15}{majority:>16.3f}{0.25:>16.3f}{'':>9}")
    for r in rows:
        print(f"{r['name']:<34}{r['normalization']:<15}{_fmt(r['wa']):>16}"
              f"{_fmt(r['ua']):>16}{r['seconds']:>9.0f}")


def main(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0,
                        help="draw of the synthetic corpus (default: %(default)s)")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="folds in parallel, one torch thread each")
    parser.add_argument("--paper-epochs", type=int, default=10,
                        help="epochs of the paper recipe (the paper: 200)")
    parser.add_argument("--poolings", nargs="+", choices=ATTENTIONS,
                        default=list(ATTENTIONS))
    parser.add_argument("--normalizations", nargs="+", choices=NORMALIZATIONS,
                        default=list(NORMALIZATIONS))
    parser.add_argument("--only", nargs="+", choices=GROUPS, default=list(GROUPS))
    add_cache_option(parser)
    args = parser.parse_args(argv)
    torch_threads(1)
    with Run("bench_accuracy", args) as run, \
            feature_cache(args.cache, "bench_accuracy_") as cache:
        _run(args, cache, run.results)


def _run(args, cache, results):
    print(f"Synthetic corpus: {args.n_samples} utterances, draw {args.seed}; "
          f"{args.n_jobs} fold(s) at a time on {os.cpu_count()} CPU(s).")
    t = time.perf_counter()
    data = make_emotional_speech(n_samples=args.n_samples, random_state=args.seed)
    generated = time.perf_counter() - t
    X = list(data.data)
    X_speakers = with_speakers(X, data.speakers)
    t = time.perf_counter()
    make_baseline_pipeline(memory=cache)[0].transform(X)
    extraction = time.perf_counter() - t
    print(f"Generation {generated:.0f} s; feature extraction (once, cached) "
          f"{extraction:.0f} s; {len(np.unique(data.speakers))} speakers, classes "
          + ", ".join(f"{c} {n}" for c, n in zip(*np.unique(data.target,
                                                            return_counts=True),
                                                  strict=True)))

    configs = []
    for normalization in args.normalizations:
        if "baseline" in args.only:
            for name, clf in [
                ("functionals + LogisticRegression",
                 LogisticRegression(class_weight="balanced", max_iter=5000)),
                ("functionals + SVM", None),
            ]:
                configs.append((name, normalization, make_baseline_pipeline(
                    clf, normalization=normalization, memory=cache), False))
        if "fast" in args.only:
            for attention in args.poolings:
                configs.append((f"{attention}, fast recipe", normalization,
                                make_ser_pipeline(attention, normalization=normalization,
                                                  recipe="fast", memory=cache,
                                                  random_state=0), True))
        if "paper" in args.only:
            configs.append((f"lstm, paper recipe, {args.paper_epochs} ep.",
                            normalization,
                            make_ser_pipeline("lstm", normalization=normalization,
                                              recipe="paper", memory=cache,
                                              max_epochs=args.paper_epochs,
                                              random_state=0), True))

    rows = []
    for name, normalization, pipe, is_net in configs:
        t = time.perf_counter()
        result = evaluate_sessions(
            pipe, X_speakers if normalization == "speaker" else X, data.target,
            data.groups, n_splits=5, n_jobs=args.n_jobs,
            params={"classifier__groups": data.speakers} if is_net else None,
        )
        seconds = time.perf_counter() - t
        rows.append(_row(name, normalization, result, seconds))
        print(f"  {name:<34}{normalization:<10} WA {_fmt(result.wa)}  UA {_fmt(result.ua)}  "
              f"per fold {np.round(result.ua, 3).tolist()}  {seconds:.0f} s", flush=True)

    majority = np.max(np.unique(data.target, return_counts=True)[1]) / len(data.target)
    print()
    _print_table(rows, majority)
    print()
    print("Mean +- standard deviation over the 5 leave-one-session-out folds; "
          "seconds: wall clock of the 5 folds from the feature cache (add "
          f"{extraction:.0f} s of extraction for a run from audio).")
    by_key = {(r["name"], r["normalization"]): r for r in rows}
    for normalization in args.normalizations:
        net = by_key.get(("lstm, fast recipe", normalization))
        svm = by_key.get(("functionals + SVM", normalization))
        if net is None or svm is None:
            continue
        gap = np.mean(net["ua"]) - np.mean(svm["ua"])
        wins = int(np.sum(net["ua"] > svm["ua"]))
        print(f"{normalization}: lstm (fast) - SVM = {gap * 100:+.1f} UA points, "
              f"lstm ahead in {wins} of 5 folds; lstm run {net['seconds']:.0f} s "
              f"(+ {extraction:.0f} s extraction).")
    results.update(chance={"wa": majority, "ua": 0.25}, extraction_seconds=extraction,
                   rows=rows)


if __name__ == "__main__":
    main()
