"""``sklearn-ser evaluate`` and ``train``: a labelled corpus, the paper's protocol."""

import json
from pathlib import Path

from .._network import ATTENTIONS
from .._paper import PAPER_TABLE1
from ._common import (
    FoldProgress,
    add_training_options,
    check_dir,
    counts,
    describe_training,
    make_pipeline,
    say,
)


def add_parsers(sub):
    """Add the ``evaluate`` and ``train`` commands to the subparsers ``sub``."""
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
    add_training_options(ev, normalization=True)
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
    add_training_options(tr)
    tr.set_defaults(func=_cmd_train)


def _cmd_evaluate(args):
    from .. import evaluate_sessions
    from ..datasets import load_iemocap

    check_dir(args.iemocap, "IEMOCAP root")
    data = load_iemocap(args.iemocap, subset=args.subset,
                        merge_excited=args.merge_excited)
    say(f"IEMOCAP {args.subset}: {len(data.target)} utterances, classes "
           f"{counts(data.target)}")
    speakers = data.speakers if args.normalization == "speaker" else None
    rows = []
    results = {}
    for attention in args.attention:
        pipe = make_pipeline(args, attention)
        say(f"[{attention}] recipe={args.recipe}  normalization="
               f"{args.normalization}  {describe_training(pipe)}")
        pipe.set_params(classifier__callbacks=[("progress", FoldProgress())])
        say(f"[{attention}] leave-one-session-out evaluation...")
        res = evaluate_sessions(pipe, data.filenames, data.target, data.groups,
                                speakers=speakers, n_splits=5,
                                params={"classifier__groups": data.speakers})
        results[attention] = {"selection": "validation split of the training sessions",
                              **res.to_dict()}
        paper = PAPER_TABLE1[attention].get(args.subset)
        rows.append((attention, "ours (validation)", res.wa_mean, res.ua_mean, paper))
        say(res)
        if args.paper_selection:
            from .._reproduction import paper_selection_evaluation

            res_p = paper_selection_evaluation(pipe, data.filenames, data.target,
                                               data.groups, speakers=speakers)
            results[attention + "_paper_selection"] = {
                "selection": "best epoch on the test session (the paper's, optimistic)",
                **res_p.to_dict(),
            }
            rows.append((attention, "ours (test-fold selection)", res_p.wa_mean,
                         res_p.ua_mean, paper))
    say()
    say(f"{'pooling':<8}{'run':<28}{'WA %':>7}{'UA %':>7}{'paper WA':>10}{'paper UA':>10}")
    for attention, run, wa, ua, paper in rows:
        pw, pu = paper if paper else (float("nan"), float("nan"))
        say(f"{attention:<8}{run:<28}{100 * wa:>7.1f}{100 * ua:>7.1f}{pw:>10.1f}{pu:>10.1f}")
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
        say(f"Wrote {out / 'results.json'} and {out / 'results.csv'}")
    return 0


def _cmd_train(args):
    from .. import save
    from ..datasets import load_iemocap

    check_dir(args.iemocap, "IEMOCAP root")
    data = load_iemocap(args.iemocap, subset=args.subset,
                        merge_excited=args.merge_excited)
    pipe = make_pipeline(args, args.attention)
    pipe.set_params(classifier__callbacks=[("progress", FoldProgress())])
    say(f"Training on {len(data.target)} utterances...")
    pipe.fit(data.filenames, data.target, classifier__groups=data.speakers)
    pipe.set_params(classifier__callbacks=None)
    save(pipe, args.output)
    say(f"Wrote {args.output}")
    return 0
