"""``sklearn-ser info``: what a model file is, before using it.

The summary comes from the loaded pipeline (:func:`describe_pipeline`:
task, classes, network, normalisation, frame grid, features) and from the
metadata that :func:`~sklearn_ser.save` stores (library and dependency
versions at save time). The training recipe is recognised from the
network's parameters; the size of the training corpus is read from what
the fitted steps counted (the network's first epoch, the SVM's training
matrix, a scaler's sample count).
"""

import sys

from ._common import check_model_file, device_name, say
from ._output import shown, to_json

_FORMATS = ("text", "json")
#: The network parameters a recipe sets (besides ``n_frames``).
_RECIPE_KEYS = ("hidden_units", "lstm_units", "attention_units", "noise_variance",
                "lr", "lr_schedule", "l2", "batch_size", "max_epochs",
                "validation_fraction")


def add_parsers(sub):
    """Add the ``info`` command to the subparsers ``sub``."""
    info = sub.add_parser(
        "info", help="what a model file holds: classes, features, recipe, versions",
        description="Print the summary of a model file written by 'train' (or by "
        "sklearn_ser.save): the task and its classes or dimensions, the steps, "
        "the features, the model and its training recipe, the normalisation, "
        "n_frames, the size of the training corpus, and the versions of "
        "sklearn-ser and of its dependencies that wrote it. The file is loaded "
        "as 'predict' loads it, so a damaged file is reported the same way.",
    )
    info.add_argument("model", metavar="MODEL", help="model file")
    info.add_argument("--format", choices=_FORMATS, default="text",
                      help="text: one line per field; json: one record "
                      "(default: %(default)s)")
    info.add_argument("--device", type=device_name, default="cpu",
                      help="torch device to load the network on (default: "
                      "%(default)s)")
    info.set_defaults(func=_cmd_info)


def recipe_of(network, n_frames):
    """The recipe whose values the network has, and the values that differ.

    Returns
    -------
    name : str
        ``"paper"`` or ``"fast"``, whichever differs in fewer values.
    differences : list of str
        ``"max_epochs=1"`` ...: the network's values where they differ.
    """
    from ..pipeline._factories import RECIPES

    params = dict(network.get_params(deep=False), n_frames=n_frames)
    defaults = type(network)().get_params(deep=False)
    found = []
    for name, recipe in RECIPES.items():
        expected = {key: defaults[key] for key in _RECIPE_KEYS}
        expected.update(recipe)
        differ = [f"{key}={params[key]}" for key in (*_RECIPE_KEYS, "n_frames")
                  if key in expected and params.get(key) != expected[key]]
        found.append((len(differ), name, differ))
    _, name, differ = min(found)
    return name, differ


def feature_summary(names):
    """The frame features in short: ``F0, RMSenergy, ..., mfcc[1-12] and their deltas``.

    Examples
    --------
    >>> from sklearn_ser._cli._info import feature_summary
    >>> feature_summary(["F0_sma", "pcm_fftMag_mfcc_sma[1]", "pcm_fftMag_mfcc_sma[2]",
    ...                  "F0_sma_de", "pcm_fftMag_mfcc_sma_de[1]",
    ...                  "pcm_fftMag_mfcc_sma_de[2]"])
    'F0, mfcc[1-2] and their deltas'
    """
    import re

    def short(name):
        return re.sub(r"^pcm_|_sma|fftMag_", "", name)

    base = [n for n in names if "_de" not in n]
    deltas = [n.replace("_de", "") for n in names if "_de" in n]
    groups = []
    for name in map(short, base):
        match = re.fullmatch(r"(.*)\[(\d+)\]", name)
        if match and groups and groups[-1][0] == match.group(1):
            groups[-1][2] = match.group(2)
        elif match:
            groups.append([match.group(1), match.group(2), match.group(2)])
        else:
            groups.append([name, None, None])
    text = ", ".join(g[0] if g[1] is None else
                     f"{g[0]}[{g[1]}]" if g[1] == g[2] else f"{g[0]}[{g[1]}-{g[2]}]"
                     for g in groups)
    if deltas == base:
        return text + " and their deltas"
    return text + (f" and {len(deltas)} deltas" if deltas else "")


def _first_epoch_samples(network):
    history = getattr(network, "history_", None)
    try:
        batches = history[0]["batches"]
    except (TypeError, IndexError, KeyError):
        return None
    n = sum(int(b.get(key, 0)) for b in batches
            for key in ("train_batch_size", "valid_batch_size"))
    return n or None


def training_size(kind):
    """Utterances the pipeline was trained on, as its fitted steps counted; or None."""
    if kind.network is not None:
        return _first_epoch_samples(kind.network)
    final = kind.final
    inner = getattr(final, "calibrated_classifiers_", None)
    if inner:
        final = inner[0].estimator
    shape = getattr(final, "shape_fit_", None)
    if shape:
        return int(shape[0])
    for _, step in (kind.pipeline.steps if kind.pipeline is not None else []):
        if hasattr(step, "n_samples_seen_"):
            return int(step.n_samples_seen_)
        if getattr(step, "reference_", None) == "all":
            return int(step.n_neutral_samples_)
    return None


def class_counts(kind, n):
    """``{class: utterances}`` from balanced class weights, or None."""
    import numpy as np

    final = kind.final
    inner = getattr(final, "calibrated_classifiers_", None)
    if inner:
        final = inner[0].estimator
    weights = getattr(final, "class_weight_", None)
    classes = getattr(kind.final, "classes_", None)
    if n is None or weights is None or classes is None or getattr(
            final, "class_weight", None) != "balanced":
        return None
    weights = np.asarray(weights, dtype=float)
    counts = n / (len(weights) * weights)
    if not np.allclose(counts, np.round(counts), atol=1e-3) or round(counts.sum()) != n:
        return None
    return {str(c): int(round(v)) for c, v in zip(classes, counts, strict=True)}


def _model(kind):
    """The model and its recipe, in words; and the recipe for the JSON record."""
    if kind.network is None:
        final = type(kind.final).__name__
        inner = getattr(kind.final, "estimator", None)
        if inner is not None and not isinstance(inner, str):
            final += f"({type(inner).__name__})"
        return f"functionals baseline: {final}", None
    net = kind.network
    name, differ = recipe_of(net, kind.n_frames)
    recipe = name + (f", except {', '.join(differ)}" if differ else "")
    epoch = getattr(net, "best_epoch_", None)
    kept = (f"; kept epoch {epoch} of {len(net.history_)}"
            if epoch is not None else "")
    split = ("chosen on a validation split" if net.validation_fraction
             else "no validation split")
    return (f"network with {net.attention} pooling ({type(net).__name__}, "
            f"{net.hidden_units} hidden, {net.lstm_units} LSTM, {net.attention_units} "
            f"attention units); recipe {recipe}{kept} ({split})", recipe)


def _normalization(kind):
    scaler = kind.scaler
    if kind.normalization == "speaker":
        return "speaker: each speaker standardised with its own frames"
    if kind.normalization == "neutral":
        if getattr(scaler, "reference_", None) == "all":
            return (f"neutral scaler without a neutral label: the statistics of all "
                    f"{scaler.n_neutral_samples_} training utterances")
        return (f"neutral: the statistics of the {scaler.n_neutral_samples_} training "
                f"utterances labelled {shown(scaler.neutral_label)}")
    return "none of the library's"


def _usable_by(pipe, kind):
    """Which commands take the model, or why none does."""
    from ._common import CLIError
    from ._models import audio_model

    try:
        audio_model(pipe, "", "predict")
    except CLIError as exc:
        return "none: " + str(exc).split("; ", 1)[0].replace("model '' ", "it ")
    if kind.task == "regression":
        return "predict (timeline needs a classifier)"
    if kind.needs_speakers:
        return "predict (timeline refuses speaker-normalised models)"
    return "predict, timeline"


def summary(pipe, meta):
    """The fields of the summary of a loaded model and its metadata."""
    from ._dimensions import target_names
    from ._models import describe

    kind = describe(pipe)
    fields = {}
    if kind.task == "classification":
        classes = [str(c) for c in getattr(pipe, "classes_", [])]
        fields["task"] = (f"classification of {len(classes)} classes: "
                          f"{', '.join(map(shown, classes))}")
    else:
        n = getattr(kind.final, "n_outputs_", None) or 1
        fields["task"] = (f"regression of {n} dimension(s): "
                          f"{', '.join(target_names(n))}")
    fields["steps"] = (" -> ".join(f"{name} ({type(step).__name__})"
                                   for name, step in kind.pipeline.steps)
                       if kind.pipeline is not None else
                       f"a single {type(pipe).__name__}, not a pipeline")
    if kind.takes_audio:
        fields["features"] = (f"{len(kind.feature_names)} openSMILE LLDs per "
                              f"{1000 * kind.frame_step:g} ms frame at "
                              f"{kind.sampling_rate} Hz: "
                              + feature_summary(kind.feature_names))
    fields["model"], recipe = _model(kind)
    fields["normalisation"] = _normalization(kind)
    if kind.n_frames is not None:
        fields["n_frames"] = (f"{kind.n_frames} ({kind.window:.1f} s per utterance; "
                              "longer ones are cropped)")
    n = training_size(kind)
    per_class = class_counts(kind, n) if kind.task == "classification" else None
    fields["training corpus"] = ("not recorded" if n is None else
                                 f"{n} utterances" + (
                                     " (" + ", ".join(f"{shown(c)} {k}" for c, k in
                                                      per_class.items()) + ")"
                                     if per_class else ""))
    written = meta.get("written_with", {}) if isinstance(meta, dict) else {}
    fields["commands"] = _usable_by(pipe, kind)
    fields["saved with"] = (f"sklearn-ser {meta.get('library_version')} (model file "
                            f"format {meta.get('format_version')}); "
                            + ", ".join(f"{k} {v}" for k, v in written.items()))
    record = {"fields": fields, "classes": [str(c) for c in getattr(
        pipe, "classes_", [])] or None, "n_frames": kind.n_frames,
        "normalization": kind.normalization, "recipe": recipe,
        "feature_names": kind.feature_names,
        "n_training_utterances": n, "training_classes": per_class,
        "library_version": meta.get("library_version"), "written_with": written}
    return fields, record


def _cmd_info(args):
    from .. import load
    from ..persistence._reader import Reader

    check_model_file(args.model)
    pipe = load(args.model, device=args.device)
    reader = Reader(args.model)
    try:
        meta = reader.metadata()
    finally:
        reader.close()
    fields, record = summary(pipe, meta)
    if args.format == "json":
        say(to_json({"file": args.model, **record}, indent=2))
        return 0
    say(shown(args.model))
    width = max(len(k) for k in fields) + 2
    for key, value in fields.items():
        say(f"  {key + ':':<{width}}{value}")
    sys.stdout.flush()
    return 0
