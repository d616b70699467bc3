"""Tests of ``sklearn-ser timeline``."""

import csv
import io
import json

import numpy as np
import pytest

from sklearn_ser import make_ser_pipeline, predict_timeline, save
from sklearn_ser._cli import main
from sklearn_ser.datasets import make_emotional_speech

from .._common import TINY_NET
from .._signals import SR, write

CLASSES = ["ang", "hap", "neu", "sad"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    data = make_emotional_speech(12, n_sessions=2, random_state=0)
    pipe = make_ser_pipeline("mean", n_frames=150, **TINY_NET).fit(
        list(data.data), data.target)
    path = tmp_path_factory.mktemp("model") / "model.skser"
    save(pipe, path)
    folder = tmp_path_factory.mktemp("audio")
    rec = np.concatenate([np.zeros(SR // 2, np.float32), data.data[0],
                          np.zeros(SR, np.float32), data.data[1]])
    return {
        "model": str(path), "pipe": pipe,
        "file": write(folder / "rec.wav", rec),
        "silence": write(folder / "silence.wav", np.zeros(3 * SR)),
        "short": write(folder / "short.wav", rec[:SR]),
        "folder": str(folder),
    }


def run(argv, capsys):
    status = main(["timeline", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_table_format(model, capsys):
    status, out, err = run([model["model"], model["file"]], capsys)
    assert status == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split() == ["start", "end", "label", *CLASSES]
    expected = predict_timeline(model["pipe"], model["file"])
    assert len(lines) == len(expected) + 1
    first = lines[1].split()
    assert float(first[0]) == pytest.approx(expected["start"].iloc[0], abs=0.005)
    assert first[2] == expected["label"].iloc[0]


def test_csv_format_equals_predict_timeline(model, capsys):
    status, out, _ = run([model["model"], model["file"], "--format", "csv",
                          "--segmentation", "fixed", "--window", "1",
                          "--hop", "0.5"], capsys)
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    expected = predict_timeline(model["pipe"], model["file"], window=1.0, hop=0.5,
                                segmentation="fixed")
    assert len(rows) == len(expected)
    assert [r["label"] for r in rows] == expected["label"].tolist()
    np.testing.assert_allclose([float(r["start"]) for r in rows], expected["start"])
    np.testing.assert_allclose([[float(r[c]) for c in CLASSES] for r in rows],
                               expected[CLASSES], atol=1e-6)


def test_json_format(model, capsys):
    status, out, _ = run([model["model"], model["file"], "--format", "json"],
                         capsys)
    assert status == 0
    records = json.loads(out)
    assert records and set(records[0]) == {"start", "end", "label", "probabilities"}
    assert list(records[0]["probabilities"]) == CLASSES
    assert sum(records[0]["probabilities"].values()) == pytest.approx(1, abs=1e-5)


def test_plot_is_written(model, tmp_path, capsys):
    out_png = tmp_path / "timeline.png"
    status, _, err = run([model["model"], model["file"], "--plot", str(out_png)],
                         capsys)
    assert status == 0
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plot written to" in err


def test_no_speech_is_an_empty_result(model, capsys):
    status, out, err = run([model["model"], model["silence"], "--format", "json"],
                           capsys)
    assert status == 0
    assert json.loads(out) == []
    assert "no speech found" in err
    status, out, _ = run([model["model"], model["silence"], "--format", "csv"],
                         capsys)
    assert out.strip() == "start,end,label," + ",".join(CLASSES)


@pytest.mark.parametrize("argv, match", [
    (["{model}", "{missing}"], "audio file .*missing.wav' does not exist"),
    (["{missing}", "{file}"], "model file .*missing.wav' does not exist"),
    (["{model}", "{folder}"], "is a directory; give one audio file"),
    (["{model}", "{file}", "--hop", "0"], "hop=0.0 s must be positive"),
    (["{model}", "{file}", "--window", "1", "--hop", "2"],
     "hop=2.0 s is longer than window=1.0 s"),
    (["{model}", "{file}", "--window", "0.001"], "shorter than one frame"),
    (["{model}", "{short}", "--segmentation", "fixed", "--window", "5"],
     "window=5 s is longer than the recording"),
    (["{model}", "{file}", "--plot", "{folder}/no/such/dir/x.png"],
     "--plot .*does not exist"),
])
def test_mistakes_give_one_error_line(model, argv, match, capsys):
    names = dict(model, missing=model["folder"] + "/missing.wav")
    status, out, err = run([a.format(**names) for a in argv], capsys)
    assert status == 1
    assert out == ""
    first = err.strip().splitlines()[0]
    assert first.startswith("sklearn-ser timeline: error: ")
    import re

    assert re.search(match, first), first


def test_bad_numbers_are_argparse_errors(model, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["timeline", model["model"], model["file"], "--window", "five"])
    assert exc.value.code == 2
    assert "expected a number of seconds" in capsys.readouterr().err


def test_help(capsys):
    with pytest.raises(SystemExit):
        main(["timeline", "--help"])
    out = capsys.readouterr().out
    assert "usage: sklearn-ser timeline" in out and "--segmentation" in out
