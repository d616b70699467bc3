"""The timeline, the streaming recogniser and the speech detector with the
eGeMAPS and ComParE feature sets (_frames.py, _segments.py, _streaming.py)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_ser import (
    LLDExtractor,
    StreamingRecognizer,
    make_baseline_pipeline,
    predict_timeline,
)
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.features._feature_sets import get_feature_set
from sklearn_ser.features._speech import detector_frames, speech_problem
from sklearn_ser.timeline._frames import read_frames, read_recording

from .._signals import SR

SETS = ("egemaps", "compare")

# ComParE's deltas of the LLDs smoothed over voiced frames (openSMILE's
# cDeltaRegression with onlyInSegments=1) shrink with the time since the
# start of the openSMILE run; a timeline computes frames in runs of 10 s.
POSITION_DEPENDENT = [f"{c}_sma_de" for c in (
    "F0final", "voicingFinalUnclipped", "jitterLocal", "jitterDDP", "shimmerLocal",
    "logHNR")]


@pytest.fixture(scope="module")
def corpus():
    return make_emotional_speech(40, n_sessions=2, random_state=0)


@pytest.fixture(scope="module")
def recording(corpus):
    """About 25 s: six utterances with 1-1.5 s of silence before each."""
    rng = np.random.default_rng(2)
    parts, spans, pos = [], [], 0
    for x in corpus.data[32:38]:
        gap = int(rng.uniform(1.0, 1.5) * SR)
        parts += [np.zeros(gap, np.float32), np.asarray(x, np.float32)]
        spans.append(((pos + gap) / SR, (pos + gap + len(x)) / SR))
        pos += gap + len(x)
    parts.append(np.zeros(SR, np.float32))
    return np.concatenate(parts), spans


def _baseline(corpus, feature_set):
    pipe = make_baseline_pipeline(LogisticRegression(max_iter=3000))
    pipe.set_params(lld__feature_set=feature_set)
    return pipe.fit(list(corpus.data[:32]), corpus.target[:32])


@pytest.fixture(scope="module")
def models(corpus):
    return {name: _baseline(corpus, name) for name in ("is09", *SETS)}


@pytest.mark.parametrize("name", SETS)
def test_frames_of_a_recording_equal_the_extractor(recording, name):
    rec, _ = recording
    frames, duration, _ = read_frames(rec, None, SR, feature_set=name)
    [whole] = LLDExtractor(feature_set=name).transform([rec])
    assert frames.shape == whole.shape == (1 + (len(rec) - 960) // 160,
                                           get_feature_set(name).n_features)
    assert duration == pytest.approx(len(rec) / SR)
    names = list(get_feature_set(name).feature_names)
    moving = [names.index(c) for c in POSITION_DEPENDENT if c in names]
    rest = np.setdiff1d(np.arange(len(names)), moving)
    scale = whole.std(axis=0) + 1e-6
    # RASTA filtering carries state across the runs: within 5 % of a
    # feature's spread after a run boundary, equal elsewhere
    diff = np.abs(frames[:, rest] - whole[:, rest]) / scale[rest]
    assert diff.max() < 0.05
    assert np.mean(diff < 1e-4) > 0.99
    if moving:  # these restart in each run of 10 s: larger than in one pass
        late = slice(1500, None)
        assert (np.abs(frames[late][:, moving]).mean()
                > 2 * np.abs(whole[late][:, moving]).mean())


@pytest.mark.parametrize("name", SETS)
def test_fixed_timeline_and_streaming(models, recording, name):
    rec, _ = recording
    pipe = models[name]
    table = predict_timeline(pipe, rec, window=3.0, hop=1.5, segmentation="fixed")
    classes = list(pipe.classes_)
    np.testing.assert_allclose(table[classes].sum(axis=1), 1.0)
    # a window of 300 frames ends 60 ms after the start of its last frame
    np.testing.assert_allclose(table["end"] - table["start"], 2.99 + 0.06)
    n_frames = 1 + (len(rec) - 960) // 160
    assert table["end"].iloc[-1] == pytest.approx(((n_frames - 1) * 160 + 960) / SR)
    stream = StreamingRecognizer(pipe, window=3.0, hop=1.5)
    parts = [stream.feed(rec[i:i + 7000]) for i in range(0, len(rec), 7000)]
    parts.append(stream.flush())
    streamed = pd.concat(parts, ignore_index=True)
    np.testing.assert_allclose(streamed[["start", "end"]], table[["start", "end"]])
    np.testing.assert_allclose(streamed[classes], table[classes], atol=1e-6)


@pytest.mark.parametrize("name", SETS)
def test_vad_uses_the_same_detector_as_is09(models, recording, name):
    rec, spans = recording
    ours = predict_timeline(models[name], rec, window=2.0, hop=1.0)
    is09 = predict_timeline(models["is09"], rec, window=2.0, hop=1.0)
    assert len(ours) == len(is09) >= len(spans)
    np.testing.assert_allclose(ours["start"], is09["start"])
    # the same last frames; the window of this set is 35 ms longer
    np.testing.assert_allclose(ours["end"] - is09["end"], 0.035, atol=1e-9)
    # the detector's frames: those of an IS09 timeline, cut to this set's count
    found = read_recording(rec, None, SR, feature_set=name, detection=True)
    is09_frames, _, _ = read_frames(rec, None, SR)
    assert found.detection.shape == (found.frames.shape[0], 32)
    assert is09_frames.shape[0] - found.frames.shape[0] in (3, 4)
    np.testing.assert_array_equal(found.detection,
                                  is09_frames[:found.frames.shape[0]])
    assert read_recording(rec, None, SR, feature_set=name).detection is None


@pytest.mark.parametrize("name", SETS)
def test_the_speech_check_reads_is09_frames(corpus, name):
    extractor = LLDExtractor(feature_set=name)
    x = np.asarray(corpus.data[0])
    [frames] = extractor.transform([x])
    with pytest.raises(ValueError, match="detector_frames computes them"):
        speech_problem(frames, extractor.get_feature_names_out())
    found = detector_frames(extractor, x, frames)
    np.testing.assert_array_equal(found, LLDExtractor().transform([x])[0])
    assert speech_problem(found) is None
    silence = np.zeros(SR, np.float32)
    [quiet] = extractor.transform([silence])
    assert "silence" in speech_problem(detector_frames(extractor, silence, quiet))
    is09 = LLDExtractor()
    [own] = is09.transform([x])
    assert detector_frames(is09, x, own) is own  # no second pass for IS09
