"""``sklearn-ser timeline``: the emotion of a long recording, segment by segment."""

import argparse
import csv
import os
import sys

from ._common import CLIError, check_image_file, check_model_file, device_name, say
from ._output import shown, to_json, write_atomically

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
        "without speech gives no segment (a note on stderr, exit status 0). "
        "Probabilities that are not finite (a damaged model) are an error. In a "
        "pipe whose reader stops early (| head) the command ends quietly with "
        "exit status 141, as Unix tools do.",
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
                    "file; its extension names the format (.png, .pdf, .svg, ...)")
    tl.add_argument("--device", type=device_name, default=None,
                    help="torch device of the network (default: the model's)")
    tl.set_defaults(func=_cmd_timeline)


def _cmd_timeline(args):
    import numpy as np

    from .. import load, predict_timeline
    from ._features import audio_warnings_reported
    from ._models import audio_model

    check_model_file(args.model)
    if os.path.isdir(args.file):
        raise CLIError(f"{args.file!r} is a directory; give one audio file")
    if not os.path.isfile(args.file):
        raise CLIError(f"audio file {args.file!r} does not exist")
    if args.plot is not None:
        check_image_file(args.plot, "--plot")
    pipe = load(args.model, device=args.device)
    if audio_model(pipe, args.model, "timeline").task == "regression":
        raise CLIError(f"model {args.model!r} is a regression model (emotion "
                       "dimensions, trained with --target dimensions); timeline "
                       "needs a classifier, whose class probabilities it draws: "
                       "give a category model, or use 'sklearn-ser predict' on "
                       "the utterances")
    with audio_warnings_reported():
        table = predict_timeline(pipe, args.file, window=args.window, hop=args.hop,
                                 segmentation=args.segmentation)
    classes = [str(c) for c in table.columns[3:]]
    probabilities = table[table.columns[3:]].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(probabilities)):
        bad = int(np.flatnonzero(~np.isfinite(probabilities).all(axis=1))[0])
        raise CLIError(f"{shown(args.file)}: the model gave non-finite probabilities "
                       f"(NaN or inf) for the segment at {table['start'].iloc[bad]:.2f} "
                       f"s; model {args.model!r} may be damaged (e.g. weights too "
                       "large); nothing is printed")
    if table.empty:
        say(f"note: {shown(args.file)}: no segment"
            + (" (no speech found)" if args.segmentation == "vad" else ""),
            file=sys.stderr)
    _print(table, classes, args.format)
    if args.plot is not None:
        _plot(table, args.file, args.plot)
        say(f"plot written to {shown(args.plot)}", file=sys.stderr)
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
        say(to_json(records, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["start", "end", "label", *classes])
        for r in records:
            writer.writerow([f"{r['start']:.3f}", f"{r['end']:.3f}", r["label"],
                             *(r["probabilities"][c] for c in classes)])
        sys.stdout.flush()
    else:
        width = max([5, *(len(shown(r["label"])) for r in records)])
        cols = [max(6, len(shown(c))) for c in classes]
        say(f"{'start':>8}  {'end':>8}  {'label':<{width}}  "
            + "  ".join(f"{shown(c):>{w}}" for c, w in zip(classes, cols,
                                                           strict=True)))
        for r in records:
            say(f"{r['start']:8.2f}  {r['end']:8.2f}  {shown(r['label']):<{width}}  "
                + "  ".join(f"{r['probabilities'][c]:>{w}.3f}"
                            for c, w in zip(classes, cols, strict=True)))


def _plot(table, audio, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..timeline._display import TimelineDisplay

    display = TimelineDisplay.from_predictions(table, waveform=audio)
    display.ax_.set_title(f"{shown(os.path.basename(audio))}: "
                          f"{display.ax_.get_title()}")
    fmt = os.path.splitext(out)[1].lstrip(".").lower()
    try:
        write_atomically(out, lambda fh: display.figure_.savefig(fh, format=fmt),
                         "--plot")
    except ValueError as exc:
        raise CLIError(f"--plot {out!r}: the image could not be written ({exc})") \
            from None
    finally:
        plt.close(display.figure_)
