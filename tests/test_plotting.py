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

from ._common import TINY_NET


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
    with pytest.raises(TypeError, match="no attention_weights method"):
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
