"""Options, messages and pipelines shared by the commands."""

import argparse
import os
import time

import numpy as np
from skorch.callbacks import Callback

from .._pipeline import NORMALIZATIONS, RECIPES


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
    group.add_argument("--device", default="auto",
                       help="torch device: auto, cpu or cuda (default: %(default)s)")
    group.add_argument("--seed", type=int, default=0,
                       help="random seed (default: %(default)s)")
    group.add_argument("--cache", default=None,
                       help="feature cache directory (default: none)")
    group.add_argument("--n-jobs", type=int, default=None,
                       help="parallel jobs of the feature extraction")


class FoldProgress(Callback):
    """Print one line per fit: epochs run, best validation score, time."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._t0 = time.perf_counter()

    def on_train_end(self, net, X=None, y=None, **kwargs):
        hist = net.history
        keys = [k for k in ("valid_wa_ua", "valid_acc") if k in hist[-1]]
        best = f", best valid {keys[0]} {max(hist[:, keys[0]]):.3f}" if keys else ""
        say(f"  fit done: {len(hist)} epochs{best}, "
               f"{time.perf_counter() - self._t0:.0f} s")


def check_dir(path, what):
    if not os.path.isdir(path):
        raise CLIError(f"{what} {path!r} is not a directory")


_OVERRIDES = {"epochs": "max_epochs", "lr": "lr", "l2": "l2",
              "batch_size": "batch_size"}


def classifier_params(args):
    params = {name: getattr(args, option) for option, name in _OVERRIDES.items()
              if getattr(args, option) is not None}
    return dict(params, device=args.device, random_state=args.seed)


def make_pipeline(args, attention):
    from .. import make_ser_pipeline

    return make_ser_pipeline(
        attention, n_frames=args.n_frames, recipe=args.recipe,
        normalization=getattr(args, "normalization", "neutral"), memory=args.cache,
        n_jobs=args.n_jobs, **classifier_params(args),
    )


def describe_training(pipe):
    """One line with the training budget of a pipeline's classifier."""
    params = pipe.get_params()
    return (f"n_frames={params['padcrop__n_frames']}  "
            + "  ".join(f"{name}={params['classifier__' + name]}"
                        for name in ("hidden_units", "lstm_units", "attention_units",
                                     "lr", "l2", "batch_size", "max_epochs")))
