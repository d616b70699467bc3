"""Tests of AttentionDisplay."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_ser import AttentionDisplay, LLDExtractor, make_ser_pipeline
from sklearn_ser.datasets import make_emotional_speech

from .._common import TINY_NET


@pytest.fixture(scope="module")
def data():
    return make_emotional_speech(n_samples=12, random_state=0)


@pytest.fixture(scope="module")
def pipe(data):
    return make_ser_pipeline("lstm", n_frames=150, **TINY_NET).fit(
        list(data.data), data.target)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_draws_weights_and_waveform():
    weights = np.linspace(0.0, 1.0, 50)
    wave = np.sin(np.arange(8000) / 10.0).astype(np.float32)
    display = AttentionDisplay(weights, np.arange(50) * 0.01, waveform=wave,
                               sampling_rate=16000, label="ang",
                               probabilities={"ang": 0.7, "sad": 0.3}).plot()
    np.testing.assert_array_equal(display.line_.get_ydata(), weights)
    (wave_line,) = display.ax_.get_lines()
    np.testing.assert_allclose(wave_line.get_xdata()[-1], 7999 / 16000)
    assert "predicted: ang" in display.ax_.get_title()
    assert "sad 0.30" in display.ax_.get_title()


def test_plot_needs_a_sampling_rate_for_a_waveform():
    display = AttentionDisplay(np.ones(3), np.arange(3) * 0.01, waveform=np.zeros(10))
    with pytest.raises(ValueError, match="sampling_rate is required"):
        display.plot()


def test_from_estimator_on_a_waveform(pipe, data):
    x = data.data[0]
    display = AttentionDisplay.from_estimator(pipe, x)
    Xt = pipe[:-1].transform([x])
    expected = pipe[-1].attention_weights(Xt)[0]
    np.testing.assert_allclose(display.weights, expected)
    assert display.line_.get_ydata().shape == expected.shape
    np.testing.assert_allclose(display.frame_times[1], 0.01)
    np.testing.assert_array_equal(display.waveform, x)
    assert display.label == pipe.predict([x])[0]
    assert sum(display.probabilities.values()) == pytest.approx(1.0)


def test_from_estimator_reads_a_file_as_the_extractor_does(pipe, data, tmp_path):
    # a stereo file at 8 kHz: drawn mixed down and resampled to 16 kHz, the
    # samples the extractor computes its features from
    x = data.data[1]
    stereo = np.stack([x[::2], 0.5 * x[::2]], axis=1)
    path = tmp_path / "stereo_8k.wav"
    sf.write(path, stereo, 8000, subtype="FLOAT")
    display = AttentionDisplay.from_estimator(pipe, path)
    assert display.sampling_rate == 16000
    assert display.waveform.ndim == 1
    assert display.waveform.shape[0] == 2 * stereo.shape[0]
    expected = resample_poly(stereo.mean(axis=1), 2, 1)
    np.testing.assert_allclose(display.waveform, expected, atol=1e-6)
    n_frames = LLDExtractor().transform([path])[0].shape[0]
    assert display.weights.shape[0] == min(n_frames, 150)


def test_from_estimator_bad_file_same_error_as_extractor(pipe, tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF" + b"\x00garbage" * 20)
    with pytest.raises(ValueError) as extractor:
        LLDExtractor().transform([path])
    with pytest.raises(ValueError) as display:
        AttentionDisplay.from_estimator(pipe, path)
    assert str(display.value) == str(extractor.value)
    assert "not a readable audio file" in str(display.value)


def test_from_estimator_checks_the_estimator(pipe, data):
    with pytest.raises(TypeError, match="expects a fitted Pipeline"):
        AttentionDisplay.from_estimator(pipe[-1], data.data[0])
    no_attention = make_pipeline(FunctionTransformer())
    with pytest.raises(TypeError, match="FunctionTransformer, which has no attention weights"):
        AttentionDisplay.from_estimator(no_attention, data.data[0])


def test_from_estimator_needs_a_sampling_rate(pipe, data):
    # a pipeline whose first step does not say its sampling rate
    steps = [("identity", FunctionTransformer())] + pipe.steps
    wrapped = type(pipe)(steps)
    with pytest.raises(ValueError, match="sampling_rate is required"):
        AttentionDisplay.from_estimator(wrapped, data.data[0])
    display = AttentionDisplay.from_estimator(wrapped, data.data[0],
                                              sampling_rate=16000)
    assert display.sampling_rate == 16000


def _inside_figure(display, savefig_path):
    """Save with a plain savefig; the extents of the labels and the title."""
    fig = display.figure_
    fig.savefig(savefig_path)  # no bbox_inches="tight"
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    texts = [display.ax_.xaxis.label, display.ax_.yaxis.label,
             display.weights_ax_.yaxis.label, display.ax_.title]
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0, text.get_text()
        assert box.x1 <= width and box.y1 <= height, text.get_text()


def test_saved_figure_keeps_the_labels_inside(tmp_path):
    wave = np.sin(np.arange(48000) / 10.0).astype(np.float32)
    display = AttentionDisplay(np.linspace(0, 1, 300), np.arange(300) * 0.01,
                               waveform=wave, sampling_rate=16000, label="ang",
                               probabilities={"ang": 0.7, "sad": 0.3}).plot()
    _inside_figure(display, tmp_path / "attention.png")
    assert (tmp_path / "attention.png").stat().st_size > 0


def test_from_estimator_saved_figure_keeps_the_time_label(pipe, data, tmp_path):
    display = AttentionDisplay.from_estimator(pipe, data.data[0])
    _inside_figure(display, tmp_path / "attention.png")
    assert display.ax_.get_xlabel() == "time (s)"


def test_plot_on_given_axes_leaves_their_layout(tmp_path):
    fig, ax = plt.subplots()
    display = AttentionDisplay(np.ones(3), np.arange(3) * 0.01).plot(ax=ax)
    assert display.figure_ is fig and display.ax_ is ax
    assert fig.get_layout_engine() is None


def test_from_predictions_matches_from_estimator(pipe, data):
    x = data.data[0]
    expected = AttentionDisplay.from_estimator(pipe, x)
    Xt = pipe[:-1].transform([x])
    clf = pipe[-1]
    display = AttentionDisplay.from_predictions(
        clf.attention_weights(Xt)[0], waveform=x, sampling_rate=16000,
        probabilities=clf.predict_proba(Xt)[0], classes=clf.classes_)
    np.testing.assert_array_equal(display.weights, expected.weights)
    np.testing.assert_array_equal(display.frame_times, expected.frame_times)
    assert display.label == expected.label == pipe.predict([x])[0]
    assert display.probabilities == expected.probabilities
    assert display.ax_.get_title() == expected.ax_.get_title()


def test_from_predictions_options():
    weights = [0.1, 0.2, 0.7]
    display = AttentionDisplay.from_predictions(weights)
    np.testing.assert_allclose(display.frame_times, [0.0, 0.01, 0.02])
    assert display.label is None and display.probabilities is None
    assert display.ax_.get_title() == "attention weights"
    display = AttentionDisplay.from_predictions(
        weights, label="neu", probabilities={"neu": 0.4, "sad": 0.6},
        frame_step=0.02, color="tab:blue")
    assert display.label == "neu"  # given labels are kept
    np.testing.assert_allclose(display.frame_times, [0.0, 0.02, 0.04])
    assert display.line_.get_color() == "tab:blue"
    fig, ax = plt.subplots()
    display = AttentionDisplay.from_predictions(
        weights, probabilities=[0.9, 0.1], classes=["ang", "sad"], ax=ax)
    assert display.ax_ is ax and display.label == "ang"
    assert "ang 0.90" in ax.get_title()


@pytest.mark.parametrize("kwargs, match", [
    (dict(weights=np.ones((2, 3))), "non-empty 1-D array"),
    (dict(weights=[]), "non-empty 1-D array"),
    (dict(weights=[0.5, np.nan]), r"weights\[1\] is nan"),
    (dict(weights=["a", "b"]), "weights must be a 1-D array"),
    (dict(waveform=np.zeros(100)), "sampling_rate is required"),
    (dict(waveform=np.zeros(100), sampling_rate=0), "sampling_rate is required"),
    (dict(waveform=np.zeros((100, 2)), sampling_rate=16000), "waveform must be"),
    (dict(probabilities=[0.5, 0.5]), "give its classes too"),
    (dict(probabilities=[0.5, 0.5], classes=["a", "b", "c"]), "same length"),
    (dict(probabilities={"a": 1.0}, classes=["a"]), "one or the other"),
    (dict(classes=["a"]), "classes is given without probabilities"),
    (dict(frame_step=0), "frame_step must be"),
])
def test_from_predictions_bad_input(kwargs, match):
    kwargs = {"weights": [0.5, 0.5], **kwargs}
    with pytest.raises(ValueError, match=match):
        AttentionDisplay.from_predictions(kwargs.pop("weights"), **kwargs)


@pytest.mark.parametrize("targets", [1, 3])
def test_from_estimator_on_a_regression_pipeline(data, targets):
    y = np.asarray(data.dimensions)[:, :targets]
    y = y.ravel() if targets == 1 else y
    reg = make_ser_pipeline("lstm", n_frames=150, task="regression", **TINY_NET)
    reg.fit(list(data.data), y)
    display = AttentionDisplay.from_estimator(reg, data.data[0])
    Xt = reg[:-1].transform([data.data[0]])
    np.testing.assert_array_equal(display.weights, reg[-1].attention_weights(Xt)[0])
    values = np.atleast_1d(reg.predict([data.data[0]])[0])
    assert values.shape == (targets,)
    assert display.label == ", ".join(f"{v:.2f}" for v in values)
    assert display.probabilities is None
    assert display.ax_.get_title() == f"attention weights - predicted: {display.label}"
