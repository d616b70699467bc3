"""``sklearn-ser demo``: the network beside the baselines on the synthetic corpus."""

import os
import sys
import time
from pathlib import Path

import numpy as np

from ..network._modules import ATTENTIONS
from ..pipeline._factories import NORMALIZATIONS
from ._common import collapsed_folds, counts, epoch_selection, positive_int, say


def add_parsers(sub):
    """Add the ``demo`` command to the subparsers ``sub``."""
    demo = sub.add_parser(
        "demo", help="leave-one-session-out evaluation on the built-in synthetic corpus",
        description="Generate the built-in synthetic emotional speech corpus and run "
        "a leave-one-session-out evaluation of the proposed LSTM-attention network "
        "(the library's fast recipe) beside the functionals + SVM baseline, on the "
        "same folds, with chance level. Prints per-fold and mean WA/UA, says which "
        "model is better, and writes a confusion matrix and an attention plot as "
        "PNG files.",
    )
    demo.add_argument("--n-samples", type=positive_int, default=400,
                      help="utterances in the synthetic corpus (default: %(default)s)")
    demo.add_argument("--attention", choices=ATTENTIONS, default="lstm",
                      help="pooling of the network (default: %(default)s)")
    demo.add_argument("--normalization", choices=NORMALIZATIONS, default="speaker",
                      help="normalisation of the network's input (the baseline is "
                      "shown with both; default: %(default)s)")
    demo.add_argument("--epochs", type=positive_int, default=None,
                      help="training epochs per fold (default: the fast recipe's)")
    demo.add_argument("--n-jobs", type=positive_int, default=None,
                      help="folds trained in parallel, one torch thread each "
                      "(default: the number of CPUs, at most 5)")
    demo.add_argument("--out", default="sklearn_ser_demo",
                      help="output directory for the plots (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0,
                      help="random seed (default: %(default)s)")
    demo.set_defaults(func=_cmd_demo)


def _mean_std(values):
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def _cmd_demo(args):
    import torch

    from .. import evaluate_sessions, make_baseline_pipeline, make_ser_pipeline
    from ..datasets import make_emotional_speech
    from ..pipeline._evaluation import with_speakers

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # One torch thread per fit: folds run in parallel processes instead.
    torch.set_num_threads(1)
    n_jobs = args.n_jobs or max(1, min(5, os.cpu_count() or 1))
    t0 = time.perf_counter()
    say(f"Generating the synthetic corpus ({args.n_samples} utterances, 5 sessions "
           "of 2 speakers)...")
    data = make_emotional_speech(n_samples=args.n_samples, random_state=args.seed)
    durations = np.array([len(w) for w in data.data]) / data.sampling_rate
    say(f"  {len(data.target)} utterances, {durations.sum() / 60:.1f} min of audio, "
           f"classes {counts(data.target)}")
    cache = out / "feature_cache"
    overrides = {} if args.epochs is None else {"max_epochs": args.epochs}
    net = make_ser_pipeline(args.attention, normalization=args.normalization,
                            recipe="fast", memory=str(cache), random_state=args.seed,
                            **overrides)
    paper = make_ser_pipeline()
    say("Network: the paper's architecture with the library's fast recipe "
           "(paper values in brackets):")
    say("  " + _describe_recipe(net, paper))
    say(f"  attention={args.attention}  normalization={args.normalization}  "
        f"{epoch_selection(net)}")
    say("Extracting features (openSMILE, 32 LLDs per 10 ms frame)...")
    make_baseline_pipeline(memory=str(cache))[0].set_params(verbose=True).transform(
        list(data.data))  # fills the cache once for every model and fold

    X = list(data.data)
    X_speakers = with_speakers(X, data.speakers)
    models = [
        ("functionals + SVM", "neutral", make_baseline_pipeline(memory=str(cache)), X),
        ("functionals + SVM", "speaker",
         make_baseline_pipeline(normalization="speaker", memory=str(cache)), X_speakers),
        (f"{args.attention} network, fast", args.normalization, net,
         X_speakers if args.normalization == "speaker" else X),
    ]
    say(f"Leave-one-session-out evaluation, 5 folds, the same folds for every "
           f"model, {n_jobs} fold(s) at a time...")
    results = []
    for name, normalization, pipe, X_model in models:
        t = time.perf_counter()
        is_net = pipe is net
        res = evaluate_sessions(
            pipe, X_model, data.target, data.groups, n_splits=5, n_jobs=n_jobs,
            return_estimator=is_net,
            params={"classifier__groups": data.speakers} if is_net else None,
        )
        seconds = time.perf_counter() - t
        say(f"  {name} ({normalization}): UA {res.ua_mean:.3f}, {seconds:.0f} s")
        results.append((name, normalization, res, seconds))

    say()
    say("UA per fold (the test session was never seen in training):")
    header = f"{'fold':>4}  {'session':>7}{'n':>6}" + "".join(
        f"{_short(name, norm):>16}" for name, norm, _, _ in results)
    say(header)
    first = results[0][2]
    for k in range(first.n_splits):
        groups = ",".join(str(g) for g in first.test_groups[k])
        say(f"{k:>4}  {groups:>7}{first.n_test[k]:>6}" + "".join(
            f"{res.ua[k]:>16.3f}" for _, _, res, _ in results))
    say()
    majority = np.max(np.unique(data.target, return_counts=True)[1]) / len(data.target)
    say(f"{'model':<26}{'normalization':<15}{'WA (mean +- std)':>18}"
           f"{'UA (mean +- std)':>18}{'seconds':>9}")
    chance_ua = 1 / len(np.unique(data.target))
    say(f"{'chance':<26}{'':<15}{f'{majority:.3f}':>18}{f'{chance_ua:.3f}':>18}"
        f"{'':>9}")
    for name, normalization, res, seconds in results:
        say(f"{name:<26}{normalization:<15}{_mean_std(res.wa):>18}"
               f"{_mean_std(res.ua):>18}{seconds:>9.0f}")
    say()
    say("chance: WA of always predicting the largest class, UA of any constant "
           "prediction.")
    baseline = next(res for name, norm, res, _ in results
                    if name.startswith("functionals") and norm == args.normalization)
    network = results[-1][2]
    say(_verdict(network, baseline, f"{args.attention} network", args.normalization))
    for warning in collapsed_folds(network, advice="train longer (--epochs)"):
        say(warning, file=sys.stderr)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    display = network.plot_confusion_matrix()
    display.ax_.set_title(
        f"{args.attention} network ({args.normalization} normalisation), "
        f"leave-one-session-out\nWA {network.wa_mean:.3f}  UA {network.ua_mean:.3f}  "
        f"n = {int(network.n_test.sum())}; rows normalised per true class",
        fontsize=9)
    cm_path = out / "confusion_matrix.png"
    display.figure_.savefig(cm_path, dpi=120, bbox_inches="tight")
    plt.close(display.figure_)

    att_path = out / "attention.png"
    _attention_plot(network, models[-1][3], data, durations, att_path)
    say(f"Wrote {cm_path}")
    say(f"Wrote {att_path}")
    say(f"Done in {time.perf_counter() - t0:.0f} s.")
    return 0


def _short(name, normalization):
    model = "SVM" if name.startswith("functionals") else name.split()[0]
    return f"{model}/{normalization}"


def _describe_recipe(pipe, paper):
    ours, theirs = pipe.get_params(), paper.get_params()
    names = ["padcrop__n_frames"] + [f"classifier__{n}" for n in (
        "hidden_units", "lstm_units", "attention_units", "attention_normalization",
        "dropout", "noise_variance", "lr", "l2", "batch_size", "max_epochs",
        "patience")]
    return "  ".join(f"{n.split('__')[1]}={ours[n]} [{theirs[n]}]" for n in names)


def _verdict(network, baseline, name, normalization):
    diff = network.ua - baseline.ua
    wins = int(np.sum(diff > 0))
    better = network.ua_mean > baseline.ua_mean
    return (
        f"Under {normalization} normalisation the {name} is "
        f"{'better' if better else 'worse'} than the functionals + SVM baseline by "
        f"{abs(network.ua_mean - baseline.ua_mean) * 100:.1f} UA points (higher UA in "
        f"{wins} of {len(diff)} folds; paired fold differences "
        f"{np.mean(diff) * 100:+.1f} +- {np.std(diff) * 100:.1f} points)."
    )


def _attention_plot(result, X, data, durations, path):
    """Attention of the fold model that never saw the session, on one utterance."""
    import matplotlib.pyplot as plt

    from .. import AttentionDisplay
    from .._compat import _safe_indexing
    from .._paper import FRAME_STEP
    from ..features._audio import frame_params

    last = result.n_splits - 1
    pipe = result.estimators[last]
    test = result.splits[last][1]
    short = test[durations[test] < 4.0]
    idx = int(short[0] if short.size else test[0])
    Xt = pipe[:-1].transform(_safe_indexing(X, test))
    row = int(np.flatnonzero(test == idx)[0])
    clf = pipe.steps[-1][1]
    weights = clf.attention_weights(Xt[row:row + 1])[0]
    proba = clf.predict_proba(Xt[row:row + 1])[0]
    label = clf.classes_[int(np.argmax(proba))]
    window, step = frame_params(data.sampling_rate)
    display = AttentionDisplay(
        weights, np.arange(len(weights)) * FRAME_STEP, waveform=data.data[idx][
            : (len(weights) - 1) * step + window],
        sampling_rate=data.sampling_rate, label=label,
        probabilities={str(c): float(p) for c, p in zip(clf.classes_, proba,
                                                       strict=True)},
    ).plot()
    sessions = ",".join(str(g) for g in result.test_groups[last])
    display.ax_.set_title(
        f"session {sessions} utterance {idx} (true: {data.target[idx]}, predicted: "
        f"{label}), model trained without session {sessions}", fontsize=9)
    display.figure_.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(display.figure_)
