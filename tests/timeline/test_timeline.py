"""Tests of the timeline: predict_timeline, StreamingRecognizer, the speech detector
and the frames behind them (_timeline.py, _streaming.py, _speech.py)."""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from scipy.signal import resample_poly
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

import sklearn_ser.timeline._frames as frames_module
from benchmarks._common import majority_labels
from sklearn_ser import (
    LLDExtractor,
    StreamingRecognizer,
    make_baseline_pipeline,
    make_ser_pipeline,
    predict_timeline,
)
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.features._notes import AudioWarning
from sklearn_ser.features._opensmile import FEATURE_NAMES
from sklearn_ser.features._speech import speech_regions
from sklearn_ser.timeline._frames import FrameStream

from .._common import TINY_NET
from .._signals import SR, write

CLASSES = ["ang", "hap", "neu", "sad"]


@pytest.fixture(scope="module")
def corpus():
    return make_emotional_speech(48, n_sessions=2, random_state=0)


@pytest.fixture(scope="module")
def baseline(corpus):
    """A fast model with probabilities: functionals and logistic regression."""
    pipe = make_baseline_pipeline(LogisticRegression(max_iter=2000))
    return pipe.fit(list(corpus.data[:32]), corpus.target[:32])


@pytest.fixture(scope="module")
def net(corpus):
    return make_ser_pipeline("mean", n_frames=150, **TINY_NET).fit(
        list(corpus.data[:16]), corpus.target[:16])


def assemble(utterances, gaps, noise=0.0, seed=0):
    """A recording of utterances separated by silences; their spans in seconds."""
    rng = np.random.default_rng(seed)
    parts, spans, pos = [], [], 0
    for x, gap in zip(utterances, gaps, strict=True):
        n_gap = int(gap * SR)
        parts += [np.zeros(n_gap, np.float32), np.asarray(x, np.float32)]
        pos += n_gap
        spans.append((pos / SR, (pos + len(x)) / SR))
        pos += len(x)
    parts.append(np.zeros(SR, np.float32))
    rec = np.concatenate(parts)
    if noise:
        rec = np.clip(rec + rng.normal(0, noise, rec.shape), -1, 1)
    return rec.astype(np.float32), spans


@pytest.fixture(scope="module")
def recording(corpus):
    """About 35 s: eight held-out utterances, 1-2 s of silence between them."""
    rng = np.random.default_rng(1)
    utterances = list(corpus.data[32:40])
    return assemble(utterances, rng.uniform(1.0, 2.0, len(utterances)))


def concat(tables):
    return pd.concat(tables, ignore_index=True)


def assert_same_segments(got, expected):
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    np.testing.assert_allclose(got[["start", "end"]], expected[["start", "end"]],
                               atol=1e-9)
    assert got["label"].tolist() == expected["label"].tolist()
    classes = list(expected.columns[3:])
    np.testing.assert_allclose(got[classes], expected[classes], atol=1e-5)


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------


def test_fixed_segments_lie_on_the_frame_grid_and_cover_the_recording(
        baseline, recording):
    rec, _ = recording
    table = predict_timeline(baseline, rec, window=3.0, hop=1.0,
                             segmentation="fixed")
    assert list(table.columns) == ["start", "end", "label", *CLASSES]
    starts = table["start"].to_numpy() * 100
    np.testing.assert_allclose(starts, np.round(starts), atol=1e-9)
    # a window of 300 frames ends 15 ms after the start of its last frame
    np.testing.assert_allclose(table["end"] - table["start"], 2.99 + 0.025)
    assert table["start"].iloc[0] == 0
    np.testing.assert_allclose(np.diff(starts)[:-1], 100)
    n_frames = 1 + (len(rec) - 400) // 160
    assert table["end"].iloc[-1] == pytest.approx(((n_frames - 1) * 160 + 400) / SR)
    assert len(rec) / SR - table["end"].iloc[-1] < 0.01
    assert (table["start"].iloc[1:].to_numpy()
            <= table["end"].iloc[:-1].to_numpy()).all()  # no hole
    np.testing.assert_allclose(table[CLASSES].sum(axis=1), 1.0)
    assert set(table["label"]) <= set(CLASSES)
    assert (table["label"] == table[CLASSES].idxmax(axis=1)).all()


def test_vad_segments_cover_only_the_speech(baseline, recording):
    rec, spans = recording
    table = predict_timeline(baseline, rec, window=2.0, hop=1.0)
    assert len(table) >= len(spans)
    for start, end in zip(table["start"], table["end"], strict=True):
        inside = [a - 0.2 <= start and end <= b + 0.2 for a, b in spans]
        assert any(inside), f"segment {start}-{end} s outside the speech"
    for a, b in spans:  # every utterance has segments over most of it
        covered = sum(max(0.0, min(b, e) - max(a, s))
                      for s, e in zip(table["start"], table["end"], strict=True))
        assert covered >= 0.6 * (b - a)


def test_speech_regions_of_noisy_speech(corpus):
    rec, spans = assemble(list(corpus.data[40:44]), [2.0, 2.5, 2.0, 3.0],
                          noise=0.002)
    [frames] = LLDExtractor().transform([rec])
    regions = [(a / 100, b / 100) for a, b in speech_regions(frames)]
    assert regions
    for a, b in regions:
        assert any(s - 0.2 <= a and b <= e + 0.2 for s, e in spans)
    assert speech_regions(frames[:0]) == []


def test_vad_region_shorter_than_the_window_is_one_segment(baseline, corpus):
    rec, spans = assemble([corpus.data[40]], [1.0])
    table = predict_timeline(baseline, rec, window=30.0, hop=10.0)
    assert len(table) == 1
    assert table["start"].iloc[0] == pytest.approx(spans[0][0], abs=0.3)


def test_long_vad_regions_are_windowed(baseline, recording):
    rec, _ = recording
    table = predict_timeline(baseline, rec, window=0.5, hop=0.25)
    assert (table["end"] - table["start"] <= 0.515 + 1e-9).all()
    assert len(table) > 40


def test_features_are_computed_once_and_classified_together(
        baseline, recording, monkeypatch):
    rec, _ = recording
    calls = []
    rest_type = type(baseline[1:])
    original = rest_type.predict_proba

    def counting(self, X, **kwargs):
        calls.append(len(X))
        return original(self, X, **kwargs)

    monkeypatch.setattr(rest_type, "predict_proba", counting)
    extracted = []
    engine_extract = frames_module.ENGINE.extract

    def counting_extract(blocks, sampling_rate, size_hint=0):
        extracted.append(size_hint)
        return engine_extract(blocks, sampling_rate, size_hint)

    monkeypatch.setattr(frames_module.ENGINE, "extract", counting_extract)
    table = predict_timeline(baseline, rec, window=1.0, hop=0.5,
                             segmentation="fixed")
    assert calls == [len(table)]
    # one run per block of 10 s, each with at most 1 s of context on each side
    assert sum(extracted) <= len(rec) + 2 * 16000 * len(extracted)
    assert len(extracted) == int(np.ceil(len(rec) / 160 / 1000))


def test_frames_equal_the_extractor_on_the_whole_recording(recording):
    rec, _ = recording
    frames, duration, _ = frames_module.read_frames(rec, None, SR)
    [whole] = LLDExtractor().transform([rec])
    assert frames.shape == whole.shape
    assert duration == pytest.approx(len(rec) / SR)
    pitch = [FEATURE_NAMES.index("F0_sma"), FEATURE_NAMES.index("F0_sma_de")]
    others = np.setdiff1d(np.arange(32), pitch)
    np.testing.assert_allclose(frames[:, others], whole[:, others], atol=1e-5)
    # the pitch tracker's state: a few frames after a block boundary may differ
    same = np.isclose(frames[:, pitch], whole[:, pitch], atol=1e-4).all(axis=1)
    assert same.mean() > 0.97


@pytest.mark.parametrize("sizes", ["even", "random", "one"])
def test_frame_stream_does_not_depend_on_the_pieces(recording, sizes):
    rec, _ = recording
    rec = rec[:SR * 3] if sizes == "one" else rec
    reference = FrameStream(SR)
    expected = np.concatenate([reference.push(rec), reference.finish()])
    stream = FrameStream(SR)
    rng = np.random.default_rng(0)
    got, i = [], 0
    while i < len(rec):
        n = {"even": 4000, "one": 1}.get(sizes) or int(rng.integers(1, 50000))
        got.append(stream.push(rec[i:i + n]))
        i += n
    got.append(stream.finish())
    np.testing.assert_array_equal(np.concatenate(got), expected)


# ---------------------------------------------------------------------------
# Streaming
# ---------------------------------------------------------------------------


def stream_in(recognizer, rec, sizes):
    rng = np.random.default_rng(0)
    tables, i = [], 0
    while i < len(rec):
        n = sizes if isinstance(sizes, int) else int(rng.integers(1, 3 * SR))
        tables.append(recognizer.feed(rec[i:i + n]))
        i += n
    tables.append(recognizer.flush())
    return concat(tables)


@pytest.mark.parametrize("chunk", [160, SR, "random"])
def test_streaming_equals_the_offline_timeline(baseline, recording, chunk):
    rec, _ = recording
    expected = predict_timeline(baseline, rec, window=3.0, hop=1.5,
                                segmentation="fixed")
    got = stream_in(StreamingRecognizer(baseline, window=3.0, hop=1.5), rec, chunk)
    assert_same_segments(got, expected)


def test_streaming_one_sample_at_a_time(baseline, recording):
    rec = recording[0][int(1.5 * SR):int(3.5 * SR)]
    expected = predict_timeline(baseline, rec, window=1.0, hop=0.3,
                                segmentation="fixed")
    recognizer = StreamingRecognizer(baseline, window=1.0, hop=0.3)
    tables = [recognizer.feed(rec[i:i + 1]) for i in range(len(rec))]
    assert all(t.empty for t in tables[:len(rec) - 1000])  # frames come in blocks
    tables.append(recognizer.flush())
    assert_same_segments(concat(tables), expected)


def test_streaming_with_the_network(net, recording):
    rec, _ = recording
    expected = predict_timeline(net, rec, segmentation="fixed", hop=0.7)
    got = stream_in(StreamingRecognizer(net, hop=0.7), rec, "random")
    assert_same_segments(got, expected)
    assert got["end"].iloc[0] == pytest.approx(1.49 + 0.025)  # n_frames=150


def test_streaming_gives_segments_as_they_are_finished(baseline, recording):
    rec, _ = recording
    recognizer = StreamingRecognizer(baseline, window=2.0, hop=1.0)
    n_before_end = 0
    for i in range(0, len(rec), SR):
        table = recognizer.feed(rec[i:i + SR])
        n_before_end += len(table)
        # a segment is given out at most a block (10 s) and 1 s after its end
        assert (table["end"] <= (i + SR) / SR).all()
        assert (table["end"] >= (i + SR) / SR - 12).all()
    assert n_before_end > 0
    assert recognizer.n_samples_ == len(rec)
    recognizer.flush()
    assert recognizer.n_samples_ == 0  # ready for the next stream


def test_streaming_memory_is_bounded(baseline, recording):
    rec, _ = recording
    long = np.tile(rec, 4)  # about 2.5 minutes
    recognizer = StreamingRecognizer(baseline, window=2.0, hop=1.0)
    sizes = []
    for i in range(0, len(long), SR // 2):
        recognizer.feed(long[i:i + SR // 2])
        stream = recognizer._stream
        sizes.append((stream._kept_n, recognizer._frames.shape[0]))
    samples, frames = np.array(sizes).T
    # what is kept never exceeds a block of audio and its context, or a
    # window and a hop of frames with a block of new ones
    assert samples.max() <= (1000 + 2 * 100 + 3) * 160 + SR // 2
    assert frames.max() <= 200 + 100 + 1000
    first, last = slice(0, len(sizes) // 4), slice(-len(sizes) // 4, None)
    assert samples[last].max() <= samples[first].max() + SR
    assert frames[last].max() <= frames[first].max() + 100


def test_streaming_shorter_than_a_window_gives_nothing(baseline, recording):
    recognizer = StreamingRecognizer(baseline, window=5.0)
    assert recognizer.feed(recording[0][:SR]).empty
    table = recognizer.flush()
    assert table.empty and list(table.columns) == ["start", "end", "label", *CLASSES]


def test_streaming_bad_input(baseline):
    with pytest.raises(ValueError, match="sampling_rate=8000 Hz differs"):
        StreamingRecognizer(baseline, sampling_rate=8000)
    with pytest.raises(ValueError, match="hop"):
        StreamingRecognizer(baseline, window=1.0, hop=2.0)
    recognizer = StreamingRecognizer(baseline)
    with pytest.raises(ValueError, match="chunk .*NaN"):
        recognizer.feed(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match=r"chunk .*outside \[-1, 1\]"):
        recognizer.feed(np.array([0.0, 2.0]))
    with pytest.raises(TypeError, match="chunk .*dtype"):
        recognizer.feed(np.array(["a"]))
    with pytest.raises(ValueError, match="chunk .*shape"):
        recognizer.feed(np.zeros((2, 3, 4)))
    assert recognizer.feed(np.zeros(0)).empty
    assert recognizer.feed(np.zeros((100, 2), np.int16)).empty  # PCM, stereo


# ---------------------------------------------------------------------------
# Bad input and edge cases
# ---------------------------------------------------------------------------


def test_empty_and_silent_recordings_give_an_empty_table(baseline, tmp_path):
    for audio in (np.zeros(0, np.float32), np.zeros(300, np.float32)):
        for segmentation in ("vad", "fixed"):
            table = predict_timeline(baseline, audio, segmentation=segmentation)
            assert table.empty
            assert list(table.columns) == ["start", "end", "label", *CLASSES]
    silent = np.zeros(10 * SR, np.float32)
    assert predict_timeline(baseline, silent).empty
    assert predict_timeline(baseline, write(tmp_path / "silent.wav", silent)).empty
    assert predict_timeline(baseline, write(tmp_path / "empty.wav", silent[:0])).empty
    # fixed windows classify silence like any other audio
    assert len(predict_timeline(baseline, silent, segmentation="fixed")) == 3


def test_window_longer_than_the_recording(baseline, recording):
    rec = recording[0][:3 * SR]
    with pytest.raises(ValueError, match=r"window=5 s is longer than the "
                       r"recording \(3.00 s, 298 frames\)"):
        predict_timeline(baseline, rec, window=5.0, segmentation="fixed")
    assert len(predict_timeline(baseline, rec, window=2.98, segmentation="fixed")) == 1


@pytest.mark.parametrize("hop", [0, -1.0, 2.5])
def test_bad_hop(baseline, recording, hop):
    with pytest.raises(ValueError, match=f"hop={hop!r} s"):
        predict_timeline(baseline, recording[0], window=2.0, hop=hop)


def test_bad_window_and_segmentation(baseline, recording):
    rec = recording[0]
    with pytest.raises(ValueError, match=r"window=0.005 s is shorter than one frame"):
        predict_timeline(baseline, rec, window=0.005)
    with pytest.raises(ValueError, match="hop=0.001 s is shorter than one frame"):
        predict_timeline(baseline, rec, window=1.0, hop=0.001)
    with pytest.raises(TypeError, match="window must be a finite number"):
        predict_timeline(baseline, rec, window="5")
    with pytest.raises(TypeError, match="hop must be a finite number"):
        predict_timeline(baseline, rec, hop=float("nan"))
    with pytest.raises(ValueError, match="segmentation must be one of"):
        predict_timeline(baseline, rec, segmentation="energy")


def test_default_window_is_the_training_length(baseline, net, recording):
    rec = recording[0]
    table = predict_timeline(net, rec, segmentation="fixed")  # PadCrop(150)
    assert (table["end"] - table["start"]).iloc[0] == pytest.approx(1.515)
    assert table["start"].iloc[1] == pytest.approx(0.75)
    table = predict_timeline(baseline, rec, segmentation="fixed")  # no PadCrop: 5 s
    assert (table["end"] - table["start"]).iloc[0] == pytest.approx(5.015)


def test_bad_estimators(baseline, corpus, recording):
    rec = recording[0]
    with pytest.raises(TypeError, match="first step of estimator is "
                       "FunctionTransformer"):
        predict_timeline(make_pipeline(FunctionTransformer(), LogisticRegression()),
                         rec)
    with pytest.raises(TypeError, match="estimator must be a fitted Pipeline"):
        predict_timeline(LogisticRegression(), rec)
    with pytest.raises(NotFittedError):
        predict_timeline(make_baseline_pipeline(LogisticRegression()), rec)
    with pytest.raises(NotFittedError):
        StreamingRecognizer(make_baseline_pipeline(LogisticRegression()))
    svc = make_baseline_pipeline(SVC()).fit(list(corpus.data[:16]),
                                            corpus.target[:16])
    with pytest.raises(TypeError, match="no predict_proba.*CalibratedClassifierCV"):
        predict_timeline(svc, rec)


def test_speaker_normalised_pipelines_are_refused(corpus, recording):
    X = pd.DataFrame({"audio": list(corpus.data[:16]),
                      "speaker": corpus.speakers[:16]})
    pipe = make_baseline_pipeline(LogisticRegression(), normalization="speaker")
    pipe.fit(X, corpus.target[:16])
    with pytest.raises(ValueError, match="speaker-normalised"):
        predict_timeline(pipe, recording[0])


def test_files_are_read_like_the_extractor(baseline, recording, tmp_path):
    rec = recording[0][:8 * SR]
    stereo = np.stack([rec, 0.5 * rec], axis=1)
    from_stereo = predict_timeline(baseline, write(tmp_path / "s.wav", stereo,
                                                   subtype="FLOAT"),
                                   window=2.0, segmentation="fixed")
    mono = predict_timeline(baseline, 0.75 * rec, window=2.0, segmentation="fixed")
    assert_same_segments(from_stereo, mono)
    low = resample_poly(rec, 1, 2).astype(np.float32)
    with pytest.warns(AudioWarning, match="sampled at 8000 Hz"):
        from_8k = predict_timeline(baseline, write(tmp_path / "low.wav", low,
                                                   sr=8000, subtype="FLOAT"),
                                   window=2.0, segmentation="fixed")
    with pytest.warns(AudioWarning, match="sampled at 8000 Hz"):
        from_array = predict_timeline(baseline, low, sampling_rate=8000,
                                      window=2.0, segmentation="fixed")
    assert_same_segments(from_8k, from_array)
    assert from_8k["end"].iloc[-1] == pytest.approx(8.0, abs=0.02)


def test_bad_audio(baseline, tmp_path):
    missing = str(tmp_path / "missing.wav")
    with pytest.raises(ValueError, match="missing.wav.*file not found"):
        predict_timeline(baseline, missing)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(ValueError, match="corrupt.wav.*not a readable audio file"):
        predict_timeline(baseline, corrupt)
    with pytest.raises(ValueError, match=r"audio: sample 3 is nan"):
        predict_timeline(baseline, np.array([0, 0, 0, np.nan, 0.0] * 200))
    with pytest.raises(TypeError, match="audio has dtype"):
        predict_timeline(baseline, ["a.wav", "b.wav"])
    with pytest.raises(ValueError, match=r"sampling_rate=0 Hz is outside 1000 to "
                                         r"768000 Hz"):
        predict_timeline(baseline, np.zeros(SR), sampling_rate=0)
    x = np.zeros(SR, np.float32)
    x[5] = 40.0
    sf.write(tmp_path / "loud.wav", x, SR, subtype="FLOAT")
    with pytest.raises(ValueError, match="loud.wav.*sample 5.*outside"):
        predict_timeline(baseline, tmp_path / "loud.wav")


# ---------------------------------------------------------------------------
# Agreement with predict on the utterances
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def utterance_model():
    """A small network fitted on 48 utterances, and 16 held-out utterances."""
    data = make_emotional_speech(64, n_sessions=2, random_state=0)
    params = dict(TINY_NET, max_epochs=10, hidden_units=16, lstm_units=8)
    pipe = make_ser_pipeline("mean", n_frames=300, **params).fit(
        list(data.data[:48]), data.target[:48])
    return pipe, list(data.data[48:64])


def test_timeline_agrees_with_predict_on_the_utterances(utterance_model):
    """The issue's acceptance: the majority label of the timeline over each
    utterance is the label predict gives the utterance alone (same model)."""
    pipe, utterances = utterance_model
    rng = np.random.default_rng(2)
    rec, spans = assemble(utterances, rng.uniform(1.0, 2.0, len(utterances)))
    table = predict_timeline(pipe, rec)
    alone = pipe.predict(utterances)
    assert len(set(alone)) >= 2  # not a constant model
    agree = np.mean([a == b for a, b in zip(majority_labels(table, spans), alone,
                                            strict=True)])
    assert agree >= 0.8


def test_timeline_follows_utterances_separated_by_short_pauses(utterance_model):
    """Utterances 0.3-0.5 s apart: each is classified as itself (the segments
    follow the speech regions, none straddles two utterances)."""
    pipe, utterances = utterance_model
    rng = np.random.default_rng(3)
    rec, spans = assemble(utterances, rng.uniform(0.3, 0.5, len(utterances)))
    table = predict_timeline(pipe, rec)
    for start, end in zip(table["start"], table["end"], strict=True):
        assert sum(min(b, end) - max(a, start) > 0.05 for a, b in spans) <= 1
    alone = pipe.predict(utterances)
    agree = np.mean([a == b for a, b in zip(majority_labels(table, spans), alone,
                                            strict=True)])
    assert agree >= 0.8


def test_timeline_finds_speech_where_predict_sees_speech(baseline, tmp_path):
    """The two tools share one detector: every real clip that the predict check
    passes has a timeline segment, also in noise."""
    import warnings

    from sklearn_ser.features._speech import speech_problem

    from .._signals import real_speech, with_noise

    warnings.simplefilter("ignore", AudioWarning)  # 8 kHz recordings
    for path in real_speech():
        [frames] = LLDExtractor().transform([path])
        assert speech_problem(frames) is None
        assert not predict_timeline(baseline, path).empty
        x, rate = sf.read(path, dtype="float32")
        noisy = write(tmp_path / f"noisy_{len(x)}.wav", with_noise(x, 10, seed=4),
                      sr=rate)
        assert not predict_timeline(baseline, noisy).empty


def test_narrowband_and_clipped_audio_warn_once(baseline, recording, tmp_path):
    rec = recording[0][:4 * SR]
    low = resample_poly(rec, 1, 2).astype(np.float32)
    path = write(tmp_path / "phone.wav", low, sr=8000)
    for audio, kwargs in ((path, {}), (low, {"sampling_rate": 8000})):
        with pytest.warns(AudioWarning, match="sampled at 8000 Hz") as caught:
            predict_timeline(baseline, audio, **kwargs)
        assert sum(issubclass(w.category, AudioWarning) for w in caught) == 1
    clipped = np.clip(rec * 50, -1, 1)
    with pytest.warns(AudioWarning, match="at full scale: a clipped recording"):
        predict_timeline(baseline, clipped)
    recognizer = StreamingRecognizer(baseline, window=2.0)
    recognizer.feed(clipped)
    with pytest.warns(AudioWarning, match="stream: .* a clipped recording"):
        recognizer.flush()


def test_every_entry_point_takes_and_refuses_the_same_arrays(baseline, recording):
    """One input check: LLDExtractor, predict_timeline and StreamingRecognizer."""
    rec = recording[0][:2 * SR]
    wide = rec.astype(np.int64)
    over = rec.astype(np.float64)
    over[10] = 1.01
    entries = {
        "LLDExtractor": lambda x: LLDExtractor().transform([x]),
        "predict_timeline": lambda x: predict_timeline(baseline, x,
                                                       segmentation="fixed",
                                                       window=1.0),
        "StreamingRecognizer": lambda x: StreamingRecognizer(baseline).feed(x),
    }
    for call in entries.values():
        with pytest.raises(TypeError, match="dtype int64; integer waveforms are "
                                            "taken as PCM only"):
            call(wide)
        with pytest.raises(ValueError, match=r"sample 10 is 1.01.*outside \[-1, 1\]"
                                             r".*clip=True"):
            call(over)
    baseline.steps[0][1].set_params(clip=True)  # the extractor's clip applies
    try:
        predict_timeline(baseline, over, segmentation="fixed", window=1.0)
        StreamingRecognizer(baseline).feed(over)
    finally:
        baseline.steps[0][1].set_params(clip=False)
