"""The ``sklearn-ser`` command line: demo, evaluate, train and predict."""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from skorch.callbacks import Callback

from ._network import ATTENTIONS
from ._pipeline import NORMALIZATIONS, RECIPES

# WA / UA (%) of Table 1 of the paper: pooling -> subset -> (WA, UA).
PAPER_TABLE1 = {
    "mean": {"full": (60.5, 58.3), "improvised": (62.2, 63.3)},
    "zhou": {"full": (60.7, 58.7), "improvised": (64.7, 62.4)},
    "yang": {"full": (61.2, 58.4), "improvised": (64.8, 64.1)},
    "lstm": {"full": (62.5, 59.6), "improvised": (68.8, 63.7)},
}


class CLIError(Exception):
    """A mistake of the user, reported as one line without a traceback."""


def _print(*args, **kwargs):
    print(*args, **kwargs, flush=True)


def _counts(labels):
    values, counts = np.unique(np.asarray(labels), return_counts=True)
    return ", ".join(f"{v} {c}" for v, c in zip(values.tolist(), counts.tolist(),
                                                strict=True))


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _add_training_options(parser, *, normalization=False):
    group = parser.add_argument_group(
        "training", "The recipe sets the training budget; the options below "
        "override single values of it.")
    group.add_argument("--recipe", choices=tuple(RECIPES), default="paper",
                       help="'paper': the paper's values (lr 3e-5, L2 5e-2, 200 "
                       "epochs, 500 frames, full-size network; hours per fold on a "
                       "CPU); 'fast': the library's short CPU budget of the same "
                       "architecture (default: %(default)s)")
    if normalization:
        group.add_argument("--normalization", choices=NORMALIZATIONS,
                           default="neutral",
                           help="'neutral': the paper's standardisation with the "
                           "neutral training utterances; 'speaker': every speaker "
                           "standardised with its own frames, test speakers "
                           "included, without labels (default: %(default)s)")
    group.add_argument("--epochs", type=_positive_int, default=None,
                       help="training epochs per fit (default: the recipe's)")
    group.add_argument("--lr", type=float, default=None,
                       help="Adam learning rate (default: the recipe's)")
    group.add_argument("--l2", type=float, default=None,
                       help="L2 factor, TensorFlow style (default: the recipe's)")
    group.add_argument("--n-frames", type=_positive_int, default=None,
                       help="frames per utterance after pad/crop (default: the "
                       "recipe's)")
    group.add_argument("--batch-size", type=_positive_int, default=None,
                       help="mini-batch size (default: the recipe's)")
    group.add_argument("--device", default="auto",
                       help="torch device: auto, cpu or cuda (default: %(default)s)")
    group.add_argument("--seed", type=int, default=0,
                       help="random seed (default: %(default)s)")
    group.add_argument("--cache", default=None,
                       help="feature cache directory (default: none)")
    group.add_argument("--n-jobs", type=int, default=None,
                       help="parallel jobs of the feature extraction")


def build_parser():
    """The argument parser of ``sklearn-ser``."""
    parser = argparse.ArgumentParser(
        prog="sklearn-ser",
        description="Speech emotion recognition with scikit-learn estimators: "
        "openSMILE LLDs, neutral normalisation and BiLSTM attention networks.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    demo = sub.add_parser(
        "demo", help="leave-one-session-out evaluation on the built-in synthetic corpus",
        description="Generate the built-in synthetic emotional speech corpus and run "
        "a leave-one-session-out evaluation of the proposed LSTM-attention network "
        "(the library's fast recipe) beside the functionals + SVM baseline, on the "
        "same folds, with chance level. Prints per-fold and mean WA/UA, says which "
        "model is better, and writes a confusion matrix and an attention plot as "
        "PNG files.",
    )
    demo.add_argument("--n-samples", type=_positive_int, default=400,
                      help="utterances in the synthetic corpus (default: %(default)s)")
    demo.add_argument("--attention", choices=ATTENTIONS, default="lstm",
                      help="pooling of the network (default: %(default)s)")
    demo.add_argument("--normalization", choices=NORMALIZATIONS, default="speaker",
                      help="normalisation of the network's input (the baseline is "
                      "shown with both; default: %(default)s)")
    demo.add_argument("--epochs", type=_positive_int, default=None,
                      help="training epochs per fold (default: the fast recipe's)")
    demo.add_argument("--n-jobs", type=_positive_int, default=None,
                      help="folds trained in parallel, one torch thread each "
                      "(default: the number of CPUs, at most 5)")
    demo.add_argument("--out", default="sklearn_ser_demo",
                      help="output directory for the plots (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0,
                      help="random seed (default: %(default)s)")
    demo.set_defaults(func=_cmd_demo)

    ev = sub.add_parser(
        "evaluate", help="the paper's Table 1 protocol on an IEMOCAP copy",
        description="Leave-one-session-out evaluation on IEMOCAP (4 classes: ang, hap, "
        "neu, sad), printed beside the paper's Table 1 numbers. The best epoch is "
        "chosen on a validation split of the training sessions; --paper-selection "
        "also reports the paper's selection on the test session (optimistic).",
    )
    ev.add_argument("--iemocap", required=True, metavar="ROOT",
                    help="root of IEMOCAP_full_release (with Session1..Session5)")
    ev.add_argument("--subset", choices=("full", "improvised"), default="full",
                    help="utterances to use (default: %(default)s)")
    ev.add_argument("--attention", choices=ATTENTIONS, nargs="+", default=["lstm"],
                    help="pooling(s) to evaluate (default: lstm)")
    ev.add_argument("--merge-excited", action="store_true",
                    help="relabel 'exc' as 'hap' (the paper does not)")
    ev.add_argument("--paper-selection", action="store_true",
                    help="also report the paper's epoch selection on the test fold "
                    "(optimistic; for comparison only)")
    ev.add_argument("--out", default=None,
                    help="directory for results.csv and results.json")
    _add_training_options(ev, normalization=True)
    ev.set_defaults(func=_cmd_evaluate)

    tr = sub.add_parser(
        "train", help="train a model on an IEMOCAP copy and save it",
        description="Fit the pipeline on all selected IEMOCAP utterances and save it "
        "in the library's safe model format.",
    )
    tr.add_argument("--iemocap", required=True, metavar="ROOT",
                    help="root of IEMOCAP_full_release")
    tr.add_argument("-o", "--output", required=True, metavar="MODEL",
                    help="path of the model file to write")
    tr.add_argument("--subset", choices=("full", "improvised", "scripted"),
                    default="full")
    tr.add_argument("--attention", choices=ATTENTIONS, default="lstm")
    tr.add_argument("--merge-excited", action="store_true")
    _add_training_options(tr)
    tr.set_defaults(func=_cmd_train)

    pr = sub.add_parser(
        "predict", help="predict the emotion of audio files with a saved model",
        description="Print the predicted label and the class probabilities of each "
        "audio file.",
    )
    pr.add_argument("model", metavar="MODEL", help="model file written by 'train'")
    pr.add_argument("files", metavar="FILE", nargs="+", help="audio files")
    pr.add_argument("--format", choices=("text", "json"), default="text",
                    help="output format (default: %(default)s)")
    pr.set_defaults(func=_cmd_predict)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        print("sklearn-ser: interrupted", file=sys.stderr)
        return 130
    except (CLIError, ValueError, TypeError, OSError) as exc:
        message = str(exc).strip().splitlines()
        print(f"sklearn-ser {args.command}: error: {message[0] if message else exc!r}",
              file=sys.stderr)
        return 1


# -- demo ---------------------------------------------------------------------


def _mean_std(values):
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def _cmd_demo(args):
    import torch

    from . import evaluate_sessions, make_baseline_pipeline, make_ser_pipeline
    from ._evaluation import with_speakers
    from .datasets import make_emotional_speech

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # One torch thread per fit: folds run in parallel processes instead.
    torch.set_num_threads(1)
    n_jobs = args.n_jobs or max(1, min(5, os.cpu_count() or 1))
    t0 = time.perf_counter()
    _print(f"Generating the synthetic corpus ({args.n_samples} utterances, 5 sessions "
           "of 2 speakers)...")
    data = make_emotional_speech(n_samples=args.n_samples, random_state=args.seed)
    durations = np.array([len(w) for w in data.data]) / data.sampling_rate
    _print(f"  {len(data.target)} utterances, {durations.sum() / 60:.1f} min of audio, "
           f"classes {_counts(data.target)}")
    cache = out / "feature_cache"
    overrides = {} if args.epochs is None else {"max_epochs": args.epochs}
    net = make_ser_pipeline(args.attention, normalization=args.normalization,
                            recipe="fast", memory=str(cache), random_state=args.seed,
                            **overrides)
    paper = make_ser_pipeline()
    _print("Network: the paper's architecture with the library's fast recipe "
           "(paper values in brackets):")
    _print("  " + _describe_recipe(net, paper))
    _print(f"  attention={args.attention}  normalization={args.normalization}  best "
           "epoch chosen on a validation split of the training speakers")
    _print("Extracting features (openSMILE, 32 LLDs per 10 ms frame)...")
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
    _print(f"Leave-one-session-out evaluation, 5 folds, the same folds for every "
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
        _print(f"  {name} ({normalization}): UA {res.ua_mean:.3f}, {seconds:.0f} s")
        results.append((name, normalization, res, seconds))

    _print()
    _print("UA per fold (the test session was never seen in training):")
    header = f"{'fold':>4}  {'session':>7}{'n':>6}" + "".join(
        f"{_short(name, norm):>16}" for name, norm, _, _ in results)
    _print(header)
    first = results[0][2]
    for k in range(first.n_splits):
        groups = ",".join(str(g) for g in first.test_groups[k])
        _print(f"{k:>4}  {groups:>7}{first.n_test[k]:>6}" + "".join(
            f"{res.ua[k]:>16.3f}" for _, _, res, _ in results))
    _print()
    majority = np.max(np.unique(data.target, return_counts=True)[1]) / len(data.target)
    _print(f"{'model':<26}{'normalization':<15}{'WA (mean +- std)':>18}"
           f"{'UA (mean +- std)':>18}{'seconds':>9}")
    _print(f"{'chance':<26}{'':<15}{f'{majority:.3f}':>18}{'0.250':>18}{'':>9}")
    for name, normalization, res, seconds in results:
        _print(f"{name:<26}{normalization:<15}{_mean_std(res.wa):>18}"
               f"{_mean_std(res.ua):>18}{seconds:>9.0f}")
    _print()
    _print("chance: WA of always predicting the largest class, UA of any constant "
           "prediction.")
    baseline = next(res for name, norm, res, _ in results
                    if name.startswith("functionals") and norm == args.normalization)
    network = results[-1][2]
    _print(_verdict(network, baseline, f"{args.attention} network", args.normalization))

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
    _print(f"Wrote {cm_path}")
    _print(f"Wrote {att_path}")
    _print(f"Done in {time.perf_counter() - t0:.0f} s.")
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
    from sklearn.utils import _safe_indexing

    from . import AttentionDisplay
    from ._audio import frame_params
    from ._paper import FRAME_STEP

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


class _FoldProgress(Callback):
    """Print one line per fit: epochs run, best validation score, time."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._t0 = time.perf_counter()

    def on_train_end(self, net, X=None, y=None, **kwargs):
        hist = net.history
        keys = [k for k in ("valid_wa_ua", "valid_acc") if k in hist[-1]]
        best = f", best valid {keys[0]} {max(hist[:, keys[0]]):.3f}" if keys else ""
        _print(f"  fit done: {len(hist)} epochs{best}, "
               f"{time.perf_counter() - self._t0:.0f} s")


# -- IEMOCAP commands -----------------------------------------------------------


def _check_dir(path, what):
    if not os.path.isdir(path):
        raise CLIError(f"{what} {path!r} is not a directory")


_OVERRIDES = {"epochs": "max_epochs", "lr": "lr", "l2": "l2",
              "batch_size": "batch_size"}


def _classifier_params(args):
    params = {name: getattr(args, option) for option, name in _OVERRIDES.items()
              if getattr(args, option) is not None}
    return dict(params, device=args.device, random_state=args.seed)


def _make_pipeline(args, attention):
    from . import make_ser_pipeline

    return make_ser_pipeline(
        attention, n_frames=args.n_frames, recipe=args.recipe,
        normalization=getattr(args, "normalization", "neutral"), memory=args.cache,
        n_jobs=args.n_jobs, **_classifier_params(args),
    )


def _describe_training(pipe):
    """One line with the training budget of a pipeline's classifier."""
    params = pipe.get_params()
    return (f"n_frames={params['padcrop__n_frames']}  "
            + "  ".join(f"{name}={params['classifier__' + name]}"
                        for name in ("hidden_units", "lstm_units", "attention_units",
                                     "lr", "l2", "batch_size", "max_epochs")))


def _cmd_evaluate(args):
    from . import evaluate_sessions
    from .datasets import load_iemocap

    _check_dir(args.iemocap, "IEMOCAP root")
    data = load_iemocap(args.iemocap, subset=args.subset,
                        merge_excited=args.merge_excited)
    _print(f"IEMOCAP {args.subset}: {len(data.target)} utterances, classes "
           f"{_counts(data.target)}")
    speakers = data.speakers if args.normalization == "speaker" else None
    rows = []
    results = {}
    for attention in args.attention:
        pipe = _make_pipeline(args, attention)
        _print(f"[{attention}] recipe={args.recipe}  normalization="
               f"{args.normalization}  {_describe_training(pipe)}")
        pipe.set_params(classifier__callbacks=[("progress", _FoldProgress())])
        _print(f"[{attention}] leave-one-session-out evaluation...")
        res = evaluate_sessions(pipe, data.filenames, data.target, data.groups,
                                speakers=speakers, n_splits=5,
                                params={"classifier__groups": data.speakers})
        results[attention] = {"selection": "validation split of the training sessions",
                              **res.to_dict()}
        paper = PAPER_TABLE1[attention].get(args.subset)
        rows.append((attention, "ours (validation)", res.wa_mean, res.ua_mean, paper))
        _print(res)
        if args.paper_selection:
            from ._reproduction import paper_selection_evaluation

            res_p = paper_selection_evaluation(pipe, data.filenames, data.target,
                                               data.groups, speakers=speakers)
            results[attention + "_paper_selection"] = {
                "selection": "best epoch on the test session (the paper's, optimistic)",
                **res_p.to_dict(),
            }
            rows.append((attention, "ours (test-fold selection)", res_p.wa_mean,
                         res_p.ua_mean, paper))
    _print()
    _print(f"{'pooling':<8}{'run':<28}{'WA %':>7}{'UA %':>7}{'paper WA':>10}{'paper UA':>10}")
    for attention, run, wa, ua, paper in rows:
        pw, pu = paper if paper else (float("nan"), float("nan"))
        _print(f"{attention:<8}{run:<28}{100 * wa:>7.1f}{100 * ua:>7.1f}{pw:>10.1f}{pu:>10.1f}")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "results.json", "w") as fh:
            json.dump({"subset": args.subset, "recipe": args.recipe,
                       "normalization": args.normalization,
                       "epochs": pipe.get_params()["classifier__max_epochs"],
                       "results": results}, fh, indent=2)
        with open(out / "results.csv", "w") as fh:
            fh.write("attention,selection,fold,test_groups,n_test,wa,ua\n")
            for name, res in results.items():
                for f in res["folds"]:
                    groups = " ".join(str(g) for g in f["test_groups"])
                    fh.write(f"{name},{res['selection']},{f['fold']},{groups},"
                             f"{f['n_test']},{f['wa']:.6f},{f['ua']:.6f}\n")
        _print(f"Wrote {out / 'results.json'} and {out / 'results.csv'}")
    return 0


def _cmd_train(args):
    from . import save
    from .datasets import load_iemocap

    _check_dir(args.iemocap, "IEMOCAP root")
    data = load_iemocap(args.iemocap, subset=args.subset,
                        merge_excited=args.merge_excited)
    pipe = _make_pipeline(args, args.attention)
    pipe.set_params(classifier__callbacks=[("progress", _FoldProgress())])
    _print(f"Training on {len(data.target)} utterances...")
    pipe.fit(data.filenames, data.target, classifier__groups=data.speakers)
    pipe.set_params(classifier__callbacks=None)
    save(pipe, args.output)
    _print(f"Wrote {args.output}")
    return 0


def _cmd_predict(args):
    from . import load

    if not os.path.isfile(args.model):
        raise CLIError(f"model file {args.model!r} does not exist")
    for f in args.files:
        if not os.path.isfile(f):
            raise CLIError(f"audio file {f!r} does not exist")
    pipe = load(args.model)
    proba = pipe.predict_proba(list(args.files))
    classes = [str(c) for c in pipe.classes_]
    records = []
    for f, p in zip(args.files, proba, strict=True):
        records.append({
            "file": f,
            "label": classes[int(np.argmax(p))],
            "probabilities": {c: round(float(v), 6) for c, v in zip(classes, p,
                                                                    strict=True)},
        })
    if args.format == "json":
        _print(json.dumps(records, indent=2))
    else:
        for r in records:
            probs = "  ".join(f"{c}={v:.3f}" for c, v in r["probabilities"].items())
            _print(f"{r['file']}\t{r['label']}\t{probs}")
    return 0
