"""Tests of sklearn_ser._json: the one converter to plain JSON values."""

import json

import numpy as np
import pytest
import torch
from skorch.history import History

from sklearn_ser import SessionEvaluation
from sklearn_ser._cli._evaluate import configuration
from sklearn_ser._json import DROP, plain
from sklearn_ser.persistence._netstate import history_json
from sklearn_ser.pipeline._factories import make_ser_pipeline


@pytest.mark.parametrize("value, expected", [
    (np.float32(0.5), 0.5),
    (np.int64(3), 3),
    (np.bool_(True), True),
    (np.str_("ang"), "ang"),
    ((1, [2.5, None]), [1, [2.5, None]]),
    ({1: np.array([1, 2]), "b": np.array(["x", "y"])}, {"1": [1, 2], "b": ["x", "y"]}),
    (np.array(["a", 1], dtype=object), ["a", 1]),
])
def test_plain_values(value, expected):
    out = plain(value)
    assert out == expected
    assert type(out) is type(expected)
    assert json.loads(json.dumps(out)) == expected


def test_unknown_values_are_given_by_the_caller():
    assert plain({"cls": torch.optim.Adam}) == {"cls": repr(torch.optim.Adam)}
    assert plain([1, object(), {"f": print}], unknown=lambda v: DROP) == [1, {}]
    assert plain(object(), unknown=lambda v: DROP) is None


def test_the_three_writers_use_it():
    history = History()
    history.new_epoch()
    history.record("epoch", np.int64(1))
    history.record("valid_wa_ua", np.float64(1.5))
    history.record("model", torch.nn.Linear(1, 1))  # not a plain value: dropped

    class Net:
        history_ = history

    assert history_json(Net()) == [{"batches": [], "epoch": 1, "valid_wa_ua": 1.5}]
    y = np.array(["a", "b", "a", "b"])
    res = SessionEvaluation(y_true=y, y_pred=y, fold=np.array([0, 0, 1, 1]),
                            test_groups=[np.array([np.int64(1)]), np.array([2])],
                            labels=np.unique(y))
    out = res.to_dict()
    assert out["labels"] == ["a", "b"] and type(out["labels"][0]) is str
    assert out["folds"][0]["test_groups"] == [1]
    json.dumps(out)
    config = configuration(make_ser_pipeline("mean", n_frames=20))
    assert config["classifier"]["optimizer"] == repr(torch.optim.Adam)
    assert config["padcrop"]["n_frames"] == 20
    json.dumps(config)
