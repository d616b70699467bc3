"""``sklearn-ser predict``: labels and probabilities, or dimensions, of audio files."""

import csv
import os
import sys

from ._common import CLIError, check_model_file, device_name, say
from ._output import shown, to_json

_FORMATS = ("text", "csv", "json")


def add_parsers(sub):
    """Add the ``predict`` command to the subparsers ``sub``."""
    pr = sub.add_parser(
        "predict", help="predict the emotion of audio files with a saved model",
        description="Print the predicted label and the class probabilities of each "
        "audio file, one line (text, csv) or one record (json) per file; with a "
        "regression model (trained with --target dimensions) the predicted value "
        "of each dimension (valence, arousal, dominance for three targets, else "
        "target 0, target 1, ...) instead. A file "
        "that cannot be read is reported on stderr with its name and the reason, "
        "and the others are still predicted; the exit status is 1 if any file "
        "failed, else 0. Warnings on stderr flag files longer than the model's "
        "window (only its first n_frames frames are classified), files in which "
        "the speech detector (the one of 'timeline') finds no speech, clipped "
        "recordings, and audio sampled below the model's rate (narrowband, e.g. "
        "8 kHz telephone audio). A file for which the model gives a non-finite "
        "value (NaN, inf) is an error, never a label.",
    )
    pr.add_argument("model", metavar="MODEL", help="model file written by 'train'")
    pr.add_argument("files", metavar="FILE", nargs="+", help="audio files")
    pr.add_argument("--format", choices=_FORMATS, default="text",
                    help="text: file, label and probabilities (or the "
                    "dimensions) separated by tabs; csv: a header and one row per "
                    "file, with a warning column; json: a list of records "
                    "(default: %(default)s)")
    pr.add_argument("--speaker", default=None, metavar="NAME",
                    help="speaker-normalised models: all FILEs are of this speaker "
                    "and are normalised together (without it, each file is "
                    "normalised with its own frames)")
    pr.add_argument("--device", type=device_name, default=None,
                    help="torch device of the network (default: the model's)")
    pr.set_defaults(func=_cmd_predict)


def _reason(exc, path=None):
    """The cause in an extractor's error, without its summary line.

    With ``path``, the ``X[0] ('path'): `` prefix of the extractor's message
    is dropped too: the command names the file itself.
    """
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if len(lines) > 1 and "could not be used" in lines[0]:
        lines = lines[1:]
    if path is not None:
        prefix = f"X[0] ({str(path)!r}): "
        lines = [line.removeprefix(prefix) for line in lines]
    return " ".join(lines) if lines else repr(exc)


def _window_warning(kind, n):
    if kind.n_frames is None or n <= kind.n_frames:
        return None
    kept = {"end": "first", "start": "last", "center": "middle"}[kind.padcrop.crop]
    return (f"{n * kind.frame_step:.1f} s of audio, the model classifies only the "
            f"{kept} {kind.window:.1f} s (n_frames={kind.n_frames}); cut long "
            "recordings into utterances")


def _extract(kind, files, failed):
    """LLDs and warnings of the files that can be read; the others in ``failed``.

    The warnings of a file: what the extractor notes of its audio (clipped,
    narrowband), a file longer than the model's window, and the speech
    detector's reason when it finds no speech.
    """
    from ..features._speech import detector_frames, speech_problem

    extractor, rate = kind.extractor, kind.sampling_rate
    good = []
    for f in files:
        if os.path.isdir(f):
            failed.append((f, "is a directory; pass the audio files inside it "
                              "(e.g. DIR/*.wav)"))
            continue
        if not os.path.isfile(f):
            failed.append((f, "does not exist"))
            continue
        try:
            [frames], [(_, notes, _)] = extractor._extract([f])
        except (ValueError, TypeError, OSError, RuntimeError) as exc:
            failed.append((f, _reason(exc, f)))
            continue
        warnings = [*notes.messages(rate).values(),
                    *(w for w in (_window_warning(kind, len(frames)),
                                  speech_problem(detector_frames(extractor, f, frames),
                                                 None, rate)) if w)]
        good.append((f, frames, warnings))
    return good


#: Why a file whose output is not finite fails.
NON_FINITE = ("the model gave non-finite {what} (NaN or inf) for this file; the model "
              "file may be damaged (e.g. weights too large)")


def _finite(values):
    """Whether every value is a finite number."""
    import numpy as np

    return bool(np.all(np.isfinite(np.asarray(values, dtype=np.float64))))


def _classify(kind, good, speaker, failed):
    """Probabilities (a regression model: the values) of the extracted files.

    One 1-D array per file; None for a file that failed (a non-finite
    output fails its file).
    """
    import numpy as np
    import pandas as pd

    rest = kind.pipeline[1:]
    if kind.task == "regression":
        def method(X):
            y = np.asarray(rest.predict(X), dtype=np.float64)
            return y.reshape(len(y), -1)
    else:
        method = rest.predict_proba
    speaker_model = kind.needs_speakers

    def frame(items, speakers):
        X = [frames for _, frames, _ in items]
        if not speaker_model:
            return X
        out = pd.DataFrame({kind.speaker_column: speakers})
        out.insert(0, "lld", pd.Series(X, dtype=object))
        return out

    what = "values" if kind.task == "regression" else "probabilities"
    if speaker is not None and good:
        try:
            outputs = list(method(frame(good, [speaker] * len(good))))
        except (ValueError, TypeError, RuntimeError) as exc:
            raise CLIError(f"the files of speaker {speaker!r} could not be "
                           f"classified together: {_reason(exc)}") from None
    else:
        outputs = []
        for item in good:
            try:
                outputs.append(method(frame([item], [item[0]]))[0])
            except (ValueError, TypeError, RuntimeError) as exc:
                failed.append((item[0], _reason(exc)))
                outputs.append(None)
    checked = []
    for item, p in zip(good, outputs, strict=True):
        if p is not None and not _finite(p):
            failed.append((item[0], NON_FINITE.format(what=what)))
            p = None
        checked.append(None if p is None else np.asarray(p, dtype=np.float64))
    return checked


def _cmd_predict(args):
    import numpy as np

    from .. import load
    from ._models import audio_model

    check_model_file(args.model)
    pipe = load(args.model, device=args.device)
    kind = audio_model(pipe, args.model, "predict")
    if args.speaker is not None and not kind.needs_speakers:
        raise CLIError("--speaker applies to speaker-normalised models "
                       "(trained with --normalization speaker); this one is not")
    if args.speaker is None and kind.needs_speakers:
        say("note: the model is speaker-normalised; each file is normalised with "
            "its own frames (give --speaker NAME to normalise the files of one "
            "speaker together)", file=sys.stderr)
    failed = []
    good = _extract(kind, args.files, failed)
    probas = _classify(kind, good, args.speaker, failed)
    regression = kind.task == "regression"
    if regression:
        from ._dimensions import target_names

        n = next((len(p) for p in probas if p is not None), 0)
        classes = target_names(n)
    else:
        classes = [str(c) for c in pipe.classes_]
    records = []
    for (f, _, warnings), p in zip(good, probas, strict=True):
        if p is None:
            continue
        if regression:
            records.append({
                "file": f,
                "values": {c: round(float(v), 6) for c, v in zip(classes, p,
                                                                 strict=True)},
                "warnings": warnings,
            })
        else:
            records.append({
                "file": f,
                "label": classes[int(np.argmax(p))],
                "probabilities": {c: round(float(v), 6)
                                  for c, v in zip(classes, p, strict=True)},
                "warnings": warnings,
            })
        for w in warnings:
            say(f"warning: {shown(f)}: {w}", file=sys.stderr)
    if regression:
        _print_values(records, classes, args.format)
    else:
        _print(records, classes, args.format)
    for f, reason in failed:
        say(f"sklearn-ser predict: error: {shown(f)}: {reason}", file=sys.stderr)
    if failed:
        say(f"sklearn-ser predict: {len(failed)} of {len(args.files)} files failed, "
            f"{len(records)} predicted", file=sys.stderr)
        return 1
    return 0


def _print(records, classes, fmt):
    if fmt == "json":
        say(to_json(records, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["file", "label", *classes, "warning"])
        for r in records:
            writer.writerow([r["file"], r["label"],
                             *(r["probabilities"][c] for c in classes),
                             "; ".join(r["warnings"])])
        sys.stdout.flush()
    else:
        for r in records:
            probs = "  ".join(f"{shown(c)}={v:.3f}"
                              for c, v in r["probabilities"].items())
            say(f"{shown(r['file'])}\t{shown(r['label'])}\t{probs}")


def _print_values(records, names, fmt):
    """The records of a regression model: one value per target and file."""
    if fmt == "json":
        say(to_json(records, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["file", *names, "warning"])
        for r in records:
            writer.writerow([r["file"], *(r["values"][n] for n in names),
                             "; ".join(r["warnings"])])
        sys.stdout.flush()
    else:
        for r in records:
            say(f"{shown(r['file'])}\t" + "  ".join(f"{shown(n)}={v:.2f}"
                                                    for n, v in r["values"].items()))
