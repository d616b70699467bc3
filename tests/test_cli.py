import json
import subprocess
import sys

import pytest

from sklearn_ser._cli import build_parser, main
from sklearn_ser._pipeline import recipe_params
from sklearn_ser.datasets import make_emotional_speech, write_iemocap_layout

FAST = ["--epochs", "1", "--n-frames", "150", "--lr", "0.01", "--l2", "0"]


@pytest.fixture(scope="module")
def iemocap_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("iemocap")
    write_iemocap_layout(make_emotional_speech(n_samples=60, random_state=0), root)
    return root


@pytest.mark.parametrize("command", ["demo", "evaluate", "train", "predict"])
def test_help_of_every_command(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: sklearn-ser {command}" in capsys.readouterr().out


def test_module_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "sklearn_ser", "--help"],
                         capture_output=True, text=True, check=True)
    for command in ("demo", "evaluate", "train", "predict"):
        assert command in out.stdout


@pytest.mark.parametrize(
    "argv, match",
    [
        (["evaluate", "--iemocap", "/no/such/dir"], "/no/such/dir"),
        (["train", "--iemocap", "/no/such/dir", "-o", "m.zip"], "/no/such/dir"),
        (["predict", "/no/such/model.zip", "a.wav"], "model.zip"),
    ],
)
def test_user_mistakes_give_one_line_and_nonzero_exit(argv, match):
    proc = subprocess.run([sys.executable, "-m", "sklearn_ser", *argv],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and match in lines[0]


def test_not_an_iemocap_tree(tmp_path, capsys):
    (tmp_path / "something").mkdir()
    assert main(["evaluate", "--iemocap", str(tmp_path), *FAST]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "Session" in err


def test_bad_model_file(tmp_path, capsys):
    model = tmp_path / "model.zip"
    model.write_bytes(b"this is not a model")
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"")
    assert main(["predict", str(model), str(wav)]) == 1
    assert "model.zip" in capsys.readouterr().err


def test_bad_option_value_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--n-samples", "zero"])
    assert exc.value.code == 2
    assert "positive integer" in capsys.readouterr().err


def test_train_then_predict_json(iemocap_root, tmp_path, capsys):
    model = tmp_path / "model.zip"
    assert main(["train", "--iemocap", str(iemocap_root), "-o", str(model),
                 "--attention", "mean", *FAST]) == 0
    assert model.exists()
    wavs = sorted(str(p) for p in iemocap_root.rglob("*.wav"))[:3]
    capsys.readouterr()
    assert main(["predict", str(model), *wavs, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in records] == wavs
    for r in records:
        assert r["label"] in {"ang", "hap", "neu", "sad"}
        assert sum(r["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert r["label"] == max(r["probabilities"], key=r["probabilities"].get)


def test_evaluate_writes_per_fold_results(iemocap_root, tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["evaluate", "--iemocap", str(iemocap_root), "--attention", "mean",
                 "--paper-selection", "--out", str(out), *FAST]) == 0
    text = capsys.readouterr().out
    assert "paper WA" in text and "test-fold selection" in text
    assert "60.5" in text  # the paper's mean-pooling WA on the full set
    results = json.loads((out / "results.json").read_text())["results"]
    assert set(results) == {"mean", "mean_paper_selection"}
    assert len(results["mean"]["folds"]) == 5
    rows = (out / "results.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + 2 * 5


def test_demo_small(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--n-samples", "60", "--epochs", "1", "--n-jobs", "1",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert (out / "confusion_matrix.png").stat().st_size > 1000
    assert (out / "attention.png").stat().st_size > 1000
    lines = text.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("fold")))
    folds = [line.split() for line in lines[start + 1:start + 6]]
    assert [row[0] for row in folds] == ["0", "1", "2", "3", "4"]
    # fold, session, n, then the UA of the two baselines and of the network
    assert all(len(row) == 6 for row in folds)
    summary = {line[:26].strip(): line for line in text.splitlines()}
    assert "0.250" in summary["chance"]
    rows = [line for line in text.splitlines() if line.startswith(
        ("functionals + SVM", "lstm network"))]
    assert [row.split()[-8] for row in rows] == ["neutral", "speaker", "speaker"]
    assert "than the functionals + SVM baseline by" in text
    assert "better" in text or "worse" in text


def test_parser_defaults_give_the_paper_values():
    from sklearn_ser._cli._common import make_pipeline

    args = build_parser().parse_args(["evaluate", "--iemocap", "x"])
    assert (args.recipe, args.normalization) == ("paper", "neutral")
    params = make_pipeline(args, "lstm").get_params()
    assert params["padcrop__n_frames"] == 500
    assert (params["classifier__max_epochs"], params["classifier__lr"],
            params["classifier__l2"], params["classifier__batch_size"]) == (
        200, 3e-5, 5e-2, 32)
    args = build_parser().parse_args(["train", "--iemocap", "x", "-o", "m",
                                      "--recipe", "fast", "--epochs", "3"])
    params = make_pipeline(args, "mean").get_params()
    assert params["classifier__max_epochs"] == 3
    assert params["classifier__lr"] == recipe_params("fast")["lr"]


def test_evaluate_with_speaker_normalisation(iemocap_root, tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["evaluate", "--iemocap", str(iemocap_root), "--attention", "mean",
                 "--normalization", "speaker", "--out", str(out), *FAST]) == 0
    text = capsys.readouterr().out
    assert "normalization=speaker" in text
    saved = json.loads((out / "results.json").read_text())
    assert saved["normalization"] == "speaker" and saved["recipe"] == "paper"
    assert saved["epochs"] == 1
