"""The ``sklearn-ser`` command line: demo, evaluate, train and predict."""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from skorch.callbacks import Callback

# WA / UA (%) of Table 1 of the paper: pooling -> subset -> (WA, UA).
PAPER_TABLE1 = {
    "mean": {"full": (60.5, 58.3), "improvised": (62.2, 63.3)},
    "zhou": {"full": (60.7, 58.7), "improvised": (64.7, 62.4)},
    "yang": {"full": (61.2, 58.4), "improvised": (64.8, 64.1)},
    "lstm": {"full": (62.5, 59.6), "improvised": (68.8, 63.7)},
}

ATTENTIONS = ("mean", "zhou", "yang", "lstm")


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


def _add_training_options(parser, *, epochs, lr, l2, n_frames):
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=_positive_int, default=epochs,
                       help="training epochs per fit (default: %(default)s)")
    group.add_argument("--lr", type=float, default=lr,
                       help="Adam learning rate (default: %(default)s)")
    group.add_argument("--l2", type=float, default=l2,
                       help="L2 factor, TensorFlow style (default: %(default)s)")
    group.add_argument("--n-frames", type=_positive_int, default=n_frames,
                       help="frames per utterance after pad/crop (default: %(default)s)")
    group.add_argument("--batch-size", type=_positive_int, default=32,
                       help="mini-batch size (default: %(default)s)")
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
        description="Generate the built-in synthetic emotional speech corpus, run a "
        "leave-one-session-out evaluation of the proposed LSTM-attention model with a "
        "short, scaled-down training budget, print per-fold WA/UA and write a "
        "confusion matrix and an attention plot as PNG files.",
    )
    demo.add_argument("--n-samples", type=_positive_int, default=400,
                      help="utterances in the synthetic corpus (default: %(default)s)")
    demo.add_argument("--attention", choices=ATTENTIONS, default="lstm",
                      help="pooling of the network (default: %(default)s)")
    demo.add_argument("--epochs", type=_positive_int, default=None,
                      help="training epochs per fold (default: the demo's budget)")
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
    _add_training_options(ev, epochs=200, lr=3e-5, l2=5e-2, n_frames=500)
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
    _add_training_options(tr, epochs=200, lr=3e-5, l2=5e-2, n_frames=500)
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

DEMO_CONFIG = {
    "n_frames": 300,
    "hidden_units": 64,
    "lstm_units": 32,
    "attention_units": 32,
    "lr": 3e-3,
    "l2": 0.0,
    "batch_size": 16,
    "max_epochs": 25,
}
"""The demo's scaled-down configuration of the paper's architecture."""


def _cmd_demo(args):
    import torch

    from . import AttentionDisplay, evaluate_sessions, make_ser_pipeline
    from .datasets import make_emotional_speech

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # Small networks train as fast on one thread, and far faster than on two
    # when the other core is busy.
    torch.set_num_threads(1)
    config = dict(DEMO_CONFIG)
    if args.epochs is not None:
        config["max_epochs"] = args.epochs
    t0 = time.perf_counter()
    _print(f"Generating the synthetic corpus ({args.n_samples} utterances, 5 sessions)...")
    data = make_emotional_speech(n_samples=args.n_samples, random_state=args.seed)
    durations = np.array([len(w) for w in data.data]) / data.sampling_rate
    _print(f"  {len(data.target)} utterances, {durations.sum() / 60:.1f} min of audio, "
           f"classes {_counts(data.target)}")
    _print("Configuration (a scaled-down version of the paper's network, paper values "
           "in brackets):")
    _print(f"  attention={args.attention}  n_frames={config['n_frames']} [500]  "
           f"hidden_units={config['hidden_units']} [256]  "
           f"lstm_units={config['lstm_units']} [128]  "
           f"attention_units={config['attention_units']} [128]")
    _print(f"  lr={config['lr']} [3e-5]  l2={config['l2']} [5e-2]  "
           f"batch_size={config['batch_size']} [32]  "
           f"max_epochs={config['max_epochs']} [200]  "
           "best epoch chosen on a validation split of the training sessions")
    cache = out / "feature_cache"
    pipe = make_ser_pipeline(
        args.attention, n_frames=config.pop("n_frames"), memory=str(cache),
        random_state=args.seed, **config,
    )
    pipe.set_params(lld__verbose=True)
    _print("Extracting features (openSMILE, 32 LLDs per 10 ms frame)...")
    pipe[0].transform(list(data.data))  # fills the cache once for all folds
    pipe.set_params(lld__verbose=False)
    _print("Leave-one-session-out evaluation (5 folds)...")
    pipe.set_params(classifier__callbacks=[("progress", _FoldProgress())])
    result = evaluate_sessions(pipe, list(data.data), data.target, data.groups,
                               n_splits=5)
    _print()
    _print(result)
    _print()
    _print(f"WA = {result.wa_mean:.3f} +- {result.wa_std:.3f}   "
           f"UA = {result.ua_mean:.3f} +- {result.ua_std:.3f}   "
           f"(chance: WA about {np.max(np.unique(data.target, return_counts=True)[1]) / len(data.target):.2f}, UA 0.25)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    display = result.plot_confusion_matrix()
    display.ax_.set_title(f"{args.attention} attention, leave-one-session-out")
    cm_path = out / "confusion_matrix.png"
    display.figure_.savefig(cm_path, dpi=120, bbox_inches="tight")
    plt.close(display.figure_)

    _print("Fitting one model on sessions 1-4 for the attention plot...")
    train = data.groups != 5
    pipe.set_params(classifier__callbacks=None)
    pipe.fit([w for w, t in zip(data.data, train, strict=True) if t],
             data.target[train])
    test_idx = np.flatnonzero(~train)
    idx = test_idx[np.argmax(durations[test_idx] < 4.0)]
    display = AttentionDisplay.from_estimator(pipe, data.data[idx],
                                              sampling_rate=data.sampling_rate)
    display.ax_.set_title(
        f"session 5 utterance {idx} (true: {data.target[idx]}, predicted: "
        f"{display.label})", fontsize=9)
    att_path = out / "attention.png"
    display.figure_.savefig(att_path, dpi=120, bbox_inches="tight")
    plt.close(display.figure_)
    _print(f"Wrote {cm_path}")
    _print(f"Wrote {att_path}")
    _print(f"Done in {time.perf_counter() - t0:.0f} s.")
    return 0


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


def _classifier_params(args):
    return dict(
        max_epochs=args.epochs, lr=args.lr, l2=args.l2,
        batch_size=args.batch_size, device=args.device, random_state=args.seed,
    )


def _cmd_evaluate(args):
    from . import evaluate_sessions, make_ser_pipeline
    from .datasets import load_iemocap

    _check_dir(args.iemocap, "IEMOCAP root")
    data = load_iemocap(args.iemocap, subset=args.subset,
                        merge_excited=args.merge_excited)
    _print(f"IEMOCAP {args.subset}: {len(data.target)} utterances, classes "
           f"{_counts(data.target)}")
    rows = []
    results = {}
    for attention in args.attention:
        pipe = make_ser_pipeline(attention, n_frames=args.n_frames, memory=args.cache,
                                 n_jobs=args.n_jobs,
                                 **_classifier_params(args))
        pipe.set_params(classifier__callbacks=[("progress", _FoldProgress())])
        _print(f"[{attention}] leave-one-session-out evaluation...")
        res = evaluate_sessions(pipe, data.filenames, data.target, data.groups,
                                n_splits=5, params={"classifier__groups": data.speakers})
        results[attention] = {"selection": "validation split of the training sessions",
                              **res.to_dict()}
        paper = PAPER_TABLE1[attention].get(args.subset)
        rows.append((attention, "ours (validation)", res.wa_mean, res.ua_mean, paper))
        _print(res)
        if args.paper_selection:
            from ._reproduction import paper_selection_evaluation

            res_p = paper_selection_evaluation(pipe, data.filenames, data.target,
                                               data.groups)
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
            json.dump({"subset": args.subset, "epochs": args.epochs, "results": results},
                      fh, indent=2)
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
    from . import make_ser_pipeline, save
    from .datasets import load_iemocap

    _check_dir(args.iemocap, "IEMOCAP root")
    data = load_iemocap(args.iemocap, subset=args.subset,
                        merge_excited=args.merge_excited)
    pipe = make_ser_pipeline(args.attention, n_frames=args.n_frames, memory=args.cache,
                             n_jobs=args.n_jobs,
                             **_classifier_params(args))
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
