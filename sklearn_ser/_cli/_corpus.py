"""``sklearn-ser evaluate`` and ``train``: a labelled corpus, the paper's protocol."""

import csv
import json
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

from .._json import plain
from .._paper import PAPER_TABLE1
from ..network._modules import ATTENTIONS
from . import _dimensions
from ._common import (
    CLIError,
    FoldProgress,
    Interrupted,
    add_target_option,
    add_training_options,
    check_dir,
    check_output_dir,
    check_output_file,
    collapsed_folds,
    counts,
    describe_training,
    epoch_selection,
    is_dimensional,
    make_pipeline,
    network_step,
    noting_ctrl_c,
    plural,
    say,
)

_SUBSETS = ("full", "improvised", "scripted")
_CSV_OPTIONS = ("audio_column", "label_column", "speaker_column", "session_column",
                "root")
_MODELS = ("network", "baseline")
#: Options of the network that the baseline has no use for.
_NETWORK_OPTIONS = ("epochs", "lr", "l2", "n_frames", "batch_size", "hidden_units",
                    "lstm_units", "attention_units")
_VERSIONS = ("sklearn-ser", "scikit-learn", "skorch", "torch", "numpy", "scipy",
             "pandas", "joblib", "opensmile", "soundfile")


def add_data_options(parser):
    """The corpus of ``evaluate`` and ``train``: IEMOCAP or a CSV."""
    group = parser.add_argument_group(
        "data", "An IEMOCAP copy (--iemocap ROOT) or your own corpus (--data CSV: "
        "one row per audio file, read with sklearn_ser.datasets.load_csv).")
    source = group.add_mutually_exclusive_group(required=True)
    source.add_argument("--iemocap", metavar="ROOT",
                        help="root of IEMOCAP_full_release (with Session1..Session5)")
    source.add_argument("--data", metavar="CSV",
                        help="CSV of your own corpus: a column of audio paths, one "
                        "of labels and, to evaluate, one of speakers or sessions")
    group.add_argument("--audio-column", default=None, metavar="NAME",
                       help="--data: column of the audio paths (default: file)")
    group.add_argument("--label-column", default=None, metavar="NAME",
                       help="--data: column of the labels (default: emotion)")
    group.add_argument("--speaker-column", default=None, metavar="NAME",
                       help="--data: column of the speakers (needed by "
                       "--normalization speaker; groups the folds when there is no "
                       "session column)")
    group.add_argument("--session-column", default=None, metavar="NAME",
                       help="--data: column of the sessions, the groups of the "
                       "leave-one-group-out folds")
    group.add_argument("--root", default=None, metavar="DIR",
                       help="--data: folder that relative audio paths start from "
                       "(default: the CSV's folder)")
    group.add_argument("--subset", choices=_SUBSETS, default=None,
                       help="--iemocap: all utterances, or those of the improvised "
                       "or of the scripted dialogues (default: full; the paper "
                       "reports full and improvised)")
    group.add_argument("--merge-excited", action="store_true",
                       help="--iemocap: relabel 'exc' (excited) as 'hap' (happy), "
                       "a common variant; the paper keeps ang, hap, neu, sad "
                       "without it")
    add_target_option(group)
    group.add_argument("--dimension-columns", type=_dimensions.dimension_columns,
                       default=None, metavar="NAMES",
                       help="--data with --target dimensions: the columns of the "
                       "dimensional ratings, separated by commas (default: "
                       f"{_dimensions.DEFAULT_COLUMNS}); the label column is still "
                       "read (IEMOCAP's dimensions are the [V, A, D] triple of each "
                       "utterance line, of all its utterances)")


def load_data(args):
    """The corpus the options name, as a Bunch, and a one-line description.

    With ``--target dimensions`` the Bunch's ``target`` is the ``(n, k)``
    array of the dimensions and ``target_names`` their names.
    """
    dimensional = is_dimensional(args)
    csv_given = [f"--{name.replace('_', '-')}" for name in _CSV_OPTIONS
                 if getattr(args, name) is not None]
    if args.dimension_columns is not None and not dimensional:
        raise CLIError("--dimension-columns applies to --target dimensions")
    if args.iemocap is not None:
        if args.dimension_columns is not None:
            csv_given.append("--dimension-columns")
        if csv_given:
            raise CLIError(f"{', '.join(csv_given)} apply to --data, not --iemocap")
        if dimensional and args.merge_excited:
            raise CLIError("--merge-excited relabels the categories; with --target "
                           "dimensions it changes nothing (the targets are the "
                           "[V, A, D] ratings): leave it out")
        from ..datasets import load_iemocap

        check_dir(args.iemocap, "IEMOCAP root")
        subset = args.subset or "full"
        data = load_iemocap(args.iemocap, subset=subset,
                            merge_excited=args.merge_excited,
                            target="dimensions" if dimensional else "category")
        return data, f"IEMOCAP {subset}"
    given = [flag for flag, value in (("--subset", args.subset),
                                      ("--merge-excited", args.merge_excited or None))
             if value is not None]
    if given:
        raise CLIError(f"{', '.join(given)} apply to --iemocap, not --data")
    if os.path.isdir(args.data):
        raise CLIError(f"--data {args.data!r} is a directory; give the CSV file "
                       "that lists the audio files and their labels")
    if not os.path.isfile(args.data):
        raise CLIError(f"--data {args.data!r} does not exist")
    if args.root is not None:
        check_dir(args.root, "--root")
    from ..datasets import load_csv

    columns = {name: getattr(args, name) for name in _CSV_OPTIONS
               if getattr(args, name) is not None}
    data = load_csv(args.data, **columns)
    name = os.path.basename(args.data)
    if dimensional:
        names = args.dimension_columns or _dimensions.DEFAULT_COLUMNS.split(",")
        data.labels = data.target
        data.target = _dimensions.csv_dimensions(data, names, name)
        data.target_names = np.array(names)
    return data, name


def add_parsers(sub):
    """Add the ``evaluate`` and ``train`` commands to the subparsers ``sub``."""
    ev = sub.add_parser(
        "evaluate", help="leave-one-session-out evaluation on IEMOCAP or your corpus",
        description="Leave-one-group-out evaluation (IEMOCAP: its 5 sessions, 4 "
        "classes ang, hap, neu, sad, printed beside the paper's Table 1; a CSV "
        "corpus: its sessions or speakers), with the chance level and a "
        "functionals + SVM baseline on the same folds. The paper recipe "
        "chooses the best epoch on a validation split of the training groups, "
        "the fast recipe keeps the last epoch; --paper-selection also reports "
        "the paper's selection on the test session (optimistic). With --target "
        "dimensions: the CCC of valence, arousal and dominance per fold, beside "
        "a functionals + RidgeCV baseline and chance (the training mean, CCC 0).",
    )
    add_data_options(ev)
    ev.add_argument("--attention", choices=ATTENTIONS, nargs="+", default=["lstm"],
                    help="pooling(s) to evaluate: lstm (the paper's proposed "
                    "model), mean, zhou, yang (default: lstm)")
    ev.add_argument("--n-splits", type=int, default=None,
                    help="folds (default: 5, or the number of groups when fewer)")
    ev.add_argument("--no-baseline", action="store_true",
                    help="skip the functionals baseline (SVM; RidgeCV with "
                    "--target dimensions)")
    ev.add_argument("--paper-selection", action="store_true",
                    help="also report the paper's epoch selection on the test fold "
                    "(optimistic; for comparison only; categories only)")
    ev.add_argument("--out", default=None,
                    help="directory for results.csv and results.json (every "
                    "parameter, the seed and the versions of the libraries)")
    add_training_options(ev, normalization=True)
    ev.set_defaults(func=_cmd_evaluate)

    tr = sub.add_parser(
        "train", help="train a model on IEMOCAP or your corpus and save it",
        description="Fit the pipeline on all the selected utterances and save it "
        "in the library's safe model format (read by 'predict'). With --target "
        "dimensions the model regresses valence, arousal and dominance. With "
        "--model baseline it is the functionals baseline: the utterance "
        "statistics of the same LLDs into an SVM whose scores a sigmoid turns "
        "into probabilities (RidgeCV with --target dimensions).",
    )
    add_data_options(tr)
    tr.add_argument("-o", "--output", required=True, metavar="MODEL",
                    help="path of the model file to write")
    tr.add_argument("--model", choices=_MODELS, default="network",
                    help="network: the paper's BiLSTM network; baseline: "
                    "functionals + SVM (RidgeCV with --target dimensions), "
                    "trained in seconds (default: %(default)s)")
    tr.add_argument("--attention", choices=ATTENTIONS, default="lstm",
                    help="pooling of the network: lstm (the paper's proposed "
                    "model), mean, zhou, yang (default: %(default)s)")
    add_training_options(tr, normalization=True)
    tr.set_defaults(func=_cmd_train)


def _speakers(args, data):
    speakers = getattr(data, "speakers", None)
    if args.normalization == "speaker" and speakers is None:
        raise CLIError("--normalization speaker needs the speaker of each file: "
                       "give --speaker-column")
    return speakers


def _groups(args, data):
    groups = getattr(data, "groups", None)
    if groups is None:
        raise CLIError("evaluate needs the group of each file, so that no test "
                       "speaker is seen in training: give --session-column or "
                       "--speaker-column")
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise CLIError(f"evaluate needs at least 2 sessions or speakers, the corpus "
                       f"has {n_groups}")
    n_splits = args.n_splits if args.n_splits is not None else min(5, n_groups)
    if not 2 <= n_splits <= n_groups:
        raise CLIError(f"--n-splits must be between 2 and the number of groups "
                       f"({n_groups}), got {n_splits}")
    return groups, n_splits


def configuration(pipe):
    """Every parameter of the steps of ``pipe``, as JSON values."""
    return {name: {k: plain(v) for k, v in step.get_params(deep=False).items()}
            for name, step in pipe.steps}


def versions():
    """Versions of Python, the platform and the libraries of a run."""
    found = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in _VERSIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _evaluate(pipe, data, X, groups, speakers, n_splits, is_net):
    from .. import evaluate_sessions

    params = ({f"{network_step(pipe)}__groups":
               speakers if speakers is not None else groups}
              if is_net else None)
    names = {"target_names": data.target_names} if data.target.ndim == 2 else {}
    return evaluate_sessions(pipe, X, data.target, groups, speakers=speakers,
                             n_splits=n_splits, params=params, **names)


def _cmd_evaluate(args):
    from .. import make_baseline_pipeline

    if args.paper_selection and is_dimensional(args):
        raise CLIError("--paper-selection reproduces the paper's epoch selection "
                       "by WA + UA of the categories; it does not apply to --target "
                       "dimensions")
    if args.out:
        check_output_dir(args.out, "--out")
    data, name = load_data(args)
    groups, n_splits = _groups(args, data)
    speakers = _speakers(args, data) if args.normalization == "speaker" else None
    X = list(data.filenames)
    if is_dimensional(args):
        return _with_cache(args, lambda: _evaluate_dimensions(
            args, data, name, X, groups, speakers, n_splits))
    labels, n_per_class = np.unique(data.target, return_counts=True)
    chance_wa = n_per_class.max() / n_per_class.sum()
    say(f"{name}: {len(data.target)} utterances, {len(labels)} classes "
        f"({counts(data.target)}), {plural(len(np.unique(groups)), 'group')}, "
        f"{n_splits} leave-one-group-out folds")
    tmp = None
    if args.cache is None:
        tmp = tempfile.TemporaryDirectory(prefix="sklearn_ser_evaluate_")
        args.cache = tmp.name
    try:
        rows, results, config = [], {}, {}
        if not args.no_baseline:
            base = make_baseline_pipeline(normalization=args.normalization,
                                          memory=args.cache, n_jobs=args.n_jobs)
            say("[baseline] functionals + SVM (balanced class weights), "
                f"normalization={args.normalization}...")
            res = _evaluate(base, data, X, groups, speakers, n_splits, is_net=False)
            say(res)
            results["baseline_svm"] = {"selection": "none", **res.to_dict()}
            config["baseline_svm"] = configuration(base)
            rows.append(("baseline", "functionals + SVM", res, None))
        for attention in args.attention:
            pipe = make_pipeline(args, attention)
            say(f"[{attention}] recipe={args.recipe}  normalization="
                f"{args.normalization}  {describe_training(pipe)}")
            config[attention] = configuration(pipe)
            pipe.set_params(classifier__callbacks=[("progress", FoldProgress())])
            res = _evaluate(pipe, data, X, groups, speakers, n_splits, is_net=True)
            results[attention] = {
                "selection": epoch_selection(pipe, "training groups"),
                **res.to_dict()}
            paper = (PAPER_TABLE1[attention].get(args.subset or "full")
                     if args.iemocap is not None else None)
            rows.append((attention, "ours (validation)", res, paper))
            say(res)
            for warning in collapsed_folds(res):
                say(warning, file=sys.stderr)
            if args.paper_selection:
                from ..pipeline._reproduction import paper_selection_evaluation

                res_p = paper_selection_evaluation(pipe, X, data.target, groups,
                                                   speakers=speakers,
                                                   n_splits=n_splits)
                results[attention + "_paper_selection"] = {
                    "selection": "best epoch on the test session (the paper's, "
                    "optimistic)", **res_p.to_dict()}
                rows.append((attention, "ours (test-fold selection)", res_p, paper))
        _print_table(rows, chance_wa, 1 / len(labels), args.iemocap is not None)
        if args.out:
            _write(args, name, data, n_splits, results, config)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


def _with_cache(args, run):
    """Run ``run()`` with a temporary feature cache unless --cache names one."""
    if args.cache is not None:
        return run()
    with tempfile.TemporaryDirectory(prefix="sklearn_ser_evaluate_") as tmp:
        args.cache = tmp
        try:
            return run()
        finally:
            args.cache = None


def _evaluate_dimensions(args, data, name, X, groups, speakers, n_splits):
    results, config = _dimensions.evaluate_dimensions(
        args, data, name, groups, n_splits, speakers,
        lambda pipe, is_net: _evaluate(pipe, data, X, groups, speakers, n_splits,
                                       is_net))
    if args.out:
        labels = getattr(data, "labels", None)
        header, rows = _dimensions.results_csv(results)
        _write_files(args, {
            "corpus": name, "target": "dimensions",
            "n_utterances": int(len(data.target)),
            "target_names": [str(n) for n in data.target_names],
            "targets": {str(n): {"mean": float(data.target[:, j].mean()),
                                 "std": float(data.target[:, j].std())}
                        for j, n in enumerate(data.target_names)},
            "classes": counts(labels) if labels is not None else None,
            "n_splits": n_splits}, results, config, header, rows)
    return 0


def _print_table(rows, chance_wa, chance_ua, with_paper):
    say()
    head = f"{'model':<10}{'run':<28}{'WA %':>14}{'UA %':>14}"
    if with_paper:
        head += f"{'paper WA':>10}{'paper UA':>10}"
    say(head)
    say(f"{'chance':<10}{'majority class / uniform':<28}{100 * chance_wa:>14.1f}"
        f"{100 * chance_ua:>14.1f}")
    for model, run, res, paper in rows:
        wa = f"{100 * res.wa_mean:.1f} +- {100 * res.wa_std:.1f}"
        ua = f"{100 * res.ua_mean:.1f} +- {100 * res.ua_std:.1f}"
        line = f"{model:<10}{run:<28}{wa:>14}{ua:>14}"
        if with_paper:
            pw, pu = paper if paper else (float("nan"), float("nan"))
            line += f"{pw:>10.1f}{pu:>10.1f}"
        say(line)
    say("WA, UA: mean +- standard deviation over the folds.")


def _write(args, name, data, n_splits, results, config):
    header = ["model", "selection", "fold", "test_groups", "n_test", "wa", "ua"]
    rows = [[model, res["selection"], f["fold"],
             " ".join(str(g) for g in f["test_groups"]), f["n_test"],
             f"{f['wa']:.6f}", f"{f['ua']:.6f}"]
            for model, res in results.items() for f in res["folds"]]
    _write_files(args, {"corpus": name, "n_utterances": int(len(data.target)),
                        "classes": counts(data.target), "n_splits": n_splits},
                 results, config, header, rows)


def _write_files(args, about, results, config, header, rows):
    """results.json (``about``, the options, parameters, versions, results) and
    results.csv (``header``, then ``rows``) in the folder of --out."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    options = {k: plain(v) for k, v in sorted(vars(args).items()) if k != "func"}
    with open(out / "results.json", "w") as fh:
        json.dump({**about,
                   "subset": args.subset or ("full" if args.iemocap else None),
                   "recipe": args.recipe, "normalization": args.normalization,
                   "seed": args.seed, "options": options, "parameters": config,
                   "versions": versions(), "results": results}, fh, indent=2)
    with open(out / "results.csv", "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    say(f"Wrote {out / 'results.json'} and {out / 'results.csv'}")


def _baseline_pipeline(args):
    """The functionals baseline that ``train --model baseline`` fits."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    from .. import make_baseline_pipeline
    from ._common import TARGETS

    given = [f"--{option.replace('_', '-')}" for option in _NETWORK_OPTIONS
             if getattr(args, option) is not None]
    if given:
        raise CLIError(f"{', '.join(given)} set(s) the network's training; "
                       "--model baseline has no use for it: leave it out")
    # Probabilities (the SVM's scores calibrated by a sigmoid, scikit-learn's
    # replacement of SVC(probability=True)), so that 'predict' prints them as
    # for a network.
    classifier = (None if is_dimensional(args) else
                  CalibratedClassifierCV(SVC(class_weight="balanced"),
                                         ensemble=False))
    return make_baseline_pipeline(classifier, normalization=args.normalization,
                                  task=TARGETS[args.target], memory=args.cache,
                                  n_jobs=args.n_jobs)


def _cmd_train(args):
    from .. import save
    from ..pipeline._evaluation import with_speakers

    check_output_file(args.output, "Model file")
    baseline = args.model == "baseline"
    pipe = _baseline_pipeline(args) if baseline else None
    data, name = load_data(args)
    speakers = _speakers(args, data)
    if is_dimensional(args):
        what = _dimensions.fit_description(data, [str(n) for n in data.target_names])
        normalization = _dimensions.normalization_note(args)
    else:
        what = f"{len(data.target)} utterances ({counts(data.target)})"
        normalization = f"normalization={args.normalization}"
    if baseline:
        model = ("RidgeCV" if is_dimensional(args) else
                 "SVM with balanced class weights")
        say(f"{name}: training the functionals baseline ({model}) on {what}; "
            f"{normalization}")
        fit_params = {}
    else:
        pipe = make_pipeline(args, args.attention)
        step = network_step(pipe)
        pipe.set_params(**{f"{step}__callbacks": [("progress", FoldProgress())]})
        say(f"{name}: training on {what}; recipe={args.recipe}  {normalization}  "
            f"{describe_training(pipe)}")
        groups = speakers if speakers is not None else getattr(data, "groups", None)
        fit_params = {f"{step}__groups": groups}
    X = list(data.filenames)
    if args.normalization == "speaker":
        X = with_speakers(X, speakers)
    try:
        with noting_ctrl_c():
            pipe.fit(X, data.target, **fit_params)
    except KeyboardInterrupt:
        raise Interrupted(
            "training interrupted (Ctrl-C); no model was written"
            + (f", {args.output} is unchanged" if os.path.exists(args.output) else "")
        ) from None
    if not baseline:
        pipe.set_params(**{f"{step}__callbacks": None})
    save(pipe, args.output)  # a temporary file in the same folder, then renamed
    say(f"Wrote {args.output}")
    return 0
