"""The command line with dimensional targets: --target dimensions."""

import csv
import io
import json

import numpy as np
import pytest

from sklearn_ser._cli import main
from sklearn_ser.datasets import make_emotional_speech, write_iemocap_layout

DIMENSIONS = ["valence", "arousal", "dominance"]
#: A tiny network and one epoch: the commands' paths, not a model that learns.
TINY = ["--epochs", "1", "--n-frames", "150", "--lr", "0.01", "--l2", "0",
        "--hidden-units", "8", "--lstm-units", "4", "--attention-units", "4"]


@pytest.fixture(scope="module")
def corpus():
    return make_emotional_speech(n_samples=40, random_state=0)


@pytest.fixture(scope="module")
def iemocap_root(corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("iemocap")
    write_iemocap_layout(corpus, root)
    return root


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return ["--cache", str(tmp_path_factory.mktemp("cache"))]


@pytest.fixture(scope="module")
def corpus_csv(corpus, tmp_path_factory):
    """A CSV corpus with the dimensions in columns of its own names."""
    import soundfile as sf

    root = tmp_path_factory.mktemp("corpus")
    rows = ["path,mood,take,val,act,dom"]
    for i, (x, label, group, (v, a, d)) in enumerate(zip(
            corpus.data, corpus.target, corpus.groups, corpus.dimensions,
            strict=True)):
        sf.write(root / f"u{i:03d}.wav", np.asarray(x, dtype=np.float32), 16000)
        rows.append(f"u{i:03d}.wav,{label},{group},{v},{a},{d}")
    (root / "corpus.csv").write_text("\n".join(rows) + "\n")
    return root / "corpus.csv"


CSV = ["--audio-column", "path", "--label-column", "mood", "--session-column", "take"]


def test_evaluate_dimensions_prints_ccc_beside_baseline_and_chance(
        iemocap_root, cache, tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["evaluate", "--iemocap", str(iemocap_root), "--target",
                 "dimensions", "--attention", "mean", "--out", str(out), *cache,
                 *TINY]) == 0
    text = capsys.readouterr().out
    assert "40 utterances, dimensions valence" in text
    assert "5 leave-one-group-out folds" in text
    assert "functionals + RidgeCV" in text
    assert "validation CCC" in text and "WA" not in text
    table = text[text.index("\nmodel "):].splitlines()[1:]
    head = table[0]
    assert [f"CCC {d}" in head for d in DIMENSIONS] == [True] * 3
    rows = {line.split()[0]: line for line in table[1:4]}
    assert set(rows) == {"chance", "baseline", "mean"}
    assert rows["chance"].split()[-3:] == ["0.000"] * 3
    assert rows["baseline"].count("+-") == 3 and rows["mean"].count("+-") == 3
    saved = json.loads((out / "results.json").read_text())
    assert saved["target"] == "dimensions" and saved["options"]["target"] == "dimensions"
    assert saved["target_names"] == DIMENSIONS and saved["n_utterances"] == 40
    results = saved["results"]
    assert set(results) == {"chance", "baseline_ridge", "mean"}
    assert results["chance"]["ccc_mean"] == dict.fromkeys(DIMENSIONS, 0.0)
    for name in ("baseline_ridge", "mean"):
        assert set(results[name]["ccc_mean"]) == set(DIMENSIONS)
        assert set(results[name]["ccc_std"]) == set(DIMENSIONS)
        assert len(results[name]["folds"]) == 5
        assert all(set(f["ccc"]) == set(DIMENSIONS) for f in results[name]["folds"])
    # the table shows the saved means
    mean_valence = f"{results['mean']['ccc_mean']['valence']:.3f} +-"
    assert mean_valence in rows["mean"]
    rows = list(csv.DictReader(io.StringIO((out / "results.csv").read_text())))
    assert len(rows) == 2 * 5
    assert {r["model"] for r in rows} == {"baseline_ridge", "mean"}
    assert all(-1 <= float(r["ccc_arousal"]) <= 1 for r in rows)


def test_evaluate_dimensions_of_a_csv_corpus(corpus_csv, cache, tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["evaluate", "--data", str(corpus_csv), *CSV, "--target",
                 "dimensions", "--dimension-columns", "val,act,dom",
                 "--no-baseline", "--attention", "mean", "--out", str(out), *cache,
                 *TINY]) == 0
    text = capsys.readouterr().out
    assert "CCC val" in text and "CCC dom" in text
    assert "chance" in text and "RidgeCV" not in text
    saved = json.loads((out / "results.json").read_text())
    assert saved["target_names"] == ["val", "act", "dom"]
    assert set(saved["results"]) == {"chance", "mean"}
    assert set(saved["results"]["mean"]["ccc_mean"]) == {"val", "act", "dom"}


@pytest.mark.parametrize("argv, match", [
    (["--dimension-columns", "val,arousal,dom"],
     "has no column 'arousal'; its columns are 'path', 'mood'"),
    (["--dimension-columns", "val,mood"],
     "column 'mood' of corpus.csv must hold a finite number in every row; 40 do "
     "not: line 2 ("),
    ([], "has no column 'valence', 'arousal', 'dominance'"),
])
def test_bad_dimension_columns_are_named(corpus_csv, argv, match, capsys):
    assert main(["evaluate", "--data", str(corpus_csv), *CSV, "--target",
                 "dimensions", *argv, *TINY]) == 1
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1


def test_options_that_do_not_apply_to_dimensions_are_refused(
        iemocap_root, corpus_csv, capsys):
    root = str(iemocap_root)
    assert main(["evaluate", "--iemocap", root, "--target", "dimensions",
                 "--paper-selection", *TINY]) == 1
    assert "--paper-selection" in capsys.readouterr().err
    assert main(["evaluate", "--iemocap", root, "--target", "dimensions",
                 "--merge-excited", *TINY]) == 1
    assert "--merge-excited relabels the categories" in capsys.readouterr().err
    assert main(["evaluate", "--iemocap", root, "--target", "dimensions",
                 "--dimension-columns", "v,a,d", *TINY]) == 1
    assert "--dimension-columns apply to --data" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(corpus_csv), *CSV,
                 "--dimension-columns", "val,act,dom", *TINY]) == 1
    assert "applies to --target dimensions" in capsys.readouterr().err


@pytest.mark.parametrize("argv, match", [
    (["--target", "arousal"], "invalid choice: 'arousal'"),
    (["--target", "dimensions", "--dimension-columns", "val,,dom"],
     "expected column names separated by commas"),
    (["--target", "dimensions", "--dimension-columns", "val,val"],
     "expected distinct column names"),
])
def test_bad_target_options_are_argparse_errors(argv, match, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--iemocap", "x", *argv])
    assert exc.value.code == 2
    assert match in capsys.readouterr().err


@pytest.fixture(scope="module")
def regression_model(iemocap_root, cache, tmp_path_factory):
    model = tmp_path_factory.mktemp("model") / "dimensions.skser"
    assert main(["train", "--iemocap", str(iemocap_root), "--target", "dimensions",
                 "--attention", "mean", "-o", str(model), *cache, *TINY]) == 0
    return model


@pytest.fixture(scope="module")
def wavs(iemocap_root):
    return sorted(str(p) for p in iemocap_root.rglob("*.wav"))[:3]


def test_train_dimensions_says_what_it_fits(iemocap_root, cache, tmp_path, capsys):
    model = tmp_path / "m.skser"
    assert main(["train", "--iemocap", str(iemocap_root), "--target", "dimensions",
                 "--attention", "mean", "-o", str(model), *cache, *TINY]) == 0
    text = capsys.readouterr().out
    assert "training on 40 utterances (valence " in text
    assert "arousal " in text and "dominance " in text and "+-" in text
    assert "validation CCC" in text and f"Wrote {model}" in text
    from sklearn_ser import SERRegressor, load

    pipe = load(model)
    assert isinstance(pipe.steps[-1][1], SERRegressor)
    assert pipe.steps[-1][1].n_outputs_ == 3


def test_predict_regression_model_text(regression_model, wavs, capsys):
    assert main(["predict", str(regression_model), *wavs]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == wavs
    for line in lines:
        values = line.split("\t")[1].split("  ")
        assert [v.split("=")[0] for v in values] == DIMENSIONS
        assert all(np.isfinite(float(v.split("=")[1])) for v in values)


def test_predict_regression_model_csv_and_json(regression_model, wavs, capsys):
    assert main(["predict", str(regression_model), *wavs, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["file"] for r in rows] == wavs
    assert list(rows[0]) == ["file", *DIMENSIONS, "warning"]
    from_csv = [[float(r[d]) for d in DIMENSIONS] for r in rows]
    assert main(["predict", str(regression_model), *wavs, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in records] == wavs
    assert all(set(r) == {"file", "values", "warnings"} for r in records)
    assert [[r["values"][d] for d in DIMENSIONS] for r in records] == from_csv


def test_predict_regression_model_with_a_bad_file(regression_model, wavs, tmp_path,
                                                  capsys):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF....WAVEfmt garbage")
    files = [wavs[0], str(corrupt), "/no/such.wav", wavs[1]]
    assert main(["predict", str(regression_model), *files, "--format", "json"]) == 1
    captured = capsys.readouterr()
    records = json.loads(captured.out)
    assert [r["file"] for r in records] == wavs[:2]
    assert all(list(r["values"]) == DIMENSIONS for r in records)
    assert f"error: {corrupt}:" in captured.err
    assert "error: /no/such.wav: does not exist" in captured.err
    assert "2 of 4 files failed, 2 predicted" in captured.err
    assert "Traceback" not in captured.err


def test_predict_names_other_target_counts_by_number(iemocap_root, wavs, tmp_path,
                                                     monkeypatch, capsys):
    import sklearn_ser
    from sklearn_ser import make_baseline_pipeline
    from sklearn_ser.datasets import load_iemocap

    data = load_iemocap(iemocap_root, target="dimensions")
    pipe = make_baseline_pipeline(task="regression").fit(
        list(data.filenames[:12]), data.target[:12, :2])
    model = tmp_path / "two.skser"
    model.write_bytes(b"")
    monkeypatch.setattr(sklearn_ser, "load", lambda path, device=None: pipe)
    assert main(["predict", str(model), *wavs[:2], "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["file", "target 0", "target 1", "warning"]


def test_timeline_refuses_a_regression_model(regression_model, wavs, capsys):
    assert main(["timeline", str(regression_model), wavs[0]]) == 1
    err = capsys.readouterr().err
    assert "is a regression model" in err and "needs a classifier" in err
    assert len(err.strip().splitlines()) == 1


def test_training_summary_of_a_regressor():
    from types import SimpleNamespace

    from skorch.history import History

    from sklearn_ser._cli._progress import training_summary

    history = History()
    for epoch, score in enumerate([0.1, 0.4, 0.3], start=1):
        history.new_epoch()
        history.record("epoch", epoch)
        history.record("train_loss", 1.0 - score)
        history.record("valid_ccc", score)
    line = training_summary(SimpleNamespace(history=history, best_epoch_=2), 3.0)
    assert "3 epochs" in line and "kept epoch 2 of 3, validation CCC 0.400" in line
    assert "valid_ccc" not in line and "WA" not in line


def test_epoch_selection_and_training_line_of_a_regression_pipeline():
    from sklearn_ser import make_ser_pipeline
    from sklearn_ser._cli._models import describe_training, epoch_selection

    pipe = make_ser_pipeline(task="regression", recipe="paper")
    assert epoch_selection(pipe).startswith("best epoch chosen on a validation")
    assert "max_epochs=200" in describe_training(pipe)
    fast = make_ser_pipeline(task="regression", recipe="fast")
    assert "the last epoch is kept" in epoch_selection(fast)


def test_target_names():
    from sklearn_ser._cli._dimensions import target_names

    assert target_names(3) == DIMENSIONS
    assert target_names(1) == ["target 0"]
    assert target_names(2) == ["target 0", "target 1"]


def test_train_baseline_dimensions_then_predict(iemocap_root, cache, wavs, tmp_path,
                                                capsys):
    from sklearn.linear_model import RidgeCV

    from sklearn_ser import load

    model = tmp_path / "ridge.skser"
    assert main(["train", "--iemocap", str(iemocap_root), "--target", "dimensions",
                 "--model", "baseline", "-o", str(model), *cache]) == 0
    assert "training the functionals baseline (RidgeCV) on 40 utterances" in (
        capsys.readouterr().out)
    pipe = load(model)
    assert type(pipe["regressor"]) is RidgeCV
    assert main(["predict", str(model), *wavs, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    values = np.array([[r["values"][d] for d in DIMENSIONS] for r in records])
    np.testing.assert_allclose(values, pipe.predict(wavs), atol=1e-6)
