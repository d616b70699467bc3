"""Tests of TimelineDisplay."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_ser import TimelineDisplay, make_baseline_pipeline, predict_timeline
from sklearn_ser.datasets import make_emotional_speech

from .._signals import SR, write


@pytest.fixture(scope="module")
def pipe():
    data = make_emotional_speech(24, n_sessions=2, random_state=0)
    return make_baseline_pipeline(LogisticRegression(max_iter=2000)).fit(
        list(data.data), data.target), data


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


TABLE = pd.DataFrame({"start": [0.0, 1.0, 2.0], "end": [2.015, 3.015, 4.015],
                      "label": ["ang", "sad", "sad"], "ang": [0.8, 0.3, 0.1],
                      "sad": [0.2, 0.7, 0.9]})


def test_probabilities_share_the_time_axis_with_the_waveform():
    wave = np.sin(np.arange(4 * SR) / 5.0).astype(np.float32) * 0.5
    display = TimelineDisplay.from_predictions(TABLE, waveform=wave,
                                               sampling_rate=SR)
    assert display.ax_.get_xlim() == (0.0, 4.0)
    line = display.lines_["sad"]
    # one step per segment, ending where the next one starts
    np.testing.assert_allclose(line.get_xdata(), [0, 1, 1, 2, 2, 4.015])
    np.testing.assert_allclose(line.get_ydata(), [0.2, 0.2, 0.7, 0.7, 0.9, 0.9])
    assert display.proba_ax_ is not None
    assert len(display.bands_) == 3
    assert display.bands_[1].get_facecolor()[:3] == pytest.approx(
        display.colors_["sad"][:3])
    assert display.ax_.get_ylim()[1] == pytest.approx(0.575, abs=0.01)


def test_label_bands_and_true_labels():
    truth = [(0.0, 1.5, "ang"), (1.5, 4.0, "neu")]
    display = TimelineDisplay(TABLE, true_labels=truth).plot(kind="labels")
    assert display.proba_ax_ is None and display.lines_ == {}
    assert len(display.bands_) == 3 and len(display.true_bands_) == 2
    assert set(display.colors_) == {"ang", "sad", "neu"}
    assert "reference labels" in display.ax_.get_title()
    frame = pd.DataFrame(truth, columns=["start", "end", "label"])
    display = TimelineDisplay(TABLE, true_labels=frame).plot(ax=plt.gca())
    assert len(display.true_bands_) == 2


def test_from_estimator_on_a_file(pipe, tmp_path):
    model, data = pipe
    rec = np.concatenate([data.data[0], np.zeros(SR, np.float32), data.data[1]])
    path = write(tmp_path / "rec.wav", rec)
    fig, ax = plt.subplots()
    display = TimelineDisplay.from_estimator(model, path, window=1.0, ax=ax,
                                             segmentation="fixed")
    assert display.ax_ is ax and display.figure_ is fig
    expected = predict_timeline(model, path, window=1.0, segmentation="fixed")
    pd.testing.assert_frame_equal(display.timeline, expected)
    assert display.duration == pytest.approx(len(rec) / SR)
    assert display.envelope.max() == pytest.approx(np.abs(rec).max(), abs=1e-4)
    display.figure_.savefig(tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 0
    array = TimelineDisplay.from_estimator(model, rec, window=1.0, kind="labels")
    assert array.duration == pytest.approx(len(rec) / SR)


def test_empty_timeline_and_bad_input():
    empty = TABLE.iloc[:0]
    display = TimelineDisplay(empty).plot()
    assert display.ax_.get_title() == "no segment"
    with pytest.raises(ValueError, match="kind must be one of"):
        TimelineDisplay(TABLE).plot(kind="bars")
    with pytest.raises(TypeError, match="timeline must be a DataFrame"):
        TimelineDisplay([1, 2]).plot()
    with pytest.raises(ValueError, match="columns 'start', 'end', 'label'"):
        TimelineDisplay(TABLE[["label", "start", "end"]]).plot()
    with pytest.raises(ValueError, match=r"true_labels\[0\]"):
        TimelineDisplay(TABLE, true_labels=[(0, "x")]).plot()
    with pytest.raises(ValueError, match="sampling_rate is required"):
        TimelineDisplay.from_predictions(TABLE, waveform=np.zeros(10))


def test_no_line_is_drawn_across_a_gap_without_segments():
    # two speech regions, nothing found between 3.015 s and 6 s
    table = pd.DataFrame({"start": [0.0, 1.0, 6.0], "end": [2.015, 3.015, 8.015],
                          "label": ["ang", "sad", "ang"], "ang": [0.8, 0.3, 0.6],
                          "sad": [0.2, 0.7, 0.4]})
    display = TimelineDisplay(table).plot()
    x = display.lines_["ang"].get_xdata()
    y = display.lines_["ang"].get_ydata()
    np.testing.assert_allclose(x, [0, 1, 1, 3.015, np.nan, 6, 8.015])
    np.testing.assert_allclose(y, [0.8, 0.8, 0.3, 0.3, np.nan, 0.6, 0.6])
    # the curve has no point inside the gap
    inside = (x > 3.015) & (x < 6.0)
    assert not inside.any()
