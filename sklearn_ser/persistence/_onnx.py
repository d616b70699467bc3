"""Export of the network of a fitted pipeline to ONNX."""

import io
import json
import numbers
import re
import warnings

import numpy as np
import torch
from sklearn.pipeline import Pipeline

from .._version import __version__
from ..network._classifier import SERClassifier
from ..network._modules import SERNet
from ..network._regressor import SERRegressor
from ..pipeline._describe import describe_pipeline
from ._modelfile import write_atomically
from ._netstate import plain_module

__all__ = ["export_onnx"]

INPUT_NAME = "features"
OUTPUT_NAMES = ("probabilities", "logits")
REGRESSION_OUTPUT_NAMES = ("values",)
METADATA_PREFIX = "sklearn_ser."

#: The estimators whose network export_onnx exports.
_NETWORKS = (SERClassifier, SERRegressor)
_EXPECTED = "a SERClassifier or a SERRegressor"

# Parameters of the "packed" BiLSTM and their names in the "masked" one.
_PACKED_KEY = re.compile(r"^((?:.*\.)?)lstm\.((?:weight|bias)_(?:ih|hh)_l0)(_reverse)?$")


def _unpad(features):
    """Zero-filled features and lengths of NaN-padded ``features``."""
    nan = torch.isnan(features)
    valid = ~nan.all(dim=2)
    steps = torch.arange(1, features.shape[1] + 1, device=features.device)
    # length = position of the last valid frame + 1 (0 if none)
    lengths = torch.where(valid, steps.unsqueeze(0), torch.zeros_like(steps)).amax(1)
    x = torch.where(nan, torch.zeros_like(features), features)
    return x, lengths


class _NaNPaddedNetwork(torch.nn.Module):
    """The network on NaN-padded input: lengths from the NaN frames, softmax."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, features):
        logits = self.net(*_unpad(features))
        return torch.softmax(logits, dim=1), logits


class _NaNPaddedRegressor(torch.nn.Module):
    """The network on NaN-padded input, its outputs in the targets' units."""

    def __init__(self, net, target_mean, target_scale):
        super().__init__()
        self.net = net
        self.register_buffer("target_scale", torch.tensor(
            np.asarray(target_scale, dtype=np.float32).reshape(1, -1)))
        self.register_buffer("target_mean", torch.tensor(
            np.asarray(target_mean, dtype=np.float32).reshape(1, -1)))

    def forward(self, features):
        return self.net(*_unpad(features)) * self.target_scale + self.target_mean


def _parts(estimator):
    """The :class:`PipelineDescription` of a pipeline or of a network alone."""
    if not isinstance(estimator, (Pipeline, *_NETWORKS)):
        raise TypeError(
            f"export_onnx expects a fitted Pipeline ending with {_EXPECTED}, or a "
            f"fitted SERClassifier or SERRegressor, got {type(estimator).__name__}."
        )
    if isinstance(estimator, Pipeline) and not estimator.steps:
        raise TypeError(f"export_onnx expects a Pipeline whose last step is "
                        f"{_EXPECTED}; the pipeline has no steps.")
    kind = describe_pipeline(estimator)
    if kind.network is None:
        raise TypeError(
            f"export_onnx expects a Pipeline whose last step is {_EXPECTED}; the "
            f"last step is {type(kind.final).__name__}."
        )
    return kind


def _masked_network(clf):
    """A CPU copy of the estimator's network with the exportable BiLSTM."""
    fitted = getattr(clf, "initialized_", False) and hasattr(clf, "n_features_in_")
    if isinstance(clf, SERRegressor):
        fitted = fitted and all(hasattr(clf, name) for name in (
            "n_outputs_", "target_mean_", "target_scale_"))
    if not fitted:
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(
            f"This {type(clf).__name__} is not fitted yet; fit it before exporting it."
        )
    if not isinstance(plain_module(clf), SERNet):
        raise TypeError(
            f"export_onnx supports the library's network SERNet, got "
            f"{type(plain_module(clf)).__name__}."
        )
    params = clf.get_params_for("module")
    params["rnn_implementation"] = "masked"
    state = {}
    for key, tensor in plain_module(clf).state_dict().items():
        match = _PACKED_KEY.match(key)
        if match:
            prefix, name, reverse = match.groups()
            key = f"{prefix}{'backward' if reverse else 'forward'}_lstm.{name}"
        state[key] = tensor.detach().cpu()
    with torch.random.fork_rng(devices=[]):
        net = SERNet(**params)
    net.load_state_dict(state, strict=True)
    return net.eval()


def _target_names(clf, target_names):
    """The checked ``target_names`` of a regressor's outputs, or None."""
    if target_names is None:
        return None
    if not isinstance(clf, SERRegressor):
        raise ValueError(
            "target_names names the outputs of a SERRegressor; the outputs of a "
            "SERClassifier are named by its classes_, leave target_names=None."
        )
    if isinstance(target_names, str):
        raise TypeError(
            f"target_names must be a sequence of {clf.n_outputs_} str, one per "
            f"target, got the str {target_names!r}."
        )
    names = list(target_names)
    if len(names) != clf.n_outputs_ or not all(isinstance(n, str) for n in names):
        raise ValueError(
            f"target_names must hold {clf.n_outputs_} str, one per target of the "
            f"SERRegressor, got {names!r}."
        )
    return [str(n) for n in names]


def _json_classes(clf):
    """The classes of a classifier as JSON values, or a TypeError naming one."""
    classes = clf.classes_.tolist()
    bad = [c for c in classes if isinstance(c, (bool, np.bool_))
           or not isinstance(c, (str, numbers.Integral, numbers.Real))]
    if bad:
        hint = (" (bytes: decode them, e.g. np.char.decode(y))"
                if isinstance(bad[0], bytes) else "")
        raise TypeError(
            f"export_onnx stores the classes in the ONNX metadata as JSON, which "
            f"cannot hold the class {bad[0]!r} ({type(bad[0]).__name__}); fit the "
            f"classifier with str or int labels{hint}."
        )
    return classes


def _check_outputs(network, n_features, kind):
    """Refuse a network whose weights, or whose outputs on a probe, are not finite.

    The graph itself does not check its outputs: a network with finite but
    huge weights (overflowing float32) would give NaN probabilities in the
    program that runs it. What can be checked here is checked: every weight
    (and, for a regressor, the targets' mean and scale as float32) is
    finite, and so are the outputs on a probe of zeros, a scaled input of
    the training data's mean.
    """
    for key, tensor in network.state_dict().items():
        if not torch.isfinite(tensor).all():
            raise ValueError(
                f"export_onnx: the network's weight {key!r} (as float32) holds NaN "
                "or infinite values; such a network gives no usable output.")
    probe = torch.zeros((2, 3, n_features), dtype=torch.float32)
    with torch.no_grad():
        outputs = network(probe)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    if not all(torch.isfinite(out).all() for out in outputs):
        raise ValueError(
            f"export_onnx: the {kind}'s network gives NaN or infinite outputs on "
            "an input of zeros (the scaled training mean): its weights are too "
            "large for float32 arithmetic; the exported graph would give no "
            "usable probabilities or values."
        )


def _metadata(kind, target_names=None):
    clf, padcrop, lld = kind.network, kind.padcrop, kind.extractor
    scaler = kind.scaler if kind.normalization == "neutral" else None
    if kind.task == "regression":
        meta = {
            "version": __version__,
            "task": "regression",
            "n_outputs": int(clf.n_outputs_),
            "target_mean": [float(v) for v in clf.target_mean_],
            "target_scale": [float(v) for v in clf.target_scale_],
        }
        if target_names is not None:
            meta["target_names"] = target_names
    else:
        meta = {
            "version": __version__,
            "task": "classification",
            "classes": _json_classes(clf),
        }
    meta.update({
        "n_features": int(clf.n_features_in_),
        "input": (
            f"{INPUT_NAME}: float32 (batch, frames, {int(clf.n_features_in_)}), scaled "
            "features; padding frames are all NaN and come after the valid frames"
        ),
    })
    # "speaker": every speaker's frames standardised with that speaker's own
    # statistics before the graph (no scaler_mean/scaler_scale in the file)
    meta["normalization"] = kind.normalization or "none"
    if lld is not None:
        meta["sampling_rate"] = int(lld.sampling_rate)
        meta["feature_names"] = lld.get_feature_names_out().tolist()
    if padcrop is not None:
        meta["n_frames"] = int(padcrop.n_frames)
        meta["crop"] = padcrop.crop
    if scaler is not None:
        d = int(scaler.n_features_in_)
        mean = scaler.mean_ if scaler.with_mean else np.zeros(d)
        scale = scaler.scale_ if scaler.with_std else np.ones(d)
        meta["scaler_mean"] = [float(v) for v in mean]
        meta["scaler_scale"] = [float(v) for v in scale]
    return {METADATA_PREFIX + k: json.dumps(v) for k, v in meta.items()}


def export_onnx(estimator, path, *, opset_version=17, target_names=None):
    """Export the network of a fitted pipeline to an ONNX file.

    The exported graph is the network of the :class:`SERClassifier` or
    :class:`SERRegressor` after feature extraction and scaling: it maps
    scaled frame features to class probabilities (a classifier) or to
    predicted target values (a regressor), with dynamic batch and time axes.

    - input ``features``: float32 ``(batch, frames, n_features)``, the output
      of the pipeline's :class:`NeutralStandardScaler`. Utterances of
      different lengths are batched by padding them with frames of NaN
      *after* their valid frames (as :class:`PadCrop` does); each
      utterance's length is the position of its last non-NaN frame and the
      padding is masked exactly as in :meth:`SERClassifier.predict_proba`
      and :meth:`SERRegressor.predict`. An utterance needs at least one
      valid frame (an all-NaN row gives NaN outputs) and its valid frames
      must be finite.
    - outputs of a classifier: ``probabilities`` ``(batch, n_classes)``
      (softmax, in the order of ``classes_``) and ``logits``
      ``(batch, n_classes)``.
    - output of a regressor: ``values``, float32 ``(batch, n_outputs)``, in
      the targets' units: the network's standardised outputs times
      ``target_scale_`` plus ``target_mean_``, computed inside the graph, so
      ``values`` equals :meth:`SERRegressor.predict`. A regressor fitted on
      a 1-D ``y`` is exported with ``n_outputs=1``: ``values`` is
      ``(batch, 1)`` where ``predict`` returns ``(n_samples,)``.

    Parameters
    ----------
    estimator : sklearn.pipeline.Pipeline, SERClassifier or SERRegressor
        A fitted pipeline whose last step is a :class:`SERClassifier` or a
        :class:`SERRegressor` (e.g. from :func:`make_ser_pipeline` or
        :func:`load`), or a fitted classifier or regressor.
    path : str or os.PathLike
        The ``.onnx`` file to write. It is written atomically (to a
        temporary file in the same folder, then renamed, as :func:`save`
        does): an interrupted export or a full disk never leaves a partial
        file, and an existing file is replaced only by a complete one.
    opset_version : int, default=17
        ONNX opset of the graph.
    target_names : sequence of str, default=None
        Regressors only: a name for each target (column of ``values``), e.g.
        ``["valence", "arousal", "dominance"]`` (the ``target_names`` of
        ``load_iemocap(..., target="dimensions")``), stored in the metadata
        as ``sklearn_ser.target_names``. A :class:`SERRegressor` does not
        keep the names of its targets; without this argument the metadata
        has no ``target_names``.

    Raises
    ------
    TypeError
        If ``estimator`` is not such a pipeline, classifier or regressor,
        ``target_names`` is a str, or a class label cannot be stored as JSON
        (e.g. bytes).
    ValueError
        If ``target_names`` is given for a classifier, or does not hold one
        str per target of the regressor; or if the network's weights (as
        float32) are not finite, or its outputs on an input of zeros are not
        (weights too large for float32 arithmetic): such a graph would give
        NaN probabilities. ``path`` is a directory or a device (then an
        ``IsADirectoryError`` or ``ValueError``) or in a missing folder (a
        ``FileNotFoundError``).
    sklearn.exceptions.NotFittedError
        If the classifier or regressor is not fitted.
    ImportError
        If the ``onnx`` package is not installed.

    See Also
    --------
    save : Save the whole pipeline (feature settings, scaler and network).

    Notes
    -----
    **Running the model in another program.** The ONNX file contains the
    network only; the program reproduces the steps before it:

    1. *Features*: 32 openSMILE LLDs per 25 ms window shifted by 10 ms, with
       the openSMILE config shipped in the package
       (``sklearn_ser/data/is09_lld_delta.conf``), columns in the order of
       ``LLDExtractor.get_feature_names_out()``, at the pipeline's
       ``sampling_rate``; see :class:`LLDExtractor` for the frame count.
    2. *Crop*: keep the first ``n_frames`` frames (the pipeline's
       :class:`PadCrop`, ``crop="end"``), as in training.
    3. *Scale*: ``(x - mean) / scale`` per feature.
    4. *Pad* a batch with NaN frames, run the session, read
       ``probabilities`` (class ``k`` is ``classes[k]``) or ``values``
       (column ``j`` is target ``j``, ``target_names[j]`` when given).

    Everything these steps need is in the file's ``metadata_props`` as JSON
    strings under keys that start with ``sklearn_ser.``:

    - always: ``version`` (of the library), ``task`` (``"classification"``
      or ``"regression"``), ``normalization`` (``"neutral"``, ``"speaker"``:
      each speaker's frames standardised with that speaker's own mean and
      standard deviation before the graph, or ``"none"``), ``n_features``
      and ``input`` (a description);
    - a classifier: ``classes``;
    - a regressor: ``n_outputs``, ``target_mean`` and ``target_scale`` (the
      standardisation of the targets that the graph already undoes, for
      reference) and ``target_names`` when given;
    - from a pipeline that has these steps: ``scaler_mean``,
      ``scaler_scale``, ``n_frames``, ``crop``, ``sampling_rate`` and
      ``feature_names``.

    With onnxruntime::

        session = onnxruntime.InferenceSession(
            "model.onnx", providers=["CPUExecutionProvider"])
        meta = session.get_modelmeta().custom_metadata_map
        mean = np.array(json.loads(meta["sklearn_ser.scaler_mean"]))
        scale = np.array(json.loads(meta["sklearn_ser.scaler_scale"]))
        x = ((lld[:n_frames] - mean) / scale).astype(np.float32)[None]
        proba, = session.run(["probabilities"], {"features": x})
        # a regressor's file: values, = session.run(["values"], {"features": x})

    The same values are in a model file written by :func:`save`
    (``load(path).named_steps["scaler"].mean_`` and ``.scale_``,
    ``load(path).classes_``).

    The graph does not check its outputs. :meth:`SERClassifier.predict_proba`
    refuses NaN or infinite outputs (an input far outside the training
    data can overflow float32); a program running the graph should check
    that ``probabilities`` or ``values`` are finite before it uses them.

    The graph uses the BiLSTM implementation ``"masked"``; a network trained
    with ``module__rnn_implementation="packed"`` is exported with its weights
    mapped onto it (the two compute the same function).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import onnxruntime
    >>> from sklearn_ser import SERClassifier, SERRegressor, export_onnx
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 10, 3)).astype(np.float32)
    >>> X[::2, 6:] = np.nan  # padding
    >>> y = np.array(["ang", "sad"] * 10)
    >>> clf = SERClassifier(hidden_units=8, lstm_units=4, max_epochs=1,
    ...                     random_state=0, device="cpu").fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> export_onnx(clf, path)
    >>> session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    >>> proba, = session.run(["probabilities"], {"features": X[:4]})
    >>> bool(np.allclose(proba, clf.predict_proba(X[:4]), atol=1e-5))
    True

    A regressor of two targets (e.g. valence and arousal):

    >>> targets = rng.normal(loc=3.0, size=(20, 2))
    >>> reg = SERRegressor(hidden_units=8, lstm_units=4, attention_units=4,
    ...                    max_epochs=1, random_state=0, device="cpu").fit(X, targets)
    >>> export_onnx(reg, path, target_names=["valence", "arousal"])
    >>> session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    >>> values, = session.run(["values"], {"features": X[:4]})
    >>> values.shape, bool(np.allclose(values, reg.predict(X[:4]), atol=1e-5))
    ((4, 2), True)
    """
    try:
        import onnx
    except ImportError as exc:  # pragma: no cover - onnx is installed in tests
        raise ImportError(
            "export_onnx needs the 'onnx' package: pip install onnx"
        ) from exc
    kind = _parts(estimator)
    clf = kind.network
    if kind.task == "regression":
        network = _NaNPaddedRegressor(_masked_network(clf), clf.target_mean_,
                                      clf.target_scale_).eval()
        output_names = REGRESSION_OUTPUT_NAMES
    else:
        network = _NaNPaddedNetwork(_masked_network(clf)).eval()
        output_names = OUTPUT_NAMES
    names = _target_names(clf, target_names)
    metadata = _metadata(kind, names)  # checked before anything is exported
    _check_outputs(network, int(clf.n_features_in_), type(clf).__name__)
    example = torch.zeros((2, 3, int(clf.n_features_in_)), dtype=torch.float32)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # The TorchScript-based exporter warns about itself and about LSTM
        # checks traced as constants; neither applies to this network.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            network, (example,), buf,
            dynamo=False,
            input_names=[INPUT_NAME],
            output_names=list(output_names),
            dynamic_axes={
                INPUT_NAME: {0: "batch", 1: "frames"},
                **{name: {0: "batch"} for name in output_names},
            },
            opset_version=opset_version,
        )
    model = onnx.load_from_string(buf.getvalue())
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.producer_name = "sklearn-ser"
    model.producer_version = __version__
    data = model.SerializeToString()
    write_atomically(path, lambda f: f.write(data), "the ONNX model")
