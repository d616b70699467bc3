"""``sklearn-ser demo``: the network beside the baselines on the synthetic corpus."""

import os
import sys
import time

from .._paper import ATTENTIONS
from . import _interrupt
from ._common import NORMALIZATIONS, CLIError, positive_int, say
from ._output import counts, write_atomically


def add_parsers(sub):
    """Add the ``demo`` command to the subparsers ``sub``."""
    demo = sub.add_parser(
        "demo", help="leave-one-session-out evaluation on the built-in synthetic corpus",
        description="Generate the built-in synthetic emotional speech corpus and run "
        "a leave-one-session-out evaluation of the proposed LSTM-attention network "
        "(the library's fast recipe) beside the functionals + SVM baseline, on the "
        "same folds, with chance level. Prints per-fold and mean WA/UA, says which "
        "model is better (or that they are tied: the mean paired difference within "
        "the spread of the paired fold differences), and writes a confusion matrix "
        "and an attention plot as PNG files. Progress lines give the elapsed time "
        "and an estimate of what remains.",
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
    import numpy as np

    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def _check_out(path):
    if os.path.exists(path) and not os.path.isdir(path):
        raise CLIError(f"--out {path!r} exists and is not a directory")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"--out {path!r} cannot be created ({exc.strerror or exc})") \
            from None


def _corpus(args):
    import numpy as np

    from ..datasets import make_emotional_speech

    say(f"Generating the synthetic corpus ({args.n_samples} utterances, 5 sessions "
        "of 2 speakers)...")
    data = make_emotional_speech(n_samples=args.n_samples, random_state=args.seed)
    durations = np.array([len(w) for w in data.data]) / data.sampling_rate
    say(f"  {len(data.target)} utterances, {durations.sum() / 60:.1f} min of audio, "
        f"classes {counts(data.target)}")
    return data, durations


def _models(args, data, cache, n_jobs):
    """The three models of the demo: ``(name, normalization, pipe, X)``."""
    from ..pipeline._evaluation import with_speakers
    from ..pipeline._factories import make_baseline_pipeline, make_ser_pipeline
    from ._models import epoch_selection, set_callbacks
    from ._progress import Progress, RunClock

    overrides = {} if args.epochs is None else {"max_epochs": args.epochs}
    net = make_ser_pipeline(args.attention, normalization=args.normalization,
                            recipe="fast", memory=cache, random_state=args.seed,
                            **overrides)
    say("Network: the paper's architecture with the library's fast recipe "
        "(paper values in brackets):")
    say("  " + _describe_recipe(net, make_ser_pipeline()))
    say(f"  attention={args.attention}  normalization={args.normalization}  "
        f"{epoch_selection(net)}")
    set_callbacks(net, [("progress", Progress(RunClock(n_fits=5, parallel=n_jobs)))])
    X = list(data.data)
    X_speakers = with_speakers(X, data.speakers)
    return [
        ("functionals + SVM", "neutral", make_baseline_pipeline(memory=cache), X),
        ("functionals + SVM", "speaker",
         make_baseline_pipeline(normalization="speaker", memory=cache), X_speakers),
        (f"{args.attention} network, fast", args.normalization, net,
         X_speakers if args.normalization == "speaker" else X),
    ]


def _evaluate_all(models, data, n_jobs):
    """Each model on the same 5 folds: ``(name, normalization, result, seconds)``."""
    from ..pipeline._evaluation import evaluate_sessions

    say(f"Leave-one-session-out evaluation, 5 folds, the same folds for every "
        f"model, {n_jobs} fold(s) at a time...")
    results = []
    with _interrupt.quiet_workers():
        for name, normalization, pipe, X in models:
            t = time.perf_counter()
            is_net = pipe is models[-1][2]
            res = evaluate_sessions(
                pipe, X, data.target, data.groups, n_splits=5, n_jobs=n_jobs,
                return_estimator=is_net,
                params={"classifier__groups": data.speakers} if is_net else None)
            seconds = time.perf_counter() - t
            say(f"  {name} ({normalization}): UA {res.ua_mean:.3f}, {seconds:.0f} s")
            results.append((name, normalization, res, seconds))
    return results


def _print_results(args, data, results):
    import numpy as np

    from ._report import verdict

    say()
    say("UA per fold (the test session was never seen in training):")
    say(f"{'fold':>4}  {'session':>7}{'n':>6}" + "".join(
        f"{_short(name, norm):>16}" for name, norm, _, _ in results))
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
    say(f"Under {args.normalization} normalisation, "
        + verdict(network.ua, baseline.ua, f"the {args.attention} network",
                  "the functionals + SVM baseline"))
    for warning in _collapsed(network):
        say(warning, file=sys.stderr)
    return network


def _collapsed(network):
    from ._report import CategoryScores

    return [w.replace("train longer (--epochs), use --recipe fast, or check the "
                      "labels", "train longer (--epochs)")
            for w in CategoryScores(network.y_true).warnings(network)]


def _cmd_demo(args):
    import torch

    from ..pipeline._factories import make_baseline_pipeline
    from ._features import extract_once

    _check_out(args.out)
    # One torch thread per fit: folds run in parallel processes instead.
    torch.set_num_threads(1)
    n_jobs = args.n_jobs or max(1, min(5, os.cpu_count() or 1))
    t0 = time.perf_counter()
    with _interrupt.outcome("the plots were not written"):
        data, durations = _corpus(args)
        cache = os.path.join(args.out, "feature_cache")
        models = _models(args, data, cache, n_jobs)
        # fills the cache once for every model and fold
        extract_once(make_baseline_pipeline(memory=cache)[0], list(data.data),
                     "utterances")
        results = _evaluate_all(models, data, n_jobs)
        network = _print_results(args, data, results)
        _interrupt.check()
        with _interrupt.deferred():
            paths = _plots(args, network, models[-1][3], data, durations)
        _interrupt.check("the plots were written whole (the signal came while they "
                         "were being written)")
    for path in paths:
        say(f"Wrote {path}")
    say(f"Done in {time.perf_counter() - t0:.0f} s.")
    return 0


def _plots(args, network, X, data, durations):
    """The confusion matrix and the attention plot, each written whole."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    display = network.plot_confusion_matrix()
    display.ax_.set_title(
        f"{args.attention} network ({args.normalization} normalisation), "
        f"leave-one-session-out\nWA {network.wa_mean:.3f}  UA {network.ua_mean:.3f}  "
        f"n = {int(network.n_test.sum())}; rows normalised per true class",
        fontsize=9)
    cm_path = os.path.join(args.out, "confusion_matrix.png")
    _save_figure(display.figure_, cm_path)
    plt.close(display.figure_)
    att_path = os.path.join(args.out, "attention.png")
    figure = _attention_plot(network, X, data, durations)
    _save_figure(figure, att_path)
    plt.close(figure)
    return cm_path, att_path


def _save_figure(figure, path):
    write_atomically(path, lambda fh: figure.savefig(fh, format="png", dpi=120,
                                                     bbox_inches="tight"), "--out")


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


def _attention_plot(result, X, data, durations):
    """Attention of the fold model that never saw the session, on one utterance."""
    import numpy as np

    from .._compat import _safe_indexing
    from .._paper import FRAME_STEP
    from ..features._audio import frame_params
    from ..pipeline._attention_plot import AttentionDisplay

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
    return display.figure_
