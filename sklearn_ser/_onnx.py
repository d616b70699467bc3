"""Export of the network of a fitted pipeline to ONNX."""

import io
import json
import os
import re
import warnings

import numpy as np
import torch
from sklearn.pipeline import Pipeline

from ._classifier import SERClassifier
from ._lld import LLDExtractor
from ._network import SERNet
from ._padcrop import PadCrop
from ._scaler import NeutralStandardScaler
from ._version import __version__

__all__ = ["export_onnx"]

INPUT_NAME = "features"
OUTPUT_NAMES = ("probabilities", "logits")
METADATA_PREFIX = "sklearn_ser."

# Parameters of the "packed" BiLSTM and their names in the "masked" one.
_PACKED_KEY = re.compile(r"^((?:.*\.)?)lstm\.((?:weight|bias)_(?:ih|hh)_l0)(_reverse)?$")


class _NaNPaddedNetwork(torch.nn.Module):
    """The network on NaN-padded input: lengths from the NaN frames, softmax."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, features):
        nan = torch.isnan(features)
        valid = ~nan.all(dim=2)
        steps = torch.arange(1, features.shape[1] + 1, device=features.device)
        # length = position of the last valid frame + 1 (0 if none)
        lengths = torch.where(valid, steps.unsqueeze(0), torch.zeros_like(steps)).amax(1)
        x = torch.where(nan, torch.zeros_like(features), features)
        logits = self.net(x, lengths)
        return torch.softmax(logits, dim=1), logits


def _parts(estimator):
    """``(classifier, padcrop, scaler, lld)`` of a pipeline or a classifier."""
    if isinstance(estimator, SERClassifier):
        return estimator, None, None, None
    if not isinstance(estimator, Pipeline):
        raise TypeError(
            f"export_onnx expects a fitted Pipeline ending with a SERClassifier or a "
            f"fitted SERClassifier, got {type(estimator).__name__}."
        )
    clf = estimator.steps[-1][1] if estimator.steps else None
    if not isinstance(clf, SERClassifier):
        raise TypeError(
            "export_onnx expects a Pipeline whose last step is a SERClassifier; the "
            f"last step is {type(clf).__name__}."
        )
    found = {}
    for _, step in estimator.steps[:-1]:
        for cls in (PadCrop, NeutralStandardScaler, LLDExtractor):
            if isinstance(step, cls):
                found[cls] = step
    return clf, found.get(PadCrop), found.get(NeutralStandardScaler), found.get(
        LLDExtractor)


def _masked_network(clf):
    """A CPU copy of the classifier's network with the exportable BiLSTM."""
    if not (getattr(clf, "initialized_", False) and hasattr(clf, "n_features_in_")):
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(
            "This SERClassifier is not fitted yet; fit it before exporting it."
        )
    if not isinstance(clf.module_, SERNet):
        raise TypeError(
            f"export_onnx supports the library's network SERNet, got "
            f"{type(clf.module_).__name__}."
        )
    params = clf.get_params_for("module")
    params["rnn_implementation"] = "masked"
    state = {}
    for key, tensor in clf.module_.state_dict().items():
        match = _PACKED_KEY.match(key)
        if match:
            prefix, name, reverse = match.groups()
            key = f"{prefix}{'backward' if reverse else 'forward'}_lstm.{name}"
        state[key] = tensor.detach().cpu()
    with torch.random.fork_rng(devices=[]):
        net = SERNet(**params)
    net.load_state_dict(state, strict=True)
    return net.eval()


def _metadata(clf, padcrop, scaler, lld):
    meta = {
        "version": __version__,
        "classes": clf.classes_.tolist(),
        "n_features": int(clf.n_features_in_),
        "input": (
            f"{INPUT_NAME}: float32 (batch, frames, {int(clf.n_features_in_)}), scaled "
            "features; padding frames are all NaN and come after the valid frames"
        ),
    }
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


def export_onnx(estimator, path, *, opset_version=17):
    """Export the network of a fitted pipeline to an ONNX file.

    The exported graph is the :class:`SERClassifier`'s network after
    feature extraction and scaling: it maps scaled frame features to class
    probabilities, with dynamic batch and time axes.

    - input ``features``: float32 ``(batch, frames, n_features)``, the output
      of the pipeline's :class:`NeutralStandardScaler`. Utterances of
      different lengths are batched by padding them with frames of NaN
      *after* their valid frames (as :class:`PadCrop` does); each
      utterance's length is the position of its last non-NaN frame and the
      padding is masked exactly as in :meth:`SERClassifier.predict_proba`.
      An utterance needs at least one valid frame (an all-NaN row gives NaN
      probabilities) and its valid frames must be finite.
    - outputs ``probabilities`` ``(batch, n_classes)`` (softmax, in the order
      of ``classes_``) and ``logits`` ``(batch, n_classes)``.

    Parameters
    ----------
    estimator : sklearn.pipeline.Pipeline or SERClassifier
        A fitted pipeline ending with a :class:`SERClassifier` (e.g. from
        :func:`make_ser_pipeline` or :func:`load`), or a fitted classifier.
    path : str or os.PathLike
        The ``.onnx`` file to write.
    opset_version : int, default=17
        ONNX opset of the graph.

    Raises
    ------
    TypeError
        If ``estimator`` is not such a pipeline or classifier.
    sklearn.exceptions.NotFittedError
        If the classifier is not fitted.
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
       ``probabilities``; class ``k`` is ``classes[k]``.

    Everything these steps need is in the file's ``metadata_props`` as JSON
    strings under the keys ``sklearn_ser.classes``, ``sklearn_ser.scaler_mean``,
    ``sklearn_ser.scaler_scale``, ``sklearn_ser.n_frames``, ``sklearn_ser.crop``,
    ``sklearn_ser.sampling_rate`` and ``sklearn_ser.feature_names`` (the last
    five only when exported from a pipeline that has these steps). With
    onnxruntime::

        session = onnxruntime.InferenceSession(
            "model.onnx", providers=["CPUExecutionProvider"])
        meta = session.get_modelmeta().custom_metadata_map
        mean = np.array(json.loads(meta["sklearn_ser.scaler_mean"]))
        scale = np.array(json.loads(meta["sklearn_ser.scaler_scale"]))
        x = ((lld[:n_frames] - mean) / scale).astype(np.float32)[None]
        proba, = session.run(["probabilities"], {"features": x})

    The same values are in a model file written by :func:`save`
    (``load(path).named_steps["scaler"].mean_`` and ``.scale_``,
    ``load(path).classes_``).

    The graph uses the BiLSTM implementation ``"masked"``; a network trained
    with ``module__rnn_implementation="packed"`` is exported with its weights
    mapped onto it (the two compute the same function).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import onnxruntime
    >>> from sklearn_ser import SERClassifier, export_onnx
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
    """
    try:
        import onnx
    except ImportError as exc:  # pragma: no cover - onnx is installed in tests
        raise ImportError(
            "export_onnx needs the 'onnx' package: pip install onnx"
        ) from exc
    clf, padcrop, scaler, lld = _parts(estimator)
    network = _NaNPaddedNetwork(_masked_network(clf)).eval()
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
            output_names=list(OUTPUT_NAMES),
            dynamic_axes={
                INPUT_NAME: {0: "batch", 1: "frames"},
                OUTPUT_NAMES[0]: {0: "batch"},
                OUTPUT_NAMES[1]: {0: "batch"},
            },
            opset_version=opset_version,
        )
    model = onnx.load_from_string(buf.getvalue())
    for key, value in _metadata(clf, padcrop, scaler, lld).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.producer_name = "sklearn-ser"
    model.producer_version = __version__
    onnx.save(model, os.fspath(path))
