"""``sklearn-ser predict``: labels and probabilities of audio files."""

import json
import os

import numpy as np

from ._common import CLIError, say


def add_parsers(sub):
    """Add the ``predict`` command to the subparsers ``sub``."""
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


def _cmd_predict(args):
    from .. import load

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
        say(json.dumps(records, indent=2))
    else:
        for r in records:
            probs = "  ".join(f"{c}={v:.3f}" for c, v in r["probabilities"].items())
            say(f"{r['file']}\t{r['label']}\t{probs}")
    return 0
