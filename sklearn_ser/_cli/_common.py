"""Options, messages and pipelines shared by the commands."""

import argparse
import contextlib
import os
import signal
import stat
import tempfile
import time

import numpy as np
from skorch.callbacks import Callback

from ..network._training import check_device
from ..pipeline._factories import NORMALIZATIONS, RECIPES


class CLIError(Exception):
    """A mistake of the user, reported as one line without a traceback."""


def say(*args, **kwargs):
    print(*args, **kwargs, flush=True)


def counts(labels):
    values, n = np.unique(np.asarray(labels), return_counts=True)
    return ", ".join(f"{v} {c}" for v, c in zip(values.tolist(), n.tolist(),
                                                strict=True))


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def plural(n, word):
    """``"1 epoch"``, ``"2 epochs"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def device_name(text):
    """An argparse type: a torch device this machine can use."""
    try:
        return check_device(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_training_options(parser, *, normalization=False):
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
    group.add_argument("--epochs", type=positive_int, default=None,
                       help="training epochs per fit (default: the recipe's)")
    group.add_argument("--lr", type=float, default=None,
                       help="Adam learning rate (default: the recipe's)")
    group.add_argument("--l2", type=float, default=None,
                       help="L2 factor, TensorFlow style (default: the recipe's)")
    group.add_argument("--n-frames", type=positive_int, default=None,
                       help="frames per utterance after pad/crop (default: the "
                       "recipe's)")
    group.add_argument("--batch-size", type=positive_int, default=None,
                       help="mini-batch size (default: the recipe's)")
    group.add_argument("--hidden-units", type=positive_int, default=None,
                       help="units of the dense layer before the BiLSTM "
                       "(default: the recipe's)")
    group.add_argument("--lstm-units", type=positive_int, default=None,
                       help="units of each direction of the BiLSTM (default: the "
                       "recipe's)")
    group.add_argument("--attention-units", type=positive_int, default=None,
                       help="units of the attention (default: the recipe's)")
    group.add_argument("--device", type=device_name, default="auto",
                       help="torch device: auto (CUDA when torch sees one, else "
                       "the CPU), cpu, cuda, cuda:N or mps; checked before any "
                       "work starts (default: %(default)s)")
    group.add_argument("--seed", type=int, default=0,
                       help="random seed (default: %(default)s)")
    group.add_argument("--cache", default=None,
                       help="feature cache directory (default: none)")
    group.add_argument("--n-jobs", type=int, default=None,
                       help="parallel jobs of the feature extraction")


#: The validation score of each network in its history: key, name, scale.
_VALIDATION_SCORES = (
    ("valid_wa_ua", "WA+UA", "scale 0-2: WA + UA of the validation split"),
    ("valid_ccc", "CCC", "scale -1 to 1: the mean over the targets of the CCC of "
     "the validation split"),
)


def training_summary(net, seconds):
    """One line on a finished fit: epochs, the kept epoch (``best_epoch_``) and its score."""
    history = net.history
    n = len(history)
    kept = getattr(net, "best_epoch_", None)
    row = history[kept - 1] if kept and 1 <= kept <= n else {}
    score = next((s for s in _VALIDATION_SCORES if s[0] in row), None)
    if score is not None:
        key, label, scale = score
        kept = (f"; kept epoch {kept} of {n}, validation {label} {row[key]:.3f} "
                f"({scale})")
    elif n and any(s[0] in history[-1] for s in _VALIDATION_SCORES):
        kept = f"; kept epoch {kept} of {n}"
    else:
        kept = "; no validation split, the last epoch is kept"
    loss = (f", last training loss {history[-1, 'train_loss']:.3f}"
            if n and "train_loss" in history[-1] else "")
    return f"  fit done: {plural(n, 'epoch')}{loss}{kept}, {seconds:.0f} s"


class FoldProgress(Callback):
    """Print one line per fit: epochs run, the kept epoch and its score, time."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._t0 = time.perf_counter()

    def on_train_end(self, net, X=None, y=None, **kwargs):
        say(training_summary(net, time.perf_counter() - self._t0))


def collapsed_folds(result, advice="train longer (--epochs), use --recipe fast, "
                    "or check the labels"):
    """Warnings for the folds whose predictions are all one class."""
    warnings = []
    for k in range(result.n_splits):
        pred = np.unique(result.y_pred[result.fold == k])
        if len(pred) == 1:
            groups = ", ".join(str(g) for g in result.test_groups[k])
            warnings.append(
                f"warning: fold {k} (test {groups}) predicts only {str(pred[0])!r}: the "
                f"model collapsed to one class (UA = chance); {advice}")
    return warnings


def check_dir(path, what):
    if not os.path.isdir(path):
        raise CLIError(f"{what} {path!r} is not a directory")


_OVERRIDES = {"epochs": "max_epochs", "lr": "lr", "l2": "l2",
              "batch_size": "batch_size", "hidden_units": "hidden_units",
              "lstm_units": "lstm_units", "attention_units": "attention_units"}


def classifier_params(args):
    params = {name: getattr(args, option) for option, name in _OVERRIDES.items()
              if getattr(args, option) is not None}
    return dict(params, device=args.device, random_state=args.seed)


#: The values of ``--target`` and the ``task`` of the pipelines they build.
TARGETS = {"category": "classification", "dimensions": "regression"}


def add_target_option(parser):
    parser.add_argument("--target", choices=tuple(TARGETS), default="category",
                        help="category: classify the emotion labels (WA, UA); "
                        "dimensions: regress valence, arousal and dominance (CCC "
                        "of each) (default: %(default)s)")


def is_dimensional(args):
    return getattr(args, "target", "category") == "dimensions"


def make_pipeline(args, attention):
    from .. import make_ser_pipeline

    return make_ser_pipeline(
        attention, n_frames=args.n_frames, recipe=args.recipe,
        normalization=getattr(args, "normalization", "neutral"),
        task=TARGETS[getattr(args, "target", "category")], memory=args.cache,
        n_jobs=args.n_jobs, **classifier_params(args),
    )


def network_step(pipe):
    """Name of the last step of a pipeline: ``classifier`` or ``regressor``."""
    return pipe.steps[-1][0]


def describe_training(pipe):
    """One line with the training budget of a pipeline's network."""
    params = pipe.get_params()
    step = network_step(pipe)
    return (f"n_frames={params['padcrop__n_frames']}  "
            + "  ".join(f"{name}={params[f'{step}__{name}']}"
                        for name in ("hidden_units", "lstm_units", "attention_units",
                                     "lr", "l2", "batch_size", "max_epochs")))


def check_model_file(path):
    """Refuse a model path that is a folder or does not exist, before loading."""
    if os.path.isdir(path):
        raise CLIError(f"model {path!r} is a directory; give the model file "
                       "written by 'train'")
    if not os.path.isfile(path):
        raise CLIError(f"model file {path!r} does not exist")


def epoch_selection(pipe, groups="training speakers"):
    """How a pipeline's network chooses its epoch, in words."""
    fraction = pipe.get_params().get(f"{network_step(pipe)}__validation_fraction")
    if not fraction:
        return f"trained on all the {groups}, the last epoch is kept"
    return (f"best epoch chosen on a validation split ({fraction:.0%}) of the "
            f"{groups}")


def _probe_folder(folder, what):
    """Refuse a folder that is missing or cannot take a new file."""
    if not os.path.isdir(folder):
        raise CLIError(f"{what}: the folder {folder!r} does not exist; create it "
                       "first (nothing was trained).")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".sklearn_ser_probe_")
    except OSError as exc:
        raise CLIError(f"{what}: cannot write in the folder {folder!r} "
                       f"({exc.strerror or exc}); nothing was trained.") from None
    os.close(fd)
    os.unlink(probe)


def check_output_file(path, what):
    """Check, before any work, that a file can be written at ``path``.

    A symbolic link is followed (the file it points to is written); a
    directory, a FIFO, a device or a socket at ``path`` is refused.
    """
    real = os.path.realpath(path)
    if os.path.exists(real) and not stat.S_ISREG(os.stat(real).st_mode):
        kind = "a directory" if os.path.isdir(real) else "not a regular file"
        raise CLIError(f"{what} {path!r} is {kind}; expected the path of a file "
                       "(nothing was trained).")
    _probe_folder(os.path.dirname(real) or ".", f"{what} {path!r}")


def check_output_dir(path, what):
    """Create the output folder ``path`` now and check it can be written."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise CLIError(f"{what} {path!r} exists and is not a directory "
                       "(nothing was trained).")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"{what} {path!r} cannot be created ({exc.strerror or exc}); "
                       "nothing was trained.") from None
    _probe_folder(path, f"{what} {path!r}")
    for name in ("results.json", "results.csv"):
        target = os.path.join(path, name)
        if os.path.exists(target) and not os.path.isfile(target):
            raise CLIError(f"{what}: {target!r} is not a regular file "
                           "(nothing was trained).")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a step that would otherwise swallow it (skorch's fit)."""


@contextlib.contextmanager
def noting_ctrl_c():
    """Remember a Ctrl-C inside, and raise :class:`Interrupted` after it.

    skorch ends ``fit`` early on Ctrl-C and returns normally, keeping the best
    weights so far; the command line must not go on as if training had
    finished (and, e.g., replace a model file with a half-trained one).
    """
    pressed = []

    def handler(signum, frame):
        pressed.append(signum)
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: signals cannot be caught here
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if pressed:
        raise Interrupted


def audio_model(model, path, command):
    """The description of a loaded model that takes audio; else a ``CLIError``.

    ``save`` writes single estimators and pipelines of any steps; the
    commands that read audio need a pipeline that starts with the
    extractor and ends in a classifier with probabilities or a regressor.
    """
    from ..pipeline._describe import describe_pipeline

    kind = describe_pipeline(model)
    if kind.pipeline is None:
        raise CLIError(f"model {path!r} holds a single {type(model).__name__}, not a "
                       f"pipeline that takes audio; {command} needs a model written "
                       "by 'sklearn-ser train' (or save(make_ser_pipeline().fit(...)))")
    if not kind.takes_audio:
        raise CLIError(f"model {path!r} does not start with an LLDExtractor; "
                       f"{command} needs a pipeline that takes audio")
    if not hasattr(kind.final, "predict"):
        raise CLIError(f"model {path!r} ends with {type(kind.final).__name__}, which "
                       f"does not predict; {command} needs a pipeline that ends in "
                       "a classifier or a regressor")
    if kind.task == "classification" and not kind.has_proba:
        raise CLIError(f"model {path!r} ends with {type(kind.final).__name__}, which "
                       f"gives no class probabilities; {command} prints them: train "
                       "a classifier with predict_proba (e.g. sklearn-ser train "
                       "--model baseline)")
    return kind
