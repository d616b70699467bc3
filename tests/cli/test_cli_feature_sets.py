"""`sklearn-ser predict` with a model of another feature set: the non-speech
warnings come from the same detector (on IS09 frames of the same audio)."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_ser import make_baseline_pipeline, save
from sklearn_ser._cli import main
from sklearn_ser.datasets import make_emotional_speech

from .._signals import write


@pytest.mark.parametrize("name", ["egemaps", "compare"])
def test_predict_with_a_model_of_another_feature_set(name, tmp_path, capsys):
    data = make_emotional_speech(n_samples=16, random_state=0)
    pipe = make_baseline_pipeline(LogisticRegression(max_iter=3000))
    pipe.set_params(lld__feature_set=name)
    pipe.fit(list(data.data), data.target)
    model = tmp_path / "m.skser"
    save(pipe, model)
    speech = write(tmp_path / "speech.wav", data.data[0])
    silence = write(tmp_path / "silence.wav", np.zeros(16000))
    assert main(["predict", "--format", "json", str(model), speech, silence]) == 0
    captured = capsys.readouterr()
    records = json.loads(captured.out)
    assert [r["label"] for r in records] == pipe.predict([speech, silence]).tolist()
    assert records[0]["warnings"] == []
    assert "silence (no frame louder" in records[1]["warnings"][0]
    assert f"warning: {silence}: silence" in captured.err
