"""``sklearn-ser timeline``: the emotion of a long recording, segment by segment."""

import argparse
import csv
import json
import os
import sys

from ._common import CLIError, audio_model, check_model_file, device_name, say

_FORMATS = ("table", "csv", "json")


def _seconds(text):
    """An argparse type: a finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds, got "
                                         f"{text!r}")
    return value


def add_parsers(sub):
    """Add the ``timeline`` command to the subparsers ``sub``."""
    tl = sub.add_parser(
        "timeline", help="the emotion of a long recording, segment by segment",
        description="Print the emotion timeline of one recording: one row per "
        "segment with its start and end in seconds, the predicted label and the "
        "probability of every class. The frames of the whole recording are "
        "computed once and cut into windows; with --segmentation vad (the "
        "default) only the speech regions are classified, so a recording "
        "without speech gives no segment (a note on stderr, exit status 0).",
    )
    tl.add_argument("model", metavar="MODEL", help="model file written by 'train'")
    tl.add_argument("file", metavar="FILE", help="audio file")
    tl.add_argument("--window", type=_seconds, default=None, metavar="S",
                    help="window length in seconds (default: the length the model "
                    "was trained on, its n_frames frames of 10 ms)")
    tl.add_argument("--hop", type=_seconds, default=None, metavar="S",
                    help="seconds between the starts of two windows, at most the "
                    "window (default: half the window)")
    tl.add_argument("--segmentation", choices=("vad", "fixed"), default="vad",
                    help="vad: windows over the speech regions only; fixed: "
                    "windows over the whole recording (default: %(default)s)")
    tl.add_argument("--format", choices=_FORMATS, default="table",
                    help="table: aligned columns; csv: a header and one row per "
                    "segment; json: a list of records (default: %(default)s)")
    tl.add_argument("--plot", default=None, metavar="OUT.png",
                    help="also draw the timeline over the waveform into this image "
                    "file (any format matplotlib writes)")
    tl.add_argument("--device", type=device_name, default=None,
                    help="torch device of the network (default: the model's)")
    tl.set_defaults(func=_cmd_timeline)


def _cmd_timeline(args):
    from .. import load, predict_timeline

    check_model_file(args.model)
    if os.path.isdir(args.file):
        raise CLIError(f"{args.file!r} is a directory; give one audio file")
    if not os.path.isfile(args.file):
        raise CLIError(f"audio file {args.file!r} does not exist")
    if args.plot is not None:
        folder = os.path.dirname(os.path.abspath(args.plot))
        if not os.path.isdir(folder):
            raise CLIError(f"--plot {args.plot!r}: the folder {folder!r} does not "
                           "exist")
    pipe = load(args.model, device=args.device)
    if audio_model(pipe, args.model, "timeline").task == "regression":
        raise CLIError(f"model {args.model!r} is a regression model (emotion "
                       "dimensions, trained with --target dimensions); timeline "
                       "needs a classifier, whose class probabilities it draws: "
                       "give a category model, or use 'sklearn-ser predict' on "
                       "the utterances")
    table = predict_timeline(pipe, args.file, window=args.window, hop=args.hop,
                             segmentation=args.segmentation)
    classes = [str(c) for c in table.columns[3:]]
    if table.empty:
        say(f"note: {args.file}: no segment"
            + (" (no speech found)" if args.segmentation == "vad" else ""),
            file=sys.stderr)
    _print(table, classes, args.format)
    if args.plot is not None:
        _plot(table, args.file, args.plot)
        say(f"plot written to {args.plot}", file=sys.stderr)
    return 0


def _records(table, classes):
    return [
        {"start": round(float(s), 3), "end": round(float(e), 3), "label": str(label),
         "probabilities": {c: round(float(p), 6) for c, p in zip(classes, probs,
                                                                 strict=True)}}
        for s, e, label, *probs in table.itertuples(index=False, name=None)
    ]


def _print(table, classes, fmt):
    records = _records(table, classes)
    if fmt == "json":
        say(json.dumps(records, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["start", "end", "label", *classes])
        for r in records:
            writer.writerow([f"{r['start']:.3f}", f"{r['end']:.3f}", r["label"],
                             *(r["probabilities"][c] for c in classes)])
        sys.stdout.flush()
    else:
        width = max([5, *(len(r["label"]) for r in records)])
        cols = [max(6, len(c)) for c in classes]
        say(f"{'start':>8}  {'end':>8}  {'label':<{width}}  "
            + "  ".join(f"{c:>{w}}" for c, w in zip(classes, cols, strict=True)))
        for r in records:
            say(f"{r['start']:8.2f}  {r['end']:8.2f}  {r['label']:<{width}}  "
                + "  ".join(f"{r['probabilities'][c]:>{w}.3f}"
                            for c, w in zip(classes, cols, strict=True)))


def _plot(table, audio, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..timeline._display import TimelineDisplay

    display = TimelineDisplay.from_predictions(table, waveform=audio)
    display.ax_.set_title(f"{os.path.basename(audio)}: {display.ax_.get_title()}")
    try:
        display.figure_.savefig(out)
    except (ValueError, OSError) as exc:
        raise CLIError(f"--plot {out!r}: the image could not be written ({exc})") \
            from None
    finally:
        plt.close(display.figure_)
