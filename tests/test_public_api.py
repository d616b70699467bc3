"""Every public import path of the library works, and names one object."""

import importlib

import pytest

import sklearn_ser

#: The public names of the package (the paths users import today).
TOP_LEVEL = [
    "AttentionDisplay", "AudioWarning", "CCC_SCORING", "EncoderExtractor",
    "Functionals", "LLDExtractor",
    "NeutralStandardScaler", "PadCrop", "RegressionEvaluation", "SCORING",
    "SERClassifier", "SERRegressor", "SessionEvaluation", "SpeakerStandardScaler",
    "StreamingRecognizer", "TimelineDisplay", "__version__", "ccc_scorer",
    "concordance_correlation_coefficient", "evaluate_sessions", "export_onnx", "load",
    "make_baseline_pipeline", "make_ser_pipeline", "predict_timeline", "save",
    "ua_scorer", "unweighted_accuracy", "wa_scorer", "wa_ua_score", "wa_ua_scorer",
    "weighted_accuracy",
]
MODULES = {
    "sklearn_ser.datasets": ["load_csv", "load_emodb", "load_folder", "load_iemocap",
                             "load_ravdess", "make_emotional_speech",
                             "write_iemocap_layout"],
    "sklearn_ser.metrics": ["CCC_SCORING", "SCORING", "ccc_scorer",
                            "concordance_correlation_coefficient", "make_ccc_scoring",
                            "ua_scorer", "unweighted_accuracy", "wa_scorer",
                            "wa_ua_score", "wa_ua_scorer", "weighted_accuracy"],
    "sklearn_ser.dask": ["WorkerSetup", "local_cluster"],
}
#: The subpackages, whose names are the top-level ones too.
SUBPACKAGES = {
    "sklearn_ser.features": ["AudioWarning", "EncoderExtractor", "Functionals",
                             "LLDExtractor"],
    "sklearn_ser.preprocessing": ["NeutralStandardScaler", "PadCrop",
                                  "SpeakerStandardScaler"],
    "sklearn_ser.network": ["SERClassifier", "SERRegressor"],
    "sklearn_ser.pipeline": ["AttentionDisplay", "RegressionEvaluation",
                             "SessionEvaluation", "evaluate_sessions",
                             "make_baseline_pipeline", "make_ser_pipeline"],
    "sklearn_ser.timeline": ["StreamingRecognizer", "TimelineDisplay",
                             "predict_timeline"],
    "sklearn_ser.persistence": ["export_onnx", "load", "save"],
}


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_top_level_names(name):
    assert name in sklearn_ser.__all__
    exec(f"from sklearn_ser import {name}", {})


def test_all_lists_exactly_the_public_names():
    assert sorted(sklearn_ser.__all__) == sorted(TOP_LEVEL)
    for module, names in {**MODULES, **SUBPACKAGES}.items():
        assert sorted(importlib.import_module(module).__all__) == sorted(names)


@pytest.mark.parametrize("module", sorted({**MODULES, **SUBPACKAGES}))
def test_module_names_are_the_same_objects(module):
    mod = importlib.import_module(module)
    for name in {**MODULES, **SUBPACKAGES}[module]:
        obj = getattr(mod, name)
        if hasattr(sklearn_ser, name):
            assert obj is getattr(sklearn_ser, name)
    assert set(mod.__all__) <= set(dir(mod))
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        mod.nope  # noqa: B018


def test_attach_imports_a_name_from_its_module_on_first_use():
    from sklearn_ser._lazy import attach

    get, names, all_ = attach("sklearn_ser.timeline", {"TimelineDisplay": "._display"})
    assert all_ == ["TimelineDisplay"] == names()
    assert get("TimelineDisplay") is sklearn_ser.TimelineDisplay
    with pytest.raises(AttributeError, match="'sklearn_ser.timeline' has no "
                                             "attribute 'predict'"):
        get("predict")
