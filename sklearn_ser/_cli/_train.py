"""``sklearn-ser train``: fit a pipeline on a corpus and save it.

The model file is never lost and never replaces what it should not: the
output path is checked before the corpus is read (a folder, a special
file, a file that is not a model file, one of the corpus's own audio
files are refused), the free space of its folder before training, and the
model is serialised in memory and written whole under a temporary name
before it replaces the file. If that write fails after training (the disk
filled up meanwhile), the model goes to a file in the temporary folder, or
the home or current folder, and the command says where (exit status 1).
"""

import json
import os
import shutil
import tempfile
import time
import zipfile

from .._paper import ATTENTIONS
from . import _data, _interrupt, _models
from ._common import (
    CLIError,
    add_training_options,
    check_output_file,
    is_dimensional,
    say,
)
from ._dimensions import describe_targets, normalization_note
from ._features import extract_once, feature_cache
from ._output import counts, shown, write_atomically

_MODELS = ("network", "baseline")
#: Model files larger than this are not opened to see whether they are one.
_MAX_METADATA = 8 << 20


def add_parsers(sub):
    """Add the ``train`` command to the subparsers ``sub``."""
    tr = sub.add_parser(
        "train", help="train a model on IEMOCAP or your corpus and save it",
        description="Fit the pipeline on all the selected utterances and save it "
        "in the library's safe model format (read by 'predict', 'timeline' and "
        "'info'). With --target dimensions the model regresses valence, "
        "arousal and dominance. With --model baseline it is the functionals "
        "baseline: the utterance statistics of the same LLDs into an SVM whose "
        "scores a sigmoid turns into probabilities (RidgeCV with --target "
        "dimensions). Progress lines give the elapsed time and an estimate of "
        "what remains. An existing file at -o is replaced only if it is a "
        "model file; Ctrl-C or SIGTERM stops training and leaves it unchanged "
        "(exit status 130 or 143).",
    )
    _data.add_data_options(tr)
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
    tr.set_defaults(func=cmd_train)


def is_model_file(path):
    """Whether ``path`` is a sklearn-ser model file (a zip with its metadata)."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("metadata.json")
            if info.file_size > _MAX_METADATA:
                return False
            meta = json.loads(zf.read(info))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, RuntimeError):
        return False
    return isinstance(meta, dict) and meta.get("format") == "sklearn-ser-model"


def _check_output(args):
    """The output path, before anything is read: a new file or a model file."""
    check_output_file(args.output, "Model file")
    real = os.path.realpath(args.output)
    if os.path.isfile(real) and os.path.getsize(real) and not is_model_file(real):
        raise CLIError(f"-o {args.output!r} exists and is not a sklearn-ser model "
                       "file; it is not replaced: remove it or choose another name "
                       "(nothing was trained)")


def _check_not_corpus(args, data):
    """Refuse an output path that is one of the corpus's files."""
    real = os.path.realpath(args.output)
    corpus = _data.audio_paths(data)
    if args.data is not None:
        corpus.add(os.path.realpath(args.data))
    if real in corpus:
        raise CLIError(f"-o {args.output!r} is a file of the corpus; writing the "
                       "model there would destroy it: choose another name "
                       "(nothing was trained)")


def _expected_size(pipe, n_samples):
    """A generous estimate of the model file's bytes, before training."""
    network = _models.describe(pipe).network
    if network is None:  # functionals (288 per utterance) kept by an SVM, at most
        return n_samples * 288 * 8 * 2 + (1 << 20)
    p = network.get_params()
    h, lstm, att = p["hidden_units"], p["lstm_units"], p["attention_units"]
    weights = (32 * h + 2 * h * h + 3 * h + 8 * lstm * (h + lstm + 2)
               + 8 * att * (2 * lstm + att + 2) + 2 * lstm * 16)
    # float32 weights, the history of every epoch and batch, the metadata
    return 4 * weights + 400 * p["max_epochs"] * (n_samples // p["batch_size"] + 2) \
        + (1 << 20)


def _check_space(args, pipe, n_samples):
    folder = os.path.dirname(os.path.realpath(args.output))
    need = _expected_size(pipe, n_samples)
    free = shutil.disk_usage(folder).free
    if free < need:
        raise CLIError(f"-o {args.output!r}: its folder has {free / 2**20:.1f} MiB "
                       f"free, and the model needs about {need / 2**20:.1f} MiB: free "
                       "some space or choose another folder (nothing was trained)")


def _pipeline(args):
    """The pipeline to train, and what its training line says before and after
    the corpus."""
    if args.model == "baseline":
        given = [f"--{option.replace('_', '-')}" for option in _models.NETWORK_OPTIONS
                 if getattr(args, option) is not None]
        if given:
            raise CLIError(f"{', '.join(given)} set(s) the network's training; "
                           "--model baseline has no use for it: leave it out")
        model = "RidgeCV" if is_dimensional(args) else "SVM with balanced class weights"
        return (_models.make_baseline(args, probabilities=True),
                f"training the functionals baseline ({model})", "")
    pipe = _models.make_network(args, args.attention)
    return pipe, "training", (f"  recipe={args.recipe}  attention={args.attention}  "
                              f"{_models.describe_training(pipe)}")


def _what(args, data):
    if is_dimensional(args):
        names = [str(n) for n in data.target_names]
        return (f"{len(data.target)} utterances ({describe_targets(data.target, names)})",
                normalization_note(args))
    return (f"{len(data.target)} utterances ({counts(data.target)})",
            f"normalization={args.normalization}")


def cmd_train(args):
    """Run ``sklearn-ser train``; returns the exit status."""
    _check_output(args)
    _models.check_neutral_option(args)
    pipe, training, budget = _pipeline(args)
    data, name = _data.load_data(args)
    _check_not_corpus(args, data)
    labels = _data.category_labels(data)
    if labels is not None:
        _models.check_neutral_label(args, labels, shown(name))
    speakers = _data.speakers_of(args, data)
    _check_space(args, pipe, len(data.target))
    what, normalization = _what(args, data)
    say(f"{shown(name)}: {training} on {what}; {normalization}{budget}")
    kind = _models.describe(pipe)
    fit_params = {}
    if kind.network is not None:
        from ._progress import Progress, RunClock

        notice = args.recipe == "paper" and _models.resolved_device(pipe) == "cpu"
        _models.set_callbacks(pipe, [("progress", Progress(
            RunClock(paper_notice=notice)))])
        fit_params = {f"{kind.final_name}__groups":
                      speakers if speakers is not None else getattr(data, "groups",
                                                                    None)}
    X = _data.model_inputs(kind, data, speakers)
    unchanged = (f"; {shown(args.output)} is unchanged"
                 if os.path.exists(args.output) else "")
    with _interrupt.outcome(f"no model was written{unchanged}"), \
            feature_cache(args) as cache:
        kind.extractor.set_params(memory=cache)
        extract_once(kind.extractor, list(data.filenames))
        t0 = time.perf_counter()
        with _interrupt.quiet_workers():
            pipe.fit(X, data.target, **fit_params)
        _interrupt.check()
        if kind.network is not None:  # its own line said how long it took
            _models.set_callbacks(pipe, None)
        else:
            say(f"  trained in {time.perf_counter() - t0:.0f} s")
        return _save(pipe, args.output)


def _save(pipe, path):
    """Serialise in memory, then write whole; elsewhere if that fails."""
    import io

    from ..persistence._save import save

    buffer = io.BytesIO()
    save(pipe, buffer)
    blob = buffer.getvalue()
    with _interrupt.deferred():
        try:
            write_atomically(path, lambda fh: fh.write(blob), "Model file")
        except CLIError as exc:
            kept = _keep_elsewhere(blob, path)
            if kept is None:
                raise CLIError(f"{exc}; no other folder could take the model "
                               "either, it is lost") from None
            raise CLIError(f"{exc}; the trained model was saved to {kept!r} "
                           "instead: move it where you want it") from None
    _interrupt.check(f"{shown(path)} was written whole (the signal came while it "
                     "was being written)")
    say(f"Wrote {shown(path)}")
    return 0


def _keep_elsewhere(blob, path):
    """Write the model into the first folder that takes it; its path or None."""
    stem = os.path.splitext(os.path.basename(path))[0] or "model"
    for folder in (tempfile.gettempdir(), os.path.expanduser("~"), os.getcwd()):
        try:
            fd, kept = tempfile.mkstemp(dir=folder, prefix=f"{stem}-", suffix=".skser")
        except OSError:
            continue
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError:
            try:
                os.unlink(kept)
            except OSError:
                pass
            continue
        return kept
    return None
