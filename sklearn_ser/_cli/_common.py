"""Options, messages and checks shared by the commands.

This module is imported to build the parser, so it imports no heavy
library (numpy, scikit-learn, torch...): ``sklearn-ser --help`` and
argument errors answer at once. The choices of the options are written
here and checked against the library's by the tests.
"""

import argparse
import os
import re
import stat
import tempfile

from .._paper import ATTENTIONS

#: ``--recipe``: the keys of ``pipeline._factories.RECIPES``.
RECIPES = ("paper", "fast")
#: ``--normalization``: ``pipeline._factories.NORMALIZATIONS``.
NORMALIZATIONS = ("neutral", "speaker")
#: The values of ``--target`` and the ``task`` of the pipelines they build.
TARGETS = {"category": "classification", "dimensions": "regression"}
#: ``--neutral-label`` when not given: the default of NeutralStandardScaler.
DEFAULT_NEUTRAL = "neu"

__all__ = ["ATTENTIONS", "CLIError", "add_target_option", "add_training_options",
           "say"]


class CLIError(Exception):
    """A mistake of the user, reported as one line without a traceback."""


def say(*args, **kwargs):
    print(*args, **kwargs, flush=True)


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


def duration(seconds):
    """``"42 s"``, ``"3 min 05 s"``, ``"2 h 10 min"``, ``"3 d 4 h"``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, m = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {m:02d} min"
    days, h = divmod(hours, 24)
    return f"{days} d {h} h"


_DEVICE = re.compile(r"(cpu|cuda|mps)(:[0-9]+)?")


def device_name(text):
    """An argparse type: a torch device this machine can use.

    ``auto`` and ``cpu`` need no torch; a GPU is checked with torch (which
    the command needs anyway), before any work starts.
    """
    if text in ("auto", "cpu"):
        return text
    if not _DEVICE.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"device={text!r} is not a torch device; expected 'auto', 'cpu', "
            "'cuda', 'cuda:N' or 'mps'.")
    from .._device import check_device

    try:
        return check_device(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_training_options(parser, *, normalization=False):
    group = parser.add_argument_group(
        "training", "The recipe sets the training budget; the options below "
        "override single values of it.")
    group.add_argument("--recipe", choices=RECIPES, default="paper",
                       help="'paper': the paper's values (lr 3e-5, L2 5e-2, 200 "
                       "epochs, 500 frames, full-size network; hours per fold on a "
                       "CPU, the time is estimated during the first epoch); "
                       "'fast': the library's short CPU budget of the same "
                       "architecture, minutes (default: %(default)s)")
    if normalization:
        group.add_argument("--normalization", choices=NORMALIZATIONS,
                           default="neutral",
                           help="'neutral': the paper's standardisation with the "
                           "neutral training utterances (see --neutral-label); "
                           "'speaker': every speaker standardised with its own "
                           "frames, test speakers included, without labels "
                           "(default: %(default)s)")
        group.add_argument("--neutral-label", default=None, metavar="LABEL",
                           help="--normalization neutral: the label of the neutral "
                           "class, whose training utterances give the statistics "
                           f"(default: {DEFAULT_NEUTRAL}, IEMOCAP's)")
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
                       help="feature cache directory (default: a temporary one, "
                       "removed at the end)")
    group.add_argument("--n-jobs", type=int, default=None,
                       help="parallel jobs of the feature extraction")


def add_target_option(parser):
    parser.add_argument("--target", choices=tuple(TARGETS), default="category",
                        help="category: classify the emotion labels (WA, UA); "
                        "dimensions: regress valence, arousal and dominance (CCC "
                        "of each) (default: %(default)s)")


def is_dimensional(args):
    return getattr(args, "target", "category") == "dimensions"


def check_dir(path, what):
    if not os.path.isdir(path):
        raise CLIError(f"{what} {path!r} is not a directory")


def check_model_file(path):
    """Refuse a model path that is a folder or does not exist, before loading.

    Anything else that is not a regular file (a FIFO, a device) exists and
    is refused by :func:`~sklearn_ser.load`, which names what it is.
    """
    if os.path.isdir(path):
        raise CLIError(f"model {path!r} is a directory; give the model file "
                       "written by 'train'")
    if not os.path.lexists(path):
        raise CLIError(f"model file {path!r} does not exist")
    if not os.path.exists(path):
        raise CLIError(f"model file {path!r} is a symbolic link to a file that does "
                       "not exist")


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


#: The image formats ``--plot`` writes (those of matplotlib's Agg canvas).
IMAGE_FORMATS = ("png", "pdf", "svg", "svgz", "jpg", "jpeg", "tif", "tiff", "webp",
                 "eps", "ps", "pgf", "raw", "rgba")


def check_image_file(path, what):
    """Check, before any work, the path of an image: a file name with a format.

    matplotlib appends ``.png`` to a name without a known extension (and
    writes ``DIR.png`` for a folder ``DIR``); a device such as
    ``/dev/full`` would swallow the image. The path must end in an image
    format, not be a folder or a special file, and its folder must take a
    new file.
    """
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if os.path.isdir(path):
        raise CLIError(f"{what} {path!r} is a directory; give the image file to "
                       "write, e.g. timeline.png")
    if ext not in IMAGE_FORMATS:
        raise CLIError(f"{what} {path!r} has no image format; give a file name "
                       f"ending in one of {', '.join('.' + f for f in IMAGE_FORMATS)}")
    real = os.path.realpath(path)
    if os.path.exists(real) and not stat.S_ISREG(os.stat(real).st_mode):
        raise CLIError(f"{what} {path!r} is not a regular file; expected the path "
                       "of an image file")
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        raise CLIError(f"{what} {path!r}: the folder {folder!r} does not exist")
