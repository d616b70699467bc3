"""Tests of sklearn_ser.pipeline._describe: the one place that reads a pipeline's kind."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from sklearn_ser import (
    LLDExtractor,
    PadCrop,
    SERClassifier,
    SERRegressor,
    make_baseline_pipeline,
    make_ser_pipeline,
)
from sklearn_ser.pipeline._describe import describe_pipeline


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("normalization", ["neutral", "speaker"])
def test_the_factories_pipelines_describe_themselves(task, normalization):
    for pipe in (make_ser_pipeline(task=task, normalization=normalization,
                                   recipe="fast"),
                 make_baseline_pipeline(task=task, normalization=normalization)):
        kind = describe_pipeline(pipe)
        assert kind.task == task
        assert kind.normalization == normalization
        assert kind.needs_speakers == (normalization == "speaker")
        assert kind.speaker_column == ("speaker" if normalization == "speaker"
                                       else None)
        assert kind.takes_audio and kind.sampling_rate == 16000
        assert kind.frame_step == pytest.approx(0.01)
        assert kind.final is pipe.steps[-1][1]
        assert kind.final_name == ("classifier" if task == "classification"
                                   else "regressor")
        assert len(kind.feature_names) == 32
    net = describe_pipeline(make_ser_pipeline(task=task, recipe="fast"))
    assert isinstance(net.network, SERClassifier if task == "classification"
                      else SERRegressor)
    assert net.n_frames == 300 and net.window == pytest.approx(3.0)
    base = describe_pipeline(make_baseline_pipeline(task=task))
    assert base.network is None and base.n_frames is None
    assert base.window == pytest.approx(5.0)  # the paper's 500 frames


def test_probabilities_follow_the_last_step():
    assert not describe_pipeline(make_baseline_pipeline()).has_proba  # SVC
    assert describe_pipeline(make_baseline_pipeline(LogisticRegression())).has_proba
    assert describe_pipeline(make_baseline_pipeline(SVC(probability=True))).has_proba
    assert describe_pipeline(make_ser_pipeline()).has_proba
    assert not describe_pipeline(make_ser_pipeline(task="regression")).has_proba


def test_other_pipelines_and_single_estimators():
    kind = describe_pipeline(SERClassifier())
    assert kind.pipeline is None and kind.final_name is None
    assert kind.task == "classification" and not kind.takes_audio
    assert kind.normalization is None and kind.sampling_rate is None
    kind = describe_pipeline(Pipeline([("pad", PadCrop(n_frames=7)),
                                       ("f", FunctionTransformer()),
                                       ("skip", "passthrough")]))
    assert kind.final_name == "f" and kind.n_frames == 7 and kind.network is None
    assert not kind.takes_audio and kind.window == pytest.approx(0.07)
    kind = describe_pipeline(Pipeline([("lld", LLDExtractor(sampling_rate=8000)),
                                       ("clf", LogisticRegression())]))
    assert kind.sampling_rate == 8000 and kind.frame_step == pytest.approx(0.01)
    with pytest.raises(TypeError, match="the pipeline has no steps"):
        describe_pipeline(Pipeline([("a", "passthrough")]))
    with pytest.raises(TypeError, match="expected a pipeline or an estimator, got "
                                        "ndarray"):
        describe_pipeline(np.zeros(3))
