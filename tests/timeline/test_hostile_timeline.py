"""The timeline and the streaming recogniser fed hostile rates and windows.

Part of the robustness suite (the cases are in ``tests/_cases.py``).
"""

import copy
import inspect
import re

import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

import sklearn_ser.timeline._frames as frames_module
from sklearn_ser import StreamingRecognizer, make_baseline_pipeline, predict_timeline
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.features._notes import AudioWarning
from sklearn_ser.features._opensmile import ENGINE

from ..test_robustness import covers


@pytest.fixture(scope="module")
def baseline():
    data = make_emotional_speech(n_samples=16, n_sessions=2, random_state=0)
    pipe = make_baseline_pipeline(LogisticRegression(max_iter=1000))
    return pipe.fit(list(data.data), data.target)


@pytest.fixture
def no_resampling(monkeypatch):
    """Fail a test that resamples or runs openSMILE."""
    def never(*args, **kwargs):
        raise AssertionError("the audio was resampled or reached openSMILE")

    monkeypatch.setattr(frames_module, "resample_blocks", never, raising=False)
    monkeypatch.setattr(ENGINE, "extract", never)


@covers("timeline-rate-bounds")
@pytest.mark.parametrize("rate", [1, 999, 768_001, 10**9])
def test_waveform_rates_outside_the_audio_rates_are_refused(baseline, no_resampling,
                                                            rate):
    x = np.zeros(16_000, np.float32)
    match = rf"sampling_rate={rate} Hz is outside 1000 to 768000 Hz"
    with pytest.raises(ValueError, match=match):
        predict_timeline(baseline, x, sampling_rate=rate)
    with pytest.raises(ValueError, match=match):
        StreamingRecognizer(baseline, sampling_rate=rate)


@covers("timeline-rate-bounds")
def test_the_extractor_rate_is_bounded_at_every_entry_point(baseline, no_resampling):
    pipe = clone(baseline).set_params(lld__sampling_rate=3_000_000)
    pipe.steps[1:] = baseline.steps[1:]  # fitted
    x = np.zeros(16_000, np.float32)
    match = (r"the sampling_rate of the LLDExtractor of the estimator given to "
             r"{}=3000000 Hz is outside 8000 to 768000 Hz")
    with pytest.raises(ValueError, match=match.format("predict_timeline")):
        predict_timeline(pipe, x)
    with pytest.raises(ValueError, match=match.format("StreamingRecognizer")):
        StreamingRecognizer(pipe)


@covers("timeline-rate-bounds")
def test_the_lowest_audio_rate_is_resampled_in_blocks(baseline, monkeypatch):
    calls = []
    real = frames_module.resample_blocks
    monkeypatch.setattr(frames_module, "resample_blocks",
                        lambda *a, **k: calls.append(a[1:]) or real(*a, **k))
    rng = np.random.default_rng(0)
    x = (0.3 * np.sin(2 * np.pi * 180 * np.arange(3000) / 1000)
         + 0.01 * rng.standard_normal(3000)).astype(np.float32)  # 3 s at 1 kHz
    with pytest.warns(AudioWarning, match="sampled at 1000 Hz"):
        table = predict_timeline(baseline, x, sampling_rate=1000, window=1.0,
                                 segmentation="fixed")
    assert calls == [(16, 1)]
    assert table["end"].iloc[-1] == pytest.approx(3.0, abs=0.02)
    assert np.allclose(table[list(baseline.classes_)].sum(axis=1), 1)


@covers("timeline-huge-window")
@pytest.mark.parametrize("window, hop", [(1e308, None), (10.0, 1e308),
                                         (86_400.5, None)])
def test_huge_windows_are_refused_without_overflow(baseline, no_resampling, window,
                                                   hop):
    name, value = ("hop", hop) if hop is not None else ("window", window)
    match = re.escape(f"{name}={value!r} s is longer than 86400 s (24 h)")
    x = np.zeros(16_000, np.float32)
    with pytest.raises(ValueError, match=match):
        predict_timeline(baseline, x, window=window, hop=hop)
    with pytest.raises(ValueError, match=match):
        StreamingRecognizer(baseline, window=window, hop=hop)


@covers("predict-non-finite-outputs")
@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_non_finite_probabilities_name_the_windows(baseline):
    import torch

    from sklearn_ser.pipeline._factories import make_ser_pipeline

    from .._common import TINY_NET

    data = make_emotional_speech(n_samples=8, n_sessions=2, random_state=0)
    recording = np.concatenate(data.data[:2])
    net = make_ser_pipeline("mean", n_frames=100, **TINY_NET).fit(
        list(data.data), data.target)
    with torch.no_grad():
        for weight in net["classifier"].module_.parameters():
            weight.mul_(1e30)
    huge = copy.deepcopy(baseline)
    huge[-1].coef_ = huge[-1].coef_ * 1e306  # scikit-learn's own NaN
    for model in (net, huge):
        with pytest.raises(ValueError, match=r"NaN or infinite probabilities for the "
                                             r"window\(s\) at 0\.00-1\.01 s, "
                                             r"0\.50-1\.51 s"):
            predict_timeline(model, recording, window=1.0, hop=0.5,
                             segmentation="fixed")
        stream = StreamingRecognizer(model, window=1.0, hop=0.5)
        with pytest.raises(ValueError, match="NaN or infinite probabilities"):
            stream.feed(recording)
            stream.flush()


@covers("audio-long-duration")
def test_the_timeline_has_its_own_bound_of_a_day(baseline, no_resampling, tmp_path):
    x = make_emotional_speech(n_samples=2, n_sessions=1, random_state=1).data[0]
    path = tmp_path / "clip.wav"
    sf.write(path, x, 16000, subtype="FLOAT")
    seconds = x.shape[0] / 16000
    bound = round(seconds / 2, 2)
    with pytest.raises(ValueError, match=rf"clip\.wav'\): its header declares "
                                         rf"{x.shape[0]} samples at 16000 Hz .*longer "
                                         rf"than max_duration={bound:g} s of "
                                         r"predict_timeline"):
        predict_timeline(baseline, path, max_duration=bound)
    with pytest.raises(ValueError, match=rf"audio: it holds {x.shape[0]} samples .*"
                                         rf"max_duration={bound:g} s"):
        predict_timeline(baseline, x, max_duration=bound)
    with pytest.raises(ValueError, match="max_duration"):
        predict_timeline(baseline, x, max_duration=-1)
    default = inspect.signature(predict_timeline).parameters["max_duration"].default
    assert default == 24 * 3600.0
