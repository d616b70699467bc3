"""Robustness suite: every public entry point fed the bad inputs users produce.

Each case ends in its documented behaviour: a clear error that names the
culprit (``error``), or a documented handling that the test checks
(``handled``). Cases marked ``bug`` show a defect of the library: their test
is ``xfail(strict=True)`` and flips when the defect is fixed.

``CASES`` is the single source of the table in ``docs/robustness_table.rst``;
run ``python -m tests.test_robustness`` to write the table again after
changing a case.
"""

import copy
import importlib
import json
import os
import pickle
import re
import shutil
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from scipy.signal import resample_poly
from sklearn.exceptions import NotFittedError
from sklearn.metrics import balanced_accuracy_score
from skorch.callbacks import Callback

from sklearn_ser import (
    SCORING,
    LLDExtractor,
    NeutralStandardScaler,
    PadCrop,
    SERClassifier,
    load,
    save,
)
from sklearn_ser._cli import main
from sklearn_ser.datasets import (
    load_csv,
    load_emodb,
    load_iemocap,
    load_ravdess,
    make_emotional_speech,
    write_iemocap_layout,
)
from sklearn_ser.features._audio import n_frames
from sklearn_ser.features._opensmile import ENGINE
from sklearn_ser.pipeline._factories import make_ser_pipeline

from ._cases import BUG, ERROR, HANDLED, HOSTILE, HOSTILE_MODULES, Case
from ._common import TINY_NET

# ---------------------------------------------------------------------------
# The cases (the docs table is generated from this list)
# ---------------------------------------------------------------------------

CASES = [
    # -- feature extraction -------------------------------------------------
    Case("lld-missing-file", "LLDExtractor", "path of a file that does not exist",
         "``ValueError`` naming ``X[i]`` and the path: file not found", ERROR),
    Case("lld-directory", "LLDExtractor", "path of a directory",
         "``ValueError`` naming ``X[i]`` and the path: is a directory", ERROR),
    Case("lld-corrupt-file", "LLDExtractor", "``.wav`` file of random bytes",
         "``ValueError`` naming the file: not a readable audio file "
         "(soundfile's reason)", ERROR),
    Case("lld-truncated-file", "LLDExtractor",
         "WAV file cut in the middle of its data (interrupted copy)",
         "read up to its last complete sample, as libsndfile does; the features "
         "are those of the audio present", HANDLED),
    Case("lld-zero-length-array", "LLDExtractor", "waveform with no samples",
         "``ValueError`` naming ``X[i]``: zero-length audio, at least 400 "
         "samples expected", ERROR),
    Case("lld-zero-length-file", "LLDExtractor", "WAV file with no samples",
         "``ValueError`` naming the file: zero-length audio", ERROR),
    Case("lld-10ms-array", "LLDExtractor", "10 ms waveform (160 samples)",
         "``ValueError`` naming ``X[i]``: shorter than one 25 ms analysis window",
         ERROR),
    Case("lld-10ms-file", "LLDExtractor", "10 ms WAV file",
         "``ValueError`` naming the file: shorter than one 25 ms analysis window",
         ERROR),
    Case("lld-int16", "LLDExtractor", "``int16`` PCM waveform",
         "scaled by 1/32768; same features as the float waveform", HANDLED),
    Case("lld-int32", "LLDExtractor", "``int32`` PCM waveform",
         "scaled by 1/2**31; same features as the float waveform", HANDLED),
    Case("lld-out-of-range-array", "LLDExtractor",
         "float waveform with samples outside [-1, 1]",
         "``ValueError`` naming ``X[i]``, the first bad sample index and value, "
         "and ``clip=True`` (which clips samples up to +-2)", ERROR),
    Case("lld-out-of-range-file", "LLDExtractor",
         "float WAV file with samples beyond +-2 (not scaled to [-1, 1])",
         "``ValueError`` naming the file, sample index and value", ERROR),
    Case("lld-decoder-overshoot", "LLDExtractor / predict_timeline / sklearn-ser "
         "predict",
         "MP3, Vorbis or Opus file whose decoded samples overshoot [-1, 1] by a "
         "few per cent",
         "samples up to +-2 clipped to [-1, 1]; no warning unless the "
         "recording is clipped", HANDLED),
    Case("lld-clipped-recording", "LLDExtractor / predict_timeline / "
         "StreamingRecognizer",
         "recording with more than 0.1 % of its samples at full scale",
         "used, with one ``AudioWarning`` per call naming the inputs and their "
         "share at full scale", HANDLED),
    Case("lld-unreadable-container", "LLDExtractor",
         "MP4/M4A (AAC), ADTS AAC, WMA, WebM or AMR file",
         "``ValueError`` naming the file, its format and the readable formats",
         ERROR),
    Case("timeline-int64-array", "predict_timeline / StreamingRecognizer",
         "``int64`` waveform (or a float waveform outside [-1, 1])",
         "the ``TypeError`` (``ValueError``) of ``LLDExtractor``: one input "
         "check for every entry point", ERROR),
    Case("lld-nan-array", "LLDExtractor", "waveform with a NaN sample",
         "``ValueError`` naming ``X[i]`` and the sample index", ERROR),
    Case("lld-inf-array", "LLDExtractor", "waveform with an inf sample",
         "``ValueError`` naming ``X[i]`` and the sample index", ERROR),
    Case("lld-nan-file", "LLDExtractor", "float WAV file with a NaN sample",
         "``ValueError`` naming the file and the sample index", ERROR),
    Case("lld-stereo-array", "LLDExtractor", "``(n_samples, 2)`` waveform",
         "channels averaged to mono; same features as the mean waveform", HANDLED),
    Case("lld-stereo-file", "LLDExtractor", "stereo WAV file",
         "channels averaged to mono; same features as the mean waveform", HANDLED),
    Case("lld-channels-first", "LLDExtractor", "``(2, n_samples)`` waveform",
         "``ValueError`` naming ``X[i]`` and its shape, suggesting ``.T``", ERROR),
    Case("lld-8khz-file", "LLDExtractor", "8 kHz WAV file",
         "resampled to 16 kHz (``resample_poly``); documented frame count; one "
         "``AudioWarning`` per call naming the narrowband files", HANDLED),
    Case("lld-44khz-file", "LLDExtractor", "44.1 kHz WAV file",
         "resampled to 16 kHz (``resample_poly``); documented frame count", HANDLED),
    Case("lld-8khz-array", "LLDExtractor", "8 kHz waveform, ``sampling_rate=8000``",
         "features computed at 8 kHz (200-sample window, 80-sample step)", HANDLED),
    Case("lld-long-file", "LLDExtractor", "10-minute 16 kHz WAV file",
         "decoded in blocks: Python-side peak memory below the features + 8 MB; "
         "process peak below 2.5 x the float32 signal", HANDLED),
    Case("lld-unicode-path", "LLDExtractor",
         "path with spaces, accents and an emoji",
         "read like any other path; same features as the waveform", HANDLED),
    Case("lld-single-path", "LLDExtractor", "one path string instead of a list",
         "``TypeError``: pass a list, e.g. ``[X]``", ERROR),
    Case("lld-mixed-input", "LLDExtractor", "list mixing paths and waveforms",
         "``TypeError`` naming the first path and the first waveform", ERROR),
    Case("lld-several-bad-files", "LLDExtractor",
         "one good, one missing and one corrupt file, with a cache",
         "one ``ValueError`` naming every bad file; the good file is cached and "
         "the next call extracts only the fixed ones", ERROR),
    # -- pad/crop -------------------------------------------------------------
    Case("padcrop-before-fit", "PadCrop", "``transform`` before ``fit``",
         "``NotFittedError``", ERROR),
    Case("padcrop-feature-mismatch", "PadCrop", "other feature count than in fit",
         "``ValueError`` naming both feature counts", ERROR),
    Case("padcrop-zero-frames", "PadCrop -> SERClassifier",
         "sequence with no frames, NaN padding",
         "``ValueError`` naming ``X[i]`` (in a pipeline: before the network sees "
         "it)", ERROR),
    Case("padcrop-zero-frames-zero-fill", "PadCrop",
         "sequence with no frames, ``fill_value=0.0``",
         "``ValueError`` naming ``X[i]``", ERROR),
    # -- scaler ---------------------------------------------------------------
    Case("scaler-before-fit", "NeutralStandardScaler", "``transform`` before ``fit``",
         "``NotFittedError``", ERROR),
    Case("scaler-no-neutral", "NeutralStandardScaler",
         "labels without the neutral label",
         "``ValueError`` listing the labels seen, suggesting ``neutral_label``",
         ERROR),
    Case("scaler-inf", "NeutralStandardScaler", "features with inf",
         "``ValueError`` naming the first sample with inf", ERROR),
    Case("scaler-feature-mismatch", "NeutralStandardScaler",
         "other feature count than in fit",
         "``ValueError`` naming both feature counts", ERROR),
    Case("scaler-constant-feature", "NeutralStandardScaler",
         "feature constant over the neutral utterances (e.g. silence)",
         "scale 1 for that feature (as ``StandardScaler``); finite output", HANDLED),
    # -- classifier -------------------------------------------------------------
    Case("clf-before-fit", "SERClassifier",
         "``predict``, ``predict_proba``, ``attention_weights`` before ``fit``",
         "``NotFittedError``", ERROR),
    Case("clf-unseen-label-partial-fit", "SERClassifier",
         "``partial_fit`` with a label unseen at fit",
         "``ValueError`` naming the label and the classes", ERROR),
    Case("clf-label-outside-classes", "SERClassifier",
         "``classes=`` that lacks a label of ``y``",
         "``ValueError`` naming the label and the classes", ERROR),
    Case("clf-single-class", "SERClassifier", "``y`` with one class",
         "``ValueError``: at least 2 classes needed", ERROR),
    Case("clf-missing-labels", "SERClassifier", "``y`` with a None or NaN label",
         "``ValueError`` naming the first sample with a missing label", ERROR),
    Case("clf-partial-nan-frame", "SERClassifier",
         "valid frame with some NaN features",
         "``ValueError`` naming the sample and the frame", ERROR),
    Case("clf-all-padding", "SERClassifier", "sample whose frames are all NaN",
         "``ValueError`` naming the sample", ERROR),
    Case("clf-inf", "SERClassifier", "features with inf",
         "``ValueError`` naming the first sample with inf", ERROR),
    Case("clf-2d-input", "SERClassifier", "2-D array instead of 3-D",
         "``ValueError``: expected a 3-D array, suggests ``PadCrop``", ERROR),
    Case("clf-feature-mismatch", "SERClassifier",
         "other feature count than in fit",
         "``ValueError`` naming both feature counts", ERROR),
    # -- pipeline ---------------------------------------------------------------
    Case("pipe-before-fit", "make_ser_pipeline",
         "``predict`` / ``predict_proba`` before ``fit``", "``NotFittedError``",
         ERROR),
    Case("pipe-missing-file", "make_ser_pipeline", "missing file at predict",
         "``ValueError`` naming ``X[i]`` and the path", ERROR),
    Case("pipe-unseen-label-scoring", "make_ser_pipeline + SCORING",
         "test labels include a class unseen at fit",
         "scored as errors: WA counts them wrong, UA averages the recalls of the "
         "classes of ``y_true`` (recall 0 for the unseen one)", HANDLED),
    # -- loaders ----------------------------------------------------------------
    Case("iemocap-missing-root", "load_iemocap", "root that does not exist",
         "``FileNotFoundError`` naming the root and the expected layout", ERROR),
    Case("iemocap-root-is-file", "load_iemocap", "root that is a file",
         "``ValueError`` naming the root and the expected layout", ERROR),
    Case("iemocap-not-a-tree", "load_iemocap", "folder without Session* folders",
         "``ValueError`` naming the folder and the expected layout", ERROR),
    Case("iemocap-bad-label-line", "load_iemocap",
         "EmoEvaluation file with a garbled line",
         "``ValueError`` naming the file and the line number", ERROR),
    Case("iemocap-missing-wav", "load_iemocap", "labelled utterance without wav",
         "``FileNotFoundError`` naming the wav, the label file and line", ERROR),
    Case("iemocap-unicode-root", "load_iemocap",
         "root with spaces and accents",
         "loads; absolute file names that the extractor reads", HANDLED),
    Case("emodb-missing-root", "load_emodb", "root that does not exist",
         "``FileNotFoundError`` naming the root and the expected layout", ERROR),
    Case("emodb-foreign-files", "load_emodb", "folder of wavs with other names",
         "``ValueError`` naming the first file that is not an EmoDB name", ERROR),
    Case("ravdess-missing-root", "load_ravdess", "root that does not exist",
         "``FileNotFoundError`` naming the root and the expected layout", ERROR),
    Case("csv-missing-file", "load_csv", "label file that does not exist",
         "``FileNotFoundError`` (also a ``ValueError``) naming the file", ERROR),
    Case("csv-unknown-column", "load_csv", "column name not in the header",
         "``ValueError`` naming the column, the parameter and the columns there "
         "are", ERROR),
    Case("csv-missing-audio", "load_csv", "rows whose audio file does not exist",
         "``FileNotFoundError`` (also a ``ValueError``): the count, the first "
         "five files and their lines", ERROR),
    Case("csv-empty-label", "load_csv", "row with an empty label",
         "``ValueError`` naming the column and the lines", ERROR),
    Case("csv-duplicate-file", "load_csv",
         "the same audio file on two rows (also spelled differently)",
         "``ValueError`` naming the file and both lines", ERROR),
    Case("synthetic-bad-size", "make_emotional_speech",
         "``n_samples=0``, or fewer utterances than speakers",
         "``ValueError`` naming ``n_samples`` (and the minimum)", ERROR),
    # -- model files ------------------------------------------------------------
    Case("load-truncated-model", "load", "model file cut short",
         "``ValueError``: not a model file or damaged (truncated?)", ERROR),
    Case("load-foreign-object", "load",
         "model file with a pickle smuggled in (extra member, or as the arrays)",
         "``ValueError`` naming the member; the pickle is never run", ERROR),
    Case("load-pickle-file", "load", "pickle / joblib file of a pipeline",
         "``ValueError``: pickle or joblib files are refused", ERROR),
    Case("save-interrupted", "save", "``KeyboardInterrupt`` while writing",
         "atomic write: the previous file is intact, no temporary file left",
         HANDLED),
    # -- command line -----------------------------------------------------------
    Case("cli-missing-model", "sklearn-ser predict", "model path that does not exist",
         "exit status 1, one line naming the model path", ERROR),
    Case("cli-truncated-model", "sklearn-ser predict", "truncated model file",
         "exit status 1, one line: damaged (truncated?)", ERROR),
    Case("cli-foreign-model", "sklearn-ser predict",
         "model file with a pickle inside", "exit status 1, one line naming the "
         "unexpected member", ERROR),
    Case("cli-missing-audio", "sklearn-ser predict", "audio path that does not exist",
         "exit status 1, one line naming the file", ERROR),
    Case("cli-corrupt-audio", "sklearn-ser predict", "corrupt audio file",
         "exit status 1, naming the file: not a readable audio file", ERROR),
    Case("cli-unicode-paths", "sklearn-ser predict",
         "model and audio paths with spaces and accents, training data deleted",
         "predicts; JSON output with one record per file, probabilities summing "
         "to 1", HANDLED),
    Case("cli-missing-root", "sklearn-ser train", "IEMOCAP root that does not exist",
         "exit status 1, one line naming the root", ERROR),
    Case("cli-train", "sklearn-ser train / predict",
         "valid IEMOCAP tree under a path with spaces and accents",
         "trains, saves, and ``predict`` reads the model", HANDLED),
    # -- fault tolerance ----------------------------------------------------------
    Case("fit-interrupted", "SERClassifier",
         "``KeyboardInterrupt`` during epoch 3 of ``fit``",
         "``fit`` returns; the model holds the best epoch's weights so far and "
         "predicts", HANDLED),
    Case("pipeline-fit-interrupted", "make_ser_pipeline",
         "``KeyboardInterrupt`` during the network's training",
         "``fit`` returns a fitted pipeline that predicts", HANDLED),
    Case("extraction-interrupted", "LLDExtractor",
         "``KeyboardInterrupt`` after 2 of 5 files, with a cache",
         "the 2 files are cached; the next call extracts only the other 3", HANDLED),
    # -- hostile input (tests/_cases.py) ----------------------------------------
    *HOSTILE,
]

CASE_IDS = [c.id for c in CASES]
_COVERED = set()


def covers(*ids):
    """Mark a test as the check of the given cases."""
    unknown = set(ids) - set(CASE_IDS)
    assert not unknown, f"unknown case ids {unknown}"
    _COVERED.update(ids)
    return lambda func: func


def render_table(cases=CASES):
    """The rst fragment of ``docs/robustness_table.rst``."""
    counts = {kind: sum(c.kind == kind for c in cases) for kind in (ERROR, HANDLED,
                                                                     BUG)}
    lines = [
        ".. This file is generated from tests/test_robustness.py (CASES);",
        "   run ``python -m tests.test_robustness`` to update it.",
        "",
        f"{len(cases)} cases: {counts[ERROR]} end in a clear error naming the "
        f"culprit, {counts[HANDLED]} in a documented handling, {counts[BUG]} "
        "show a known defect (their test is an expected failure).",
        "",
        ".. list-table:: Robustness cases",
        "   :header-rows: 1",
        "   :widths: 18 18 24 34 10",
        "",
        "   * - Case",
        "     - Entry point",
        "     - Input",
        "     - Behaviour",
        "     - Kind",
    ]
    for c in cases:
        lines += [
            f"   * - ``{c.id}``",
            f"     - {c.entry}",
            f"     - {c.input}",
            f"     - {c.behaviour}",
            f"     - {c.kind}",
        ]
    return "\n".join(lines) + "\n"


TABLE = Path(__file__).resolve().parents[1] / "docs" / "robustness_table.rst"


def test_every_case_has_a_test_and_the_docs_table_is_current():
    for module in HOSTILE_MODULES:  # their tests mark the hostile cases
        importlib.import_module(module)
    assert len(set(CASE_IDS)) == len(CASE_IDS)
    assert _COVERED == set(CASE_IDS)
    if not TABLE.parent.is_dir():
        pytest.skip("no docs folder")
    assert TABLE.read_text(encoding="utf-8") == render_table(), (
        "docs/robustness_table.rst is out of date: run python -m tests.test_robustness"
    )


# ---------------------------------------------------------------------------
# Shared data
# ---------------------------------------------------------------------------

SMALL = TINY_NET
SR = 16000


def _voice(seconds=1.0, sr=SR, seed=0):
    """A voiced tone with harmonics and a little noise, float32 in [-1, 1]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * 180 * t) + 0.1 * np.sin(2 * np.pi * 360 * t)
    return (x + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    """Good and bad audio files in one folder."""
    d = tmp_path_factory.mktemp("audio")
    x = _voice()
    files = {"good": d / "good.wav", "missing": d / "missing.wav"}
    sf.write(files["good"], x, SR, subtype="PCM_16")
    files["corrupt"] = d / "corrupt.wav"
    files["corrupt"].write_bytes(np.random.default_rng(0).bytes(4000))
    files["empty"] = d / "empty.wav"
    sf.write(files["empty"], np.zeros(0, np.float32), SR)
    files["10ms"] = d / "10ms.wav"
    sf.write(files["10ms"], x[:160], SR)
    files["oor"] = d / "loud.wav"
    sf.write(files["oor"], 10 * x, SR, subtype="FLOAT")  # beyond decoder overshoot
    bad = x.copy()
    bad[1234] = np.nan
    files["nan"] = d / "nan.wav"
    sf.write(files["nan"], bad, SR, subtype="FLOAT")
    return files


def _toy(n=32, n_frames=12, n_features=32, seed=0, labels=("ang", "hap", "neu",
                                                             "sad")):
    rng = np.random.default_rng(seed)
    y = np.array(list(labels) * (n // len(labels)))
    X = rng.normal(size=(n, n_frames, n_features)).astype(np.float32)
    X[y == labels[0], :3] += 1.5
    for i, length in enumerate(rng.integers(n_frames // 2, n_frames + 1, size=n)):
        X[i, length:] = np.nan
    return X, y


@pytest.fixture(scope="module")
def clf():
    X, y = _toy()
    return SERClassifier(**SMALL).fit(X, y)


@pytest.fixture(scope="module")
def corpus():
    return make_emotional_speech(n_samples=16, random_state=0)


@pytest.fixture(scope="module")
def pipe(corpus):
    pipe = make_ser_pipeline("lstm", n_frames=80, **SMALL)
    return pipe.fit(list(corpus.data), corpus.target)


@pytest.fixture(scope="module")
def model_file(pipe, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.skser"
    save(pipe, path)
    return path


def _extract(X, **params):
    return LLDExtractor(**params).transform(X)


# ---------------------------------------------------------------------------
# Feature extraction
# ---------------------------------------------------------------------------


@covers("lld-missing-file", "lld-directory", "lld-corrupt-file",
        "lld-zero-length-file", "lld-10ms-file", "lld-out-of-range-file",
        "lld-nan-file")
@pytest.mark.parametrize("name, reason", [
    ("missing", "file not found"),
    ("directory", "is a directory"),
    ("corrupt", "not a readable audio file (soundfile: "),
    ("empty", "zero-length audio (no samples)"),
    ("10ms", "audio of 160 samples (10.0 ms at 16000 Hz) is shorter than one 25 ms "
             "analysis window"),
    ("oor", "sample 0 is 0.0"),  # replaced below
    ("nan", "sample 1234 is nan; expected finite samples"),
])
def test_bad_audio_files(audio, name, reason):
    path = audio["good"].parent if name == "directory" else audio[name]
    if name == "oor":
        x = 10 * _voice()
        first = int(np.flatnonzero(np.abs(x) > 2)[0])  # beyond decoder overshoot
        reason = f"sample {first} is {x[first]}, outside [-2, 2]"
    with pytest.raises(ValueError) as info:
        _extract([audio["good"], path])
    message = str(info.value)
    assert message.startswith("1 of 2 inputs could not be used")
    assert f"X[1] ({str(path)!r}): {reason}" in message
    assert "X[0]" not in message


@covers("lld-truncated-file")
def test_truncated_wav_is_read_up_to_its_end(audio, tmp_path):
    data = audio["good"].read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2 + 1])  # odd: half a sample at the end
    n = sf.info(cut).frames
    assert 0 < n < sf.info(audio["good"]).frames
    full, _ = sf.read(audio["good"], dtype="float32")
    [got] = _extract([cut])
    [expected] = _extract([full[:n]])
    assert got.shape == (n_frames(n), 32)
    np.testing.assert_array_equal(got, expected)


@covers("lld-zero-length-array", "lld-10ms-array", "lld-out-of-range-array",
        "lld-nan-array", "lld-inf-array", "lld-channels-first")
@pytest.mark.parametrize("case", ["empty", "10ms", "oor", "nan", "inf", "channels"])
def test_bad_waveforms(case):
    x = _voice()
    if case == "empty":
        bad, reason = x[:0], "X[1]: zero-length audio (no samples); expected at least 400"
    elif case == "10ms":
        bad, reason = x[:160], ("X[1]: audio of 160 samples (10.0 ms at 16000 Hz) is "
                                "shorter than one 25 ms analysis window")
    elif case == "oor":
        bad = 4 * x
        first = int(np.flatnonzero(np.abs(bad) > 1)[0])
        reason = f"X[1]: sample {first} is {bad[first]}, outside [-1, 1]"
        with pytest.raises(ValueError, match=r"outside \[-2, 2\]"):
            _extract([x, 8 * x], clip=True)  # beyond overshoot even with clip
    elif case in ("nan", "inf"):
        bad = x.copy()
        bad[777] = np.nan if case == "nan" else np.inf
        reason = f"X[1]: sample 777 is {bad[777]}; expected finite samples"
    else:
        bad = np.stack([x, x])
        reason = "X[1] has shape (2, 16000): more channels than samples"
    with pytest.raises(ValueError, match=re.escape(reason)):
        _extract([x, bad])


@covers("lld-int16", "lld-int32")
@pytest.mark.parametrize("dtype, scale", [(np.int16, 2.0**15), (np.int32, 2.0**31)])
def test_integer_pcm_is_scaled(dtype, scale):
    x = _voice()
    pcm = np.round(x * (scale - 1)).astype(dtype)
    [got] = _extract([pcm])
    [expected] = _extract([(pcm.astype(np.float64) / scale).astype(np.float32)])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    # and it is not the unscaled signal (which would be refused as out of range)
    with pytest.raises(ValueError, match="outside"):
        _extract([pcm.astype(np.float32)])


@covers("lld-stereo-array", "lld-stereo-file")
def test_stereo_is_mixed_down(tmp_path):
    left, right = _voice(seed=0), 0.5 * _voice(seed=1)[::-1].copy()
    stereo = np.stack([left, right], axis=1)
    mono = ((left.astype(np.float64) + right) / 2).astype(np.float32)
    [expected] = _extract([mono])
    [got] = _extract([stereo])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    path = tmp_path / "stereo.wav"
    sf.write(path, stereo, SR, subtype="FLOAT")
    [from_file] = _extract([path])
    np.testing.assert_allclose(from_file, expected, rtol=1e-5, atol=1e-5)
    assert not np.allclose(_extract([left])[0], expected, atol=1e-3)


@covers("lld-8khz-file", "lld-44khz-file")
@pytest.mark.parametrize("rate", [8000, 44100])
def test_other_sampling_rates_are_resampled(tmp_path, rate):
    from sklearn_ser import AudioWarning

    path = tmp_path / f"{rate}.wav"
    x = _voice(seconds=1.3, sr=rate)
    sf.write(path, x, rate, subtype="FLOAT")
    if rate < SR:
        with pytest.warns(AudioWarning, match=f"sampled at {rate} Hz"):
            [got] = _extract([path])
    else:
        [got] = _extract([path])
    n16 = -(-x.size * SR // rate)  # ceil, as documented
    assert got.shape == (n_frames(n16), 32)
    g = np.gcd(rate, SR)
    resampled = resample_poly(x, SR // g, rate // g).astype(np.float32)
    [expected] = _extract([resampled])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    # the pitch survives the resampling (ignoring the rate would move the 180 Hz
    # tone to 90 Hz or 496 Hz)
    assert abs(np.median(got[:, 0]) - 180) < 0.1 * 180


@covers("lld-decoder-overshoot", "lld-clipped-recording")
@pytest.mark.parametrize("subtype", ["VORBIS", "MPEG_LAYER_III"])
def test_decoder_overshoot_is_clipped_and_clipping_warns(tmp_path, subtype):
    from sklearn_ser import AudioWarning

    if subtype.startswith("MPEG") and "MP3" not in sf.available_formats():
        pytest.skip("libsndfile without MP3")
    fmt = "OGG" if subtype == "VORBIS" else "MP3"
    x = _voice(seconds=2.0)
    loud = tmp_path / f"loud.{fmt.lower()}"
    sf.write(loud, 0.999 * x / np.abs(x).max(), SR, format=fmt, subtype=subtype)
    assert np.abs(sf.read(loud)[0]).max() > 1
    [feats] = _extract([loud])
    assert np.isfinite(feats).all()
    clipped = tmp_path / f"clipped.{fmt.lower()}"
    sf.write(clipped, np.clip(8 * x, -1, 1), SR, format=fmt, subtype=subtype)
    with pytest.warns(AudioWarning, match=r"clipped.*: \d+\.\d% of the samples at "
                                          "full scale"):
        _extract([clipped])


@covers("lld-unreadable-container")
def test_unreadable_container_is_named(tmp_path):
    path = tmp_path / "voice.m4a"
    path.write_bytes(b"\x00\x00\x00\x1cftypM4A " + bytes(3000))
    with pytest.raises(ValueError, match=r"X\[0\] .*voice.m4a.*: an MP4/M4A "
                                         r"container \(AAC or ALAC audio\)"):
        _extract([path])


@covers("timeline-int64-array")
def test_timeline_and_stream_check_arrays_as_the_extractor(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from sklearn_ser import (
        StreamingRecognizer,
        make_baseline_pipeline,
        predict_timeline,
    )

    data = make_emotional_speech(n_samples=16, n_sessions=2, random_state=0)
    pipe = make_baseline_pipeline(LogisticRegression()).fit(list(data.data),
                                                            data.target)
    pcm = np.round(_voice() * 32767).astype(np.int64)
    for call in (lambda x: predict_timeline(pipe, x),
                 lambda x: StreamingRecognizer(pipe).feed(x),
                 lambda x: _extract([x])):
        with pytest.raises(TypeError, match="has dtype int64; integer waveforms "
                                            "are taken as PCM only"):
            call(pcm)
        with pytest.raises(ValueError, match=r"outside \[-1, 1\]"):
            call(4 * _voice())


@covers("lld-8khz-array")
def test_waveform_at_extractor_sampling_rate_8k():
    x = _voice(sr=8000)
    [feats] = _extract([x], sampling_rate=8000)
    assert feats.shape == (1 + (x.size - 200) // 80, 32)
    assert abs(np.median(feats[:, 0]) - 180) < 0.05 * 180


def _peak_rss_reset():
    """Reset the process's peak RSS (Linux); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _status_mb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(key)  # pragma: no cover


@covers("lld-long-file")
def test_ten_minute_file_memory_is_bounded(tmp_path):
    path = tmp_path / "ten minutes.wav"
    n = 600 * SR
    with sf.SoundFile(path, "w", SR, 1, subtype="PCM_16") as f:
        for k in range(60):  # written in 10 s blocks
            f.write(_voice(seconds=10, seed=k))
    lld = LLDExtractor()
    lld.transform([_voice()])  # warm up (openSMILE loaded, config checked)
    rss = _peak_rss_reset()
    base = _status_mb("VmRSS") if rss else None
    tracemalloc.start()
    try:
        [feats] = lld.transform([path])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert feats.shape == (n_frames(n), 32)
    assert np.isfinite(feats).all()
    assert peak < feats.nbytes + 8 * 2**20, peak / 2**20
    if rss:
        grown = _status_mb("VmHWM") - base
        assert grown < 2.5 * n * 4 / 2**20, grown


@covers("lld-unicode-path")
def test_unicode_and_space_paths(tmp_path):
    folder = tmp_path / "données d'émotion" / "sous dossier"
    folder.mkdir(parents=True)
    path = folder / "ça va 😀 (prise 2).wav"
    x = _voice()
    sf.write(path, x, SR, subtype="FLOAT")
    [by_str] = _extract([str(path)])
    [by_path] = _extract([path])
    [expected] = _extract([x])
    np.testing.assert_array_equal(by_str, expected)
    np.testing.assert_array_equal(by_path, expected)


@covers("lld-single-path", "lld-mixed-input")
def test_wrong_container_types(audio):
    with pytest.raises(TypeError, match=r"got a single str .*pass a list, e\.g\. \[X\]"):
        _extract(str(audio["good"]))
    with pytest.raises(TypeError, match=r"X mixes file paths and waveforms \(X\[0\] is "
                                        r"a path, X\[1\] is not\)"):
        _extract([audio["good"], _voice()])


def _counting(monkeypatch, fail_at=None):
    """Count the openSMILE runs; raise KeyboardInterrupt at run ``fail_at``."""
    calls = []
    real = ENGINE.extract

    def run(*args, **kwargs):
        calls.append(1)
        if fail_at is not None and len(calls) == fail_at:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(ENGINE, "extract", run)
    return calls


@covers("lld-several-bad-files")
def test_every_bad_file_is_named_and_good_ones_are_kept(audio, tmp_path, monkeypatch):
    missing = tmp_path / "later.wav"
    corrupt = tmp_path / "corrupt.wav"
    shutil.copy(audio["corrupt"], corrupt)
    files = [audio["good"], missing, corrupt]
    cache = tmp_path / "cache"
    calls = _counting(monkeypatch)
    with pytest.raises(ValueError) as info:
        _extract(files, memory=str(cache))
    message = str(info.value)
    assert message.startswith("2 of 3 inputs could not be used (1 others were "
                              "extracted; they are cached")
    assert f"X[1] ({str(missing)!r}): file not found" in message
    assert f"X[2] ({str(corrupt)!r}): not a readable audio file" in message
    assert len(calls) == 1
    shutil.copy(audio["good"], missing)
    sf.write(corrupt, _voice(seed=5), SR)
    feats = _extract(files, memory=str(cache))
    assert len(calls) == 2  # only the fixed corrupt file: the others were cached
    np.testing.assert_array_equal(feats[0], feats[1])


# ---------------------------------------------------------------------------
# Pad/crop and scaler
# ---------------------------------------------------------------------------


@covers("padcrop-before-fit", "padcrop-feature-mismatch")
def test_padcrop_misuse():
    with pytest.raises(NotFittedError):
        PadCrop().transform([np.ones((3, 2))])
    with pytest.raises(ValueError, match="X has 3 features per frame, but PadCrop was "
                                         "fitted with 2 features per frame"):
        PadCrop().fit([np.ones((3, 2))]).transform([np.ones((3, 3))])


@covers("padcrop-zero-frames")
def test_empty_sequence_ends_in_an_error_naming_it(pipe, corpus):
    feats = LLDExtractor().transform([corpus.data[0]])[0]
    empty = np.empty((0, 32), np.float32)
    with pytest.raises(ValueError, match=r"X\[0\] has no frames"):
        pipe[1:].predict([empty, feats])


@covers("padcrop-zero-frames-zero-fill")
def test_empty_sequence_with_zero_fill_is_refused():
    with pytest.raises(ValueError, match=r"X\[0\]"):
        PadCrop(n_frames=5, fill_value=0.0).fit_transform(
            [np.empty((0, 2)), np.ones((3, 2))])


@covers("scaler-before-fit", "scaler-no-neutral", "scaler-inf",
        "scaler-feature-mismatch")
def test_scaler_misuse():
    X = np.random.default_rng(0).normal(size=(6, 5, 2))
    with pytest.raises(NotFittedError):
        NeutralStandardScaler().transform(X)
    with pytest.raises(ValueError, match=r"No sample is labelled neutral_label='neu'; "
                                         r"the labels seen in y are: 'ang', 'sad'"):
        NeutralStandardScaler().fit(X, ["ang", "sad"] * 3)
    bad = X.copy()
    bad[3, 1, 0] = np.inf
    with pytest.raises(ValueError, match=r"infinite values \(first in sample 3\)"):
        NeutralStandardScaler().fit(bad, ["neu"] * 6)
    scaler = NeutralStandardScaler().fit(X, ["neu"] * 6)
    with pytest.raises(ValueError, match=r"infinite values \(first in sample 3\)"):
        scaler.transform(bad)
    with pytest.raises(ValueError, match="X has 1 features per frame, but "
                                         "NeutralStandardScaler is expecting 2"):
        scaler.transform(X[:, :, :1])


@covers("scaler-constant-feature")
def test_constant_feature_keeps_unit_scale():
    X = np.random.default_rng(0).normal(size=(6, 5, 2))
    X[:, :, 1] = 0.25  # e.g. the zero-crossing rate of digital silence
    X[0, 3:] = np.nan
    scaler = NeutralStandardScaler().fit(X, ["neu"] * 6)
    assert scaler.scale_[1] == 1.0 and scaler.scale_[0] != 1.0
    out = scaler.transform(X)
    np.testing.assert_array_equal(out[1:, :, 1], 0.0)
    assert np.isnan(out[0, 3:]).all() and np.isfinite(out[1:]).all()


# ---------------------------------------------------------------------------
# Classifier and pipeline
# ---------------------------------------------------------------------------


@covers("clf-before-fit")
def test_classifier_before_fit():
    X, _ = _toy(n=4)
    for method in ("predict", "predict_proba", "attention_weights"):
        with pytest.raises(NotFittedError):
            getattr(SERClassifier(**SMALL), method)(X)


@covers("clf-unseen-label-partial-fit", "clf-label-outside-classes",
        "clf-single-class")
def test_classifier_label_errors(clf):
    X, y = _toy()
    unseen = y.copy()
    unseen[5] = "fru"
    warm = copy.deepcopy(clf)
    with pytest.raises(ValueError, match=r"y contains label\(s\) \['fru'\] that are not "
                                         r"among the classes \['ang', 'hap', 'neu', "
                                         r"'sad'\]"):
        warm.partial_fit(X, unseen)
    with pytest.raises(ValueError, match=r"label\(s\) \['sad'\] that are not among the "
                                         r"classes \['ang', 'hap', 'neu'\]"):
        SERClassifier(classes=["ang", "hap", "neu"], **SMALL).fit(X, y)
    with pytest.raises(ValueError, match=r"at least 2 classes in y; got only \['ang'\]"):
        SERClassifier(**SMALL).fit(X, np.full(len(y), "ang"))


@covers("clf-missing-labels")
@pytest.mark.parametrize("missing", [None, np.nan], ids=["None", "NaN"])
def test_missing_labels_are_named(missing):
    X, y = _toy()
    y = y.astype(object) if missing is None else (y == "ang").astype(float)
    y[1] = missing
    with pytest.raises(ValueError, match=r"(?i)missing|y\[1\]|index 1|sample 1"):
        SERClassifier(**SMALL).fit(X, y)


@covers("clf-partial-nan-frame", "clf-all-padding", "clf-inf", "clf-2d-input",
        "clf-feature-mismatch")
def test_classifier_bad_features(clf):
    X, _ = _toy(n=4)
    X[:, :6] = np.random.default_rng(1).normal(size=(4, 6, 32))  # 6 valid frames
    bad = X.copy()
    bad[1, 2, 5] = np.nan
    with pytest.raises(ValueError, match="Sample 1 of X has non-finite values at valid "
                                         "frame 2"):
        clf.predict(bad)
    bad = X.copy()
    bad[2] = np.nan
    with pytest.raises(ValueError, match=r"Sample 2 of X is all padding"):
        clf.predict_proba(bad)
    bad = X.copy()
    bad[3, 0, 0] = -np.inf
    with pytest.raises(ValueError, match=r"infinite values \(first in sample 3\)"):
        clf.predict(bad)
    with pytest.raises(ValueError, match=r"expected a 3-D array .* got an array of "
                                         r"shape \(4, 32\).*PadCrop"):
        clf.predict(X[:, 0])
    with pytest.raises(ValueError, match="X has 31 features per frame, but "
                                         "SERClassifier is expecting 32"):
        clf.predict(X[:, :, :31])


@covers("pipe-before-fit", "pipe-missing-file")
def test_pipeline_misuse(pipe, audio):
    fresh = make_ser_pipeline("mean", n_frames=20, **SMALL)
    for method in ("predict", "predict_proba"):
        with pytest.raises(NotFittedError):
            getattr(fresh, method)([_voice()])
    missing = str(audio["missing"])
    with pytest.raises(ValueError, match=re.escape(f"X[1] ({missing!r}): file not "
                                                   "found")):
        pipe.predict([audio["good"], missing])


@covers("pipe-unseen-label-scoring")
def test_unseen_label_at_scoring(pipe, corpus):
    X = list(corpus.data[:8])
    y = corpus.target[:8].copy()
    y[:2] = "fru"  # a class the model never saw
    assert "fru" not in pipe.classes_
    pred = pipe.predict(X)
    wa = float(np.mean(pred == y))
    recalls = [np.mean(pred[y == c] == c) for c in np.unique(y)]
    assert SCORING["WA"](pipe, X, y) == pytest.approx(wa)
    assert SCORING["UA"](pipe, X, y) == pytest.approx(np.mean(recalls))
    assert SCORING["UA"](pipe, X, y) == pytest.approx(balanced_accuracy_score(y, pred))
    assert recalls[list(np.unique(y)).index("fru")] == 0.0


# ---------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iemocap(tmp_path_factory):
    # 3 sessions: 6 speakers with 4 utterances each, so that the group-aware
    # validation split of `sklearn-ser train` finds its folds
    data = make_emotional_speech(n_samples=24, n_sessions=3, random_state=0)
    root = tmp_path_factory.mktemp("corpora") / "IEMOCAP full release é"
    write_iemocap_layout(data, root)
    return data, root


@covers("iemocap-missing-root", "iemocap-root-is-file", "iemocap-not-a-tree",
        "emodb-missing-root", "ravdess-missing-root", "emodb-foreign-files",
        "synthetic-bad-size")
def test_loader_roots(tmp_path, audio):
    nowhere = tmp_path / "nowhere"
    for loader in (load_iemocap, load_emodb, load_ravdess):
        with pytest.raises(FileNotFoundError, match=re.escape(
                f"Dataset root {str(nowhere)!r} does not exist. Expected layout: ")):
            loader(nowhere)
    with pytest.raises(ValueError, match=re.escape(
            f"Dataset root {str(audio['good'])!r} is not a directory")):
        load_iemocap(audio["good"])
    with pytest.raises(ValueError, match="is not an IEMOCAP tree: it has no Session"):
        load_iemocap(tmp_path)
    with pytest.raises(ValueError, match=r"(good|loud|nan|empty|10ms|corrupt)\.wav' "
                                         r"is not an EmoDB file name"):
        load_emodb(audio["good"].parent)
    with pytest.raises(ValueError, match="n_samples must be at least 1, got 0"):
        make_emotional_speech(n_samples=0)
    with pytest.raises(ValueError, match=r"n_samples=3 is too small for n_sessions=5"
                                         r".* give n_samples >= 10 or n_sessions <= 1"):
        make_emotional_speech(n_samples=3)


@covers("csv-missing-file", "csv-unknown-column", "csv-missing-audio",
        "csv-empty-label", "csv-duplicate-file")
def test_csv_corpus_errors(audio, tmp_path):
    good = str(audio["good"])
    missing = tmp_path / "corpus é.csv"
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"The label file {str(missing)!r} does not exist")):
        load_csv(missing)
    missing.write_text(f"file,emotion\n{good},neu\n")
    with pytest.raises(ValueError, match=r"no column 'label' \(label_column\); its "
                                         r"columns are \['file', 'emotion'\]"):
        load_csv(missing, label_column="label")
    missing.write_text(f"file,emotion\n{good},neu\nnot there.wav,ang\n")
    with pytest.raises(FileNotFoundError, match=r"1 of the 2 audio file\(s\) .*"
                                                r"not there\.wav' \(line 3\)"):
        load_csv(missing)
    missing.write_text(f"file,emotion\n{good},\n")
    with pytest.raises(ValueError, match=r"no value in the column 'emotion' "
                                         r"\(label_column\): line 2"):
        load_csv(missing)
    missing.write_text(f"file,emotion\n{good},neu\n{good}/../{audio['good'].name},"
                       "ang\n")
    with pytest.raises(ValueError, match=r"listed more than once, .* lines 2 and 3"):
        load_csv(missing)


@covers("iemocap-bad-label-line", "iemocap-missing-wav")
def test_iemocap_damaged_tree(iemocap, tmp_path):
    _, root = iemocap
    copy_root = tmp_path / "copy"
    shutil.copytree(root, copy_root)
    label_file = sorted((copy_root / "Session2" / "dialog" / "EmoEvaluation").glob(
        "*.txt"))[0]
    lines = label_file.read_text(encoding="utf-8").splitlines(keepends=True)
    turn = next(i for i, line in enumerate(lines) if line.startswith("["))
    utt = lines[turn].split("\t")[1]
    wav = next((copy_root / "Session2" / "sentences" / "wav").rglob(f"{utt}.wav"))
    wav.unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"{wav}' (labelled in {str(label_file)!r}, line {turn + 1})")):
        load_iemocap(copy_root, classes=None)
    lines[turn] = "[1.0 - 2.0]\tthis line is garbled\n"
    label_file.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"{label_file}, line {turn + 1}: "
                                                   "cannot parse")):
        load_iemocap(copy_root, classes=None)


@covers("iemocap-unicode-root")
def test_iemocap_unicode_root(iemocap):
    data, root = iemocap
    loaded = load_iemocap(root, classes=None)
    assert len(loaded.filenames) == len(data.target)
    assert all(os.path.isabs(f) and str(root) in f for f in loaded.filenames)
    feats = LLDExtractor().transform(loaded.filenames[:2])
    assert all(f.shape[1] == 32 and np.isfinite(f).all() for f in feats)


# ---------------------------------------------------------------------------
# Model files
# ---------------------------------------------------------------------------


class _Payload:
    """Unpickling it would create a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _smuggle(model_file, dst, payload, member):
    with zipfile.ZipFile(model_file) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, payload if name == member else zin.read(name))
        if member not in zin.namelist():
            zout.writestr(member, payload)
    return dst


@covers("load-truncated-model", "load-foreign-object", "load-pickle-file")
def test_model_file_attacks_and_damage(model_file, pipe, tmp_path):
    data = model_file.read_bytes()
    for fraction in (0.1, 0.5, 0.9, 0.999):
        cut = tmp_path / f"cut{fraction}.skser"
        cut.write_bytes(data[: int(len(data) * fraction)])
        with pytest.raises(ValueError, match=r"is not a sklearn-ser model file, or it "
                                             r"is damaged \(truncated\?\)"):
            load(cut)
    marker = tmp_path / "code-was-run"
    payload = pickle.dumps(_Payload(str(marker)))
    extra = _smuggle(model_file, tmp_path / "extra.skser", payload, "model.pkl")
    with pytest.raises(ValueError, match=r"unexpected member\(s\) \['model.pkl'\]"):
        load(extra)
    inside = _smuggle(model_file, tmp_path / "inside.skser", payload, "arrays.npz")
    with pytest.raises(ValueError, match="arrays.npz member that is not a plain numpy "
                                         "archive"):
        load(inside)
    pickled = tmp_path / "pipeline.pkl"
    pickled.write_bytes(pickle.dumps(pipe["scaler"]))
    with pytest.raises(ValueError, match="pickle or joblib files are refused"):
        load(pickled)
    assert not marker.exists()


@covers("save-interrupted")
def test_interrupted_save_keeps_the_old_file(model_file, pipe, tmp_path, monkeypatch):
    target = tmp_path / "model.skser"
    shutil.copy(model_file, target)
    before = target.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(zipfile.ZipFile, "writestr", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(pipe, target)
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.skser"]


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def _cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@covers("cli-missing-model", "cli-truncated-model", "cli-foreign-model",
        "cli-missing-audio", "cli-corrupt-audio")
def test_cli_errors(capsys, model_file, audio, tmp_path):
    good = audio["good"]
    rc, out, err = _cli(capsys, "predict", tmp_path / "none.skser", good)
    assert rc == 1 and "does not exist" in err and "none.skser" in err
    assert len(err.strip().splitlines()) == 1
    cut = tmp_path / "cut.skser"
    cut.write_bytes(model_file.read_bytes()[:1000])
    rc, out, err = _cli(capsys, "predict", cut, good)
    assert rc == 1 and "damaged (truncated?)" in err
    assert len(err.strip().splitlines()) == 1
    foreign = _smuggle(model_file, tmp_path / "foreign.skser", b"\x80\x04N.", "x.pkl")
    rc, out, err = _cli(capsys, "predict", foreign, good)
    assert rc == 1 and "unexpected member(s) ['x.pkl']" in err
    rc, out, err = _cli(capsys, "predict", model_file, good, audio["missing"])
    assert rc == 1 and str(audio["missing"]) in err and "does not exist" in err
    rc, out, err = _cli(capsys, "predict", model_file, good, audio["corrupt"])
    assert rc == 1 and "1 of 2 files failed, 1 predicted" in err
    assert f"{audio['corrupt']}: not a readable audio file" in err
    assert str(good) in out and str(audio["corrupt"]) not in out


@covers("cli-missing-root")
def test_cli_train_missing_root(capsys, tmp_path):
    rc, out, err = _cli(capsys, "train", "--iemocap", tmp_path / "no corpus", "-o",
                        tmp_path / "m.skser")
    assert rc == 1 and "no corpus" in err and not (tmp_path / "m.skser").exists()


def _clips(folder, n=3):
    folder.mkdir()
    new = make_emotional_speech(n_samples=n, n_sessions=1, random_state=7)
    paths = []
    for i, x in enumerate(new.data):
        paths.append(folder / f"clip {i} é.wav")
        sf.write(paths[-1], x, new.sampling_rate)
    return paths


def _check_json(out, paths, classes):
    records = json.loads(out)
    assert [r["file"] for r in records] == [str(p) for p in paths]
    for r in records:
        assert set(r["probabilities"]) == set(classes)
        assert sum(r["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
        assert r["label"] == max(r["probabilities"], key=r["probabilities"].get)


@covers("cli-unicode-paths")
def test_cli_predict_with_unicode_paths(capsys, corpus, tmp_path):
    cache = tmp_path / "cache é"
    pipe = make_ser_pipeline("yang", n_frames=60, memory=str(cache), **SMALL)
    pipe.fit(list(corpus.data), corpus.target)
    model = tmp_path / "modèles" / "modèle 1.skser"
    model.parent.mkdir()
    save(pipe, model)
    shutil.rmtree(cache)
    paths = _clips(tmp_path / "à prédire")
    rc, out, err = _cli(capsys, "predict", model, *paths, "--format", "json")
    assert rc == 0, err
    _check_json(out, paths, pipe.classes_)
    expected = pipe.predict_proba([sf.read(p, dtype="float32")[0] for p in paths])
    got = [[r["probabilities"][c] for c in pipe.classes_] for r in json.loads(out)]
    np.testing.assert_allclose(got, expected, atol=1e-5)  # printed with 6 decimals


@covers("cli-train")
def test_cli_train_and_predict_with_unicode_paths(capsys, iemocap, tmp_path):
    _, root = iemocap
    corpus = tmp_path / "mon corpus" / "IEMOCAP é"
    shutil.copytree(root, corpus)
    model = tmp_path / "modèles" / "modèle 1.skser"
    model.parent.mkdir()
    rc, out, err = _cli(capsys, "train", "--iemocap", corpus, "-o", model,
                        "--epochs", 1, "--n-frames", 40, "--lr", 1e-3, "--l2", 0,
                        "--device", "cpu", "--batch-size", 8)
    assert rc == 0, err
    assert model.is_file()
    paths = _clips(tmp_path / "à prédire")
    shutil.rmtree(corpus)  # predicting needs nothing but the model file
    rc, out, err = _cli(capsys, "predict", model, *paths, "--format", "json")
    assert rc == 0, err
    _check_json(out, paths, ["ang", "hap", "neu", "sad"])


# ---------------------------------------------------------------------------
# Fault tolerance
# ---------------------------------------------------------------------------


class _Snapshots(Callback):
    """The network's weights at the end of every epoch."""

    def initialize(self):
        self.states = {}
        return self

    def on_epoch_end(self, net, **kwargs):
        self.states[len(net.history)] = copy.deepcopy(net.module_.state_dict())


class _CtrlC(Callback):
    """Raise KeyboardInterrupt after the first training batch of an epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training and len(net.history) == self.epoch:
            self.weights_at_interrupt = copy.deepcopy(net.module_.state_dict())
            raise KeyboardInterrupt


def _same_weights(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


@covers("fit-interrupted")
def test_interrupted_fit_keeps_best_weights_so_far():
    X, y = _toy(n=48)
    snaps, ctrl_c = _Snapshots(), _CtrlC(epoch=3)
    clf = SERClassifier(**{**SMALL, "max_epochs": 10}, validation_fraction=0.25,
                        callbacks=[("snaps", snaps), ("ctrl_c", ctrl_c)])
    clf.fit(X, y)  # returns normally
    assert sorted(snaps.states) == [1, 2]  # epoch 3 never finished
    assert clf.best_epoch_ in (1, 2)
    best = snaps.states[clf.best_epoch_]
    assert _same_weights(clf.module_.state_dict(), best)
    assert not _same_weights(ctrl_c.weights_at_interrupt, best)
    scores = clf.history_[:2, "valid_wa_ua"]
    assert scores[clf.best_epoch_ - 1] == max(scores)
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


@covers("pipeline-fit-interrupted")
def test_interrupted_pipeline_fit_gives_a_usable_pipeline(corpus, tmp_path):
    pipe = make_ser_pipeline("mean", n_frames=60, **{**SMALL, "max_epochs": 10},
                             callbacks=[("ctrl_c", _CtrlC(epoch=2))])
    pipe.fit(list(corpus.data), corpus.target)
    assert pipe["classifier"].best_epoch_ == 1
    assert set(pipe.predict(list(corpus.data[:4]))) <= set(pipe.classes_)
    save(pipe.set_params(classifier__callbacks=None), tmp_path / "m.skser")
    np.testing.assert_allclose(load(tmp_path / "m.skser").predict_proba(
        list(corpus.data[:4])), pipe.predict_proba(list(corpus.data[:4])), atol=1e-6)


@covers("extraction-interrupted")
def test_interrupted_extraction_keeps_extracted_files(tmp_path, monkeypatch):
    paths = []
    for i in range(5):
        paths.append(tmp_path / f"u{i}.wav")
        sf.write(paths[-1], _voice(seconds=0.5 + 0.1 * i, seed=i), SR)
    cache = tmp_path / "cache"
    calls = _counting(monkeypatch, fail_at=3)
    with pytest.raises(KeyboardInterrupt):
        _extract(paths, memory=str(cache))
    assert len(list(cache.rglob("*.lld"))) == 2
    assert not list(cache.rglob("*.tmp"))  # no partial entry left behind
    monkeypatch.undo()
    calls = _counting(monkeypatch)
    feats = _extract(paths, memory=str(cache))
    assert len(calls) == 3  # the two cached files are not extracted again
    monkeypatch.undo()
    for got, expected in zip(feats, _extract(paths), strict=True):
        np.testing.assert_array_equal(got, expected)


if __name__ == "__main__":  # pragma: no cover
    TABLE.write_text(render_table(), encoding="utf-8")
    print(f"wrote {TABLE}", file=sys.stderr)
