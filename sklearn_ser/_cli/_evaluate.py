"""``sklearn-ser evaluate``: leave-one-group-out evaluation of a labelled corpus.

One loop for the categories and the dimensions: the corpus, its features
extracted once, the baseline and each network on the same folds, a table
beside chance, a verdict against the baseline, and the results files. What
differs between the two targets is the :mod:`._report` scores object.
"""

import csv
import io
import platform
import sys
from importlib import metadata

from .._paper import ATTENTIONS, PAPER_TABLE1
from . import _data, _interrupt, _models
from ._common import (
    CLIError,
    add_training_options,
    check_output_dir,
    is_dimensional,
    positive_int,
    say,
)
from ._dimensions import normalization_note
from ._output import shown, to_json, write_atomically

_VERSIONS = ("sklearn-ser", "scikit-learn", "skorch", "torch", "numpy", "scipy",
             "pandas", "joblib", "opensmile", "soundfile")


def add_parsers(sub):
    """Add the ``evaluate`` command to the subparsers ``sub``."""
    ev = sub.add_parser(
        "evaluate", help="leave-one-session-out evaluation on IEMOCAP or your corpus",
        description="Leave-one-group-out evaluation (IEMOCAP: its 5 sessions, 4 "
        "classes ang, hap, neu, sad, printed beside the paper's Table 1; a CSV "
        "corpus: its sessions or speakers), with the chance level and a "
        "functionals + SVM baseline on the same folds, and which model is "
        "better. The paper recipe chooses the best epoch on a validation split "
        "of the training groups, the fast recipe keeps the last epoch; "
        "--paper-selection also reports the paper's selection on the test "
        "session (optimistic). With --target dimensions: the CCC of valence, "
        "arousal and dominance per fold, beside a functionals + RidgeCV "
        "baseline and chance (the training mean, CCC 0). Progress lines give "
        "the elapsed time and an estimate of what remains; Ctrl-C or SIGTERM "
        "stops the run, writes nothing and exits with status 130 or 143.",
    )
    _data.add_data_options(ev)
    ev.add_argument("--attention", choices=ATTENTIONS, nargs="+", default=["lstm"],
                    help="pooling(s) to evaluate: lstm (the paper's proposed "
                    "model), mean, zhou, yang (default: lstm)")
    ev.add_argument("--n-splits", type=positive_int, default=None,
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
    ev.set_defaults(func=cmd_evaluate)


class _Run:
    """One evaluated model: its key in results.json and its table row."""

    def __init__(self, key, model, run, result, selection, config, paper=None):
        self.key, self.model, self.run, self.result = key, model, run, result
        self.selection, self.config, self.paper = selection, config, paper


def configuration(pipe):
    """Every parameter of the steps of ``pipe``, as JSON values."""
    from .._json import plain

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


def _check_options(args):
    if args.paper_selection and is_dimensional(args):
        raise CLIError("--paper-selection reproduces the paper's epoch selection "
                       "by WA + UA of the categories; it does not apply to --target "
                       "dimensions")
    _models.check_neutral_option(args)


def _folds(pipe, data, groups, speakers, n_splits):
    """:func:`~sklearn_ser.evaluate_sessions` of ``pipe`` on the command's folds."""
    from ..pipeline._evaluation import evaluate_sessions

    kind = _models.describe(pipe)
    params = None
    if kind.network is not None:
        params = {f"{kind.final_name}__groups":
                  speakers if speakers is not None else groups}
    names = {"target_names": data.target_names} if data.target.ndim == 2 else {}
    try:
        return evaluate_sessions(pipe, list(data.filenames), data.target, groups,
                                 speakers=speakers if kind.needs_speakers else None,
                                 n_splits=n_splits, params=params, **names)
    except ValueError as exc:
        error = _models.neutral_error(exc)
        if error is None:
            raise
        raise error from None


def _progress(args, pipe, n_splits):
    """The network of ``pipe`` reports its progress on a fresh clock."""
    from ._progress import Progress, RunClock

    notice = args.recipe == "paper" and _models.resolved_device(pipe) == "cpu"
    clock = RunClock(n_fits=n_splits, paper_notice=notice)
    return _models.set_callbacks(pipe, [("progress", Progress(clock))])


def _print_result(scores, name, res):
    say(f"[{name}] per fold:")
    for line in scores.fold_lines(res):
        say(line)
    for warning in scores.warnings(res):
        say(warning, file=sys.stderr)


def _baseline_run(args, data, groups, speakers, n_splits, scores):
    base = _models.make_baseline(args)
    model = "RidgeCV" if is_dimensional(args) else "SVM"
    note = (normalization_note(args) if is_dimensional(args)
            else f"normalization={args.normalization}")
    say(f"[baseline] functionals + {model}, {note}...")
    res = _folds(base, data, groups, speakers, n_splits)
    _print_result(scores, "baseline", res)
    key = "baseline_ridge" if is_dimensional(args) else "baseline_svm"
    return _Run(key, "baseline", f"functionals + {model}", res, "none",
                configuration(base))


def _network_runs(args, attention, data, groups, speakers, n_splits, scores):
    from ._models import describe_training, epoch_selection

    pipe = _models.make_network(args, attention)
    note = (normalization_note(args) if is_dimensional(args)
            else f"normalization={args.normalization}")
    say(f"[{attention}] recipe={args.recipe}  {note}  {describe_training(pipe)}")
    config = configuration(pipe)
    paper = (PAPER_TABLE1[attention].get(args.subset or "full")
             if args.iemocap is not None and not is_dimensional(args) else None)
    res = _folds(_progress(args, pipe, n_splits), data, groups, speakers, n_splits)
    _print_result(scores, attention, res)
    yield _Run(attention, attention, _models.run_label(pipe, res.best_epochs), res,
               epoch_selection(pipe, "training groups"), config, paper)
    if args.paper_selection:
        from ..pipeline._reproduction import paper_selection_evaluation

        say(f"[{attention}] the paper's selection: the best epoch on the test "
            "session (optimistic)...")
        res_p = paper_selection_evaluation(
            _progress(args, pipe, n_splits), list(data.filenames), data.target,
            groups, speakers=speakers, n_splits=n_splits)
        _print_result(scores, f"{attention}, test-fold selection", res_p)
        yield _Run(f"{attention}_paper_selection", attention,
                   "ours (test-fold selection)", res_p,
                   "best epoch on the test session (the paper's, optimistic)",
                   config, paper)


def cmd_evaluate(args):
    """Run ``sklearn-ser evaluate``; returns the exit status."""
    _check_options(args)
    if args.out:
        check_output_dir(args.out, "--out")
    data, name = _data.load_data(args)
    groups, n_splits = _data.fold_groups(args, data)
    labels = _data.category_labels(data)
    if labels is not None:
        _models.check_neutral_label(args, labels, shown(name))
    speakers = _data.speakers_of(args, data) if args.normalization == "speaker" else None
    from . import _report

    scores = (_report.DimensionScores(data.target_names) if is_dimensional(args)
              else _report.CategoryScores(data.target))
    say(_data.describe_corpus(data, name, groups, n_splits))
    detail = "no results were written" if args.out else ""
    from ._features import extract_once, feature_cache

    with _interrupt.outcome(detail), feature_cache(args):
        extract_once(_models.describe(_models.make_baseline(args)).extractor,
                     list(data.filenames))
        runs = []
        with _interrupt.quiet_workers():
            if not args.no_baseline:
                runs.append(_baseline_run(args, data, groups, speakers, n_splits,
                                          scores))
            for attention in args.attention:
                runs += _network_runs(args, attention, data, groups, speakers,
                                      n_splits, scores)
        _summary(scores, runs, args.iemocap is not None and not is_dimensional(args))
        _interrupt.check(detail)
        if args.out:
            with _interrupt.deferred():
                _write(args, name, data, n_splits, runs)
            _interrupt.check("results.json and results.csv were written whole (the "
                             "signal came while they were being written)")
    return 0


def _summary(scores, runs, with_paper):
    """The table of the runs beside chance, then each network against the baseline."""
    from . import _report

    _report.print_table(scores, [(r.model, r.run, r.result, r.paper) for r in runs],
                        with_paper)
    baseline = next((r for r in runs if r.model == "baseline"), None)
    if baseline is None:
        return
    for run in runs:
        if run.model != "baseline" and not run.key.endswith("_paper_selection"):
            say(_report.compare(scores, run.result, baseline.result,
                                f"The {run.model} network",
                                f"the {baseline.run} baseline"))


def _about(args, name, data, n_splits):
    from ._output import counts

    about = {"corpus": name, "n_utterances": int(len(data.target))}
    if data.target.ndim == 2:
        labels = getattr(data, "labels", None)
        about.update({
            "target": "dimensions",
            "target_names": [str(n) for n in data.target_names],
            "targets": {str(n): {"mean": float(data.target[:, j].mean()),
                                 "std": float(data.target[:, j].std())}
                        for j, n in enumerate(data.target_names)},
            "classes": counts(labels) if labels is not None else None})
    else:
        about["classes"] = counts(data.target)
    about["n_splits"] = n_splits
    return about


def _csv_rows(runs):
    """Header and rows of results.csv: one row per run and fold."""
    first = runs[0].result.to_dict() if runs else {}
    names = first.get("target_names")
    header = ["model", "selection", "fold", "test_groups", "n_test"]
    header += [f"ccc_{n}" for n in names] if names else ["wa", "ua"]
    rows = []
    for run in runs:
        for f in run.result.to_dict()["folds"]:
            row = [run.key, run.selection, f["fold"],
                   " ".join(str(g) for g in f["test_groups"]), f["n_test"]]
            row += ([f"{f['ccc'][n]:.6f}" for n in names] if names
                    else [f"{f['wa']:.6f}", f"{f['ua']:.6f}"])
            rows.append(row)
    return header, rows


def _write(args, name, data, n_splits, runs):
    """results.json (the corpus, options, parameters, versions, results) and
    results.csv (one row per run and fold), each written whole."""
    import os

    from .._json import plain

    results = {}
    if is_dimensional(args):
        names = [str(n) for n in data.target_names]
        results["chance"] = {
            "selection": "none",
            "description": "a constant prediction (the training mean of each "
            "dimension) has no covariance with the targets: CCC 0",
            "ccc_mean": dict.fromkeys(names, 0.0), "ccc_std": dict.fromkeys(names, 0.0)}
    for run in runs:
        results[run.key] = {"selection": run.selection, "run": run.run,
                            **run.result.to_dict()}
    options = {k: plain(v) for k, v in sorted(vars(args).items()) if k != "func"}
    document = {**_about(args, name, data, n_splits),
                "subset": args.subset or ("full" if args.iemocap else None),
                "recipe": args.recipe, "normalization": args.normalization,
                "seed": args.seed, "options": options,
                "parameters": {r.key: r.config for r in runs
                               if not r.key.endswith("_paper_selection")},
                "versions": versions(), "results": results}
    header, rows = _csv_rows(runs)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    json_path = os.path.join(args.out, "results.json")
    csv_path = os.path.join(args.out, "results.csv")
    write_atomically(json_path, lambda fh: fh.write(
        to_json(document, indent=2).encode("utf-8")), "--out")
    write_atomically(csv_path, lambda fh: fh.write(text.getvalue().encode("utf-8")),
                     "--out")
    say(f"Wrote {shown(json_path)} and {shown(csv_path)}")
