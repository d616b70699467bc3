import numpy as np
import pytest

from sklearn_ser import LLDExtractor
from sklearn_ser._voicing import speech_problem
from sklearn_ser.datasets import make_emotional_speech

SR = 16000


@pytest.fixture(scope="module")
def extractor():
    return LLDExtractor(sampling_rate=SR).fit([])


def _problem(extractor, signal):
    frames = extractor.transform([np.asarray(signal, dtype=np.float32)])[0]
    return speech_problem(frames, extractor.get_feature_names_out())


def test_speech_passes(extractor):
    data = make_emotional_speech(n_samples=10, random_state=0)
    assert [_problem(extractor, x) for x in data.data] == [None] * 10


@pytest.mark.parametrize("kind, reason", [
    ("silence", "no voiced frame"),
    ("noise", "no voiced frame"),
    ("tone", "a steady tone (pitch 22"),
    ("short", "too short to hold speech"),
])
def test_non_speech_is_named(extractor, kind, reason):
    t = np.arange(2 * SR) / SR
    signal = {
        "silence": np.zeros(2 * SR),
        "noise": 0.1 * np.random.default_rng(0).standard_normal(2 * SR),
        "tone": 0.5 * np.sin(2 * np.pi * 220 * t),
        "short": 0.5 * np.sin(2 * np.pi * 220 * t[: SR // 20]),
    }[kind]
    assert reason in _problem(extractor, signal)


def test_a_tone_with_vibrato_is_not_a_steady_tone(extractor):
    t = np.arange(2 * SR) / SR
    assert _problem(extractor, 0.5 * np.sin(2 * np.pi * 220 * t
                                            + 3 * np.sin(2 * np.pi * 5 * t))) is None


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="'voiceProb_sma'"):
        speech_problem(np.zeros((20, 2)), ["F0_sma", "pcm_RMSenergy_sma"])
