"""The pipelines the commands build, and what they are, in words.

A command builds its pipeline with the library's factories and then asks
:func:`~sklearn_ser.pipeline._describe.describe_pipeline` what it built
(task, network step, normalisation, speakers), instead of reading the
option strings again.
"""

from ._common import DEFAULT_NEUTRAL, TARGETS, CLIError, is_dimensional

#: ``--epochs`` ... -> the network parameter it overrides.
_OVERRIDES = {"epochs": "max_epochs", "lr": "lr", "l2": "l2",
              "batch_size": "batch_size", "hidden_units": "hidden_units",
              "lstm_units": "lstm_units", "attention_units": "attention_units"}
#: Options of the network that the baseline has no use for.
NETWORK_OPTIONS = ("epochs", "lr", "l2", "n_frames", "batch_size", "hidden_units",
                   "lstm_units", "attention_units")


def describe(pipe):
    """:func:`~sklearn_ser.pipeline._describe.describe_pipeline` of ``pipe``."""
    from ..pipeline._describe import describe_pipeline

    return describe_pipeline(pipe)


def classifier_params(args):
    params = {name: getattr(args, option) for option, name in _OVERRIDES.items()
              if getattr(args, option) is not None}
    return dict(params, device=args.device, random_state=args.seed)


def make_network(args, attention):
    """The network pipeline the options describe (unfitted)."""
    from ..pipeline._factories import make_ser_pipeline

    pipe = make_ser_pipeline(
        attention, n_frames=args.n_frames, recipe=args.recipe,
        normalization=getattr(args, "normalization", "neutral"),
        task=TARGETS[getattr(args, "target", "category")], memory=args.cache,
        n_jobs=args.n_jobs, **classifier_params(args),
    )
    return set_neutral_label(pipe, args)


def make_baseline(args, *, probabilities=False):
    """The functionals baseline (SVM, RidgeCV for dimensions), unfitted.

    With ``probabilities=True`` the SVM's scores are calibrated by a
    sigmoid (``CalibratedClassifierCV(SVC(class_weight="balanced"),
    ensemble=False)``, scikit-learn's replacement of
    ``SVC(probability=True)``), so that ``predict`` and ``timeline`` print
    probabilities as for a network.
    """
    from ..pipeline._factories import make_baseline_pipeline

    classifier = None
    if probabilities and not is_dimensional(args):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import SVC

        classifier = CalibratedClassifierCV(SVC(class_weight="balanced"),
                                            ensemble=False)
    pipe = make_baseline_pipeline(classifier, normalization=args.normalization,
                                  task=TARGETS[getattr(args, "target", "category")],
                                  memory=args.cache, n_jobs=args.n_jobs)
    return set_neutral_label(pipe, args)


def set_neutral_label(pipe, args):
    """``--neutral-label`` on the pipeline's neutral scaler (categories only)."""
    label = getattr(args, "neutral_label", None)
    if label is not None:
        describe(pipe).scaler.set_params(neutral_label=label)
    return pipe


def check_neutral_option(args):
    """Refuse ``--neutral-label`` where no neutral scaler uses it."""
    if getattr(args, "neutral_label", None) is None:
        return
    if is_dimensional(args):
        raise CLIError("--neutral-label applies to --target category; with "
                       "dimensions the statistics come from all the training "
                       "utterances: leave it out")
    if args.normalization != "neutral":
        raise CLIError("--neutral-label applies to --normalization neutral; "
                       f"--normalization {args.normalization} uses no label: leave "
                       "it out")


def check_neutral_label(args, labels, corpus):
    """Refuse, before any training, a neutral label that no utterance has."""
    import shlex

    import numpy as np

    if is_dimensional(args) or args.normalization != "neutral":
        return
    label = args.neutral_label if args.neutral_label is not None else DEFAULT_NEUTRAL
    seen = np.unique(np.asarray(labels).astype(str)).tolist()
    if label in seen:
        return
    guess = next((s for s in seen if s.lower().startswith("neu")), None)
    hint = (f"give --neutral-label {shlex.quote(guess)}" if guess is not None
            else "give --neutral-label with the label of the neutral class")
    raise CLIError(
        f"--normalization neutral standardises with the utterances labelled "
        f"{label!r} (--neutral-label), but {corpus} has none; its labels are "
        f"{', '.join(map(repr, seen[:20]))}: {hint}, or use --normalization "
        "speaker (nothing was trained)")


def neutral_error(exc):
    """A CLIError naming ``--neutral-label`` for the scaler's missing-label error.

    A fold whose training part holds no neutral utterance fails in the
    scaler, whose message names its parameter ``neutral_label``; the command
    line names its option. Other errors give None.
    """
    text = str(exc)
    if not text.startswith("No sample is labelled neutral_label="):
        return None
    return CLIError(text.split(" Set neutral_label")[0]
                    + " in the training part of a fold; give --neutral-label with "
                    "the label of the neutral class, or use --normalization "
                    "speaker")


def describe_training(pipe):
    """One line with the training budget of a pipeline's network."""
    kind = describe(pipe)
    params = kind.network.get_params()
    return (f"n_frames={kind.n_frames}  "
            + "  ".join(f"{name}={params[name]}"
                        for name in ("hidden_units", "lstm_units", "attention_units",
                                     "lr", "l2", "batch_size", "max_epochs")))


def epoch_selection(pipe, groups="training speakers"):
    """How a pipeline's network chooses its epoch, in words."""
    fraction = describe(pipe).network.validation_fraction
    if not fraction:
        return f"trained on all the {groups}, the last epoch is kept"
    return (f"best epoch chosen on a validation split ({fraction:.0%}) of the "
            f"{groups}")


def run_label(pipe, best_epochs):
    """What happened to the epochs of the folds, for the results table.

    ``"ours (validation)"`` when the network chose its epoch on a validation
    split, ``"ours (last epoch)"`` when it kept the last one (no validation
    split): read from the network's ``validation_fraction`` and the
    ``best_epoch_`` of each fold.
    """
    network = describe(pipe).network
    if network.validation_fraction and any(e is not None for e in best_epochs):
        return "ours (validation)"
    return "ours (last epoch)"


def resolved_device(pipe):
    """``"cpu"`` or ``"cuda"``...: where the pipeline's network will train."""
    from .._device import device_type

    return device_type(describe(pipe).network.device)


def set_callbacks(pipe, callbacks):
    """Give the network step of ``pipe`` the skorch ``callbacks``."""
    kind = describe(pipe)
    pipe.set_params(**{f"{kind.final_name}__callbacks": callbacks})
    return pipe


def audio_model(model, path, command):
    """The description of a loaded model that takes audio; else a ``CLIError``.

    ``save`` writes single estimators and pipelines of any steps; the
    commands that read audio need a pipeline that starts with the
    extractor and ends in a classifier with probabilities or a regressor.
    """
    kind = describe(model)
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
                       "a classifier with predict_proba (sklearn-ser train --model "
                       "baseline fits make_baseline_pipeline(CalibratedClassifierCV("
                       "SVC(class_weight='balanced'), ensemble=False)))")
    return kind
