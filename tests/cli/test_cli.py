import argparse
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from sklearn_ser._cli import build_parser, main
from sklearn_ser._cli._common import CLIError
from sklearn_ser.datasets import make_emotional_speech, write_iemocap_layout
from sklearn_ser.pipeline._factories import recipe_params

FAST = ["--epochs", "1", "--n-frames", "150", "--lr", "0.01", "--l2", "0"]


@pytest.fixture(scope="module")
def iemocap_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("iemocap")
    write_iemocap_layout(make_emotional_speech(n_samples=60, random_state=0), root)
    return root


@pytest.mark.parametrize("command", ["demo", "evaluate", "train", "predict",
                                     "timeline", "info"])
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


@pytest.mark.parametrize("normalization", ["neutral", "speaker"])
def test_train_baseline_then_predict(iemocap_root, tmp_path, capsys, normalization):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    from sklearn_ser import Functionals, load

    model = tmp_path / "baseline.skser"
    assert main(["train", "--iemocap", str(iemocap_root), "-o", str(model),
                 "--model", "baseline", "--normalization", normalization]) == 0
    out = capsys.readouterr().out
    assert ("training the functionals baseline (SVM with balanced class weights) "
            "on 60 utterances") in out
    assert f"Wrote {model}" in out and "fit done" not in out
    pipe = load(model)
    assert isinstance(pipe["functionals"], Functionals)
    assert type(pipe["classifier"]) is CalibratedClassifierCV
    assert type(pipe["classifier"].estimator) is SVC
    wavs = sorted(str(p) for p in iemocap_root.rglob("*.wav"))[:3]
    argv = ["predict", str(model), *wavs, "--format", "json"]
    if normalization == "speaker":
        argv += ["--speaker", "Ses01F"]
    assert main(argv) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in records] == wavs
    X = wavs
    if normalization == "speaker":
        import pandas as pd

        X = pd.DataFrame({"audio": wavs, "speaker": ["Ses01F"] * 3})
    proba = pipe.predict_proba(X)
    for r, p in zip(records, proba, strict=True):
        assert r["label"] in {"ang", "hap", "neu", "sad"}
        np.testing.assert_allclose(list(r["probabilities"].values()), p, atol=1e-6)


def test_train_baseline_refuses_network_options(iemocap_root, tmp_path, capsys):
    model = tmp_path / "baseline.skser"
    assert main(["train", "--iemocap", str(iemocap_root), "-o", str(model),
                 "--model", "baseline", "--epochs", "3", "--lr", "0.1"]) == 1
    err = capsys.readouterr().err
    assert "--epochs, --lr set(s) the network's training; --model baseline" in err
    assert not model.exists()


def test_evaluate_writes_per_fold_results(iemocap_root, tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["evaluate", "--iemocap", str(iemocap_root), "--attention", "mean",
                 "--paper-selection", "--out", str(out), *FAST]) == 0
    text = capsys.readouterr().out
    assert "paper WA" in text and "test-fold selection" in text
    assert "60.5" in text  # the paper's mean-pooling WA on the full set
    assert "chance" in text and "functionals + SVM" in text
    results = json.loads((out / "results.json").read_text())["results"]
    assert set(results) == {"baseline_svm", "mean", "mean_paper_selection"}
    assert len(results["mean"]["folds"]) == 5
    # the epoch each fold's network kept (one epoch here), none for the SVM
    assert [f["best_epoch"] for f in results["mean"]["folds"]] == [1] * 5
    assert [f["best_epoch"] for f in results["mean_paper_selection"]["folds"]] == [1] * 5
    assert [f["best_epoch"] for f in results["baseline_svm"]["folds"]] == [None] * 5
    rows = (out / "results.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + 3 * 5


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
    verdict = next(line for line in lines if line.startswith("Under speaker "))
    assert re.search(r"the lstm network (is (better|worse) than the functionals \+ "
                     r"SVM baseline by \d+\.\d UA points|and the functionals \+ SVM "
                     r"baseline are tied on UA)", verdict), verdict


def test_parser_defaults_give_the_paper_values():
    from sklearn_ser._cli._models import make_network as make_pipeline

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
    assert saved["parameters"]["mean"]["classifier"]["max_epochs"] == 1
    assert saved["parameters"]["mean"]["scaler"] is not None


# --- own data, robust predict, honest output ------------------------------------


def _write_wav(path, signal, sr=16000):
    import soundfile as sf

    sf.write(path, np.asarray(signal, dtype=np.float32), sr)
    return str(path)


@pytest.fixture(scope="module")
def corpus_csv(tmp_path_factory):
    """A CSV corpus written as a user would: relative paths, own column names."""
    root = tmp_path_factory.mktemp("corpus")
    data = make_emotional_speech(n_samples=40, random_state=1)
    (root / "audio").mkdir()
    rows = ["path,mood,talker,take"]
    for i, (x, label, speaker, group) in enumerate(zip(
            data.data, data.target, data.speakers, data.groups, strict=True)):
        _write_wav(root / "audio" / f"u{i:03d}.wav", x)
        rows.append(f"audio/u{i:03d}.wav,{label},{speaker},{group}")
    (root / "corpus.csv").write_text("\n".join(rows) + "\n")
    return root / "corpus.csv"


CSV_COLUMNS = ["--audio-column", "path", "--label-column", "mood",
               "--speaker-column", "talker", "--session-column", "take"]


def test_csv_corpus_end_to_end(corpus_csv, tmp_path, capsys):
    model = tmp_path / "model.skser"
    assert main(["train", "--data", str(corpus_csv), *CSV_COLUMNS, "-o", str(model),
                 "--attention", "mean", *FAST]) == 0
    assert "corpus.csv: training on 40 utterances" in capsys.readouterr().out
    out = tmp_path / "results"
    assert main(["evaluate", "--data", str(corpus_csv), *CSV_COLUMNS,
                 "--attention", "mean", "--out", str(out), *FAST]) == 0
    text = capsys.readouterr().out
    assert "5 leave-one-group-out folds" in text and "chance" in text
    assert "paper WA" not in text  # the paper's numbers are IEMOCAP's
    saved = json.loads((out / "results.json").read_text())
    assert saved["corpus"] == "corpus.csv" and saved["n_utterances"] == 40
    wavs = sorted(str(p) for p in (corpus_csv.parent / "audio").glob("*.wav"))[:2]
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF....WAVEfmt garbage")
    status = main(["predict", str(model), wavs[0], str(corrupt), wavs[1]])
    captured = capsys.readouterr()
    assert status == 1
    lines = captured.out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == wavs
    assert f"error: {corrupt}:" in captured.err
    assert "1 of 3 files failed, 2 predicted" in captured.err


def test_csv_options_need_data_and_iemocap_options_need_iemocap(
        corpus_csv, iemocap_root, capsys):
    assert main(["evaluate", "--iemocap", str(iemocap_root), "--label-column", "x",
                 *FAST]) == 1
    assert "--label-column apply to --data" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(corpus_csv), "--merge-excited",
                 *FAST]) == 1
    assert "--merge-excited apply to --iemocap" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(corpus_csv.parent), *FAST]) == 1
    assert "is a directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--data", str(corpus_csv), "--iemocap", "x"])
    assert exc.value.code == 2
    capsys.readouterr()


def test_evaluate_without_groups_is_refused(corpus_csv, capsys):
    assert main(["evaluate", "--data", str(corpus_csv), "--audio-column", "path",
                 "--label-column", "mood", *FAST]) == 1
    assert "--session-column or --speaker-column" in capsys.readouterr().err


@pytest.fixture(scope="module")
def model_file(iemocap_root, tmp_path_factory):
    model = tmp_path_factory.mktemp("model") / "model.skser"
    assert main(["train", "--iemocap", str(iemocap_root), "-o", str(model),
                 "--attention", "mean", "--epochs", "1", "--n-frames", "400",
                 "--l2", "0"]) == 0
    return model


@pytest.fixture(scope="module")
def test_files(iemocap_root, tmp_path_factory):
    import soundfile as sf

    folder = tmp_path_factory.mktemp("files")
    wavs = sorted(iemocap_root.rglob("*.wav"))[:4]
    sr = sf.info(wavs[0]).samplerate
    t = np.arange(2 * sr) / sr
    long = np.concatenate([sf.read(w)[0] for w in wavs] * 2)
    return {
        "good": [str(w) for w in wavs[:2]],
        "empty": _write_wav(folder / "empty.wav", np.zeros(0), sr),
        "long": _write_wav(folder / "long.wav", long, sr),
        "silence": _write_wav(folder / "silence.wav", np.zeros(2 * sr), sr),
        "tone": _write_wav(folder / "tone.wav", 0.5 * np.sin(2 * np.pi * 220 * t), sr),
        "folder": str(folder),
        "long_seconds": len(long) / sr,
    }


def test_predict_reports_bad_files_and_prints_the_good_ones(model_file, test_files,
                                                            capsys):
    good = test_files["good"]
    files = [good[0], test_files["empty"], test_files["folder"], "/no/such.wav",
             good[1]]
    assert main(["predict", str(model_file), *files]) == 1
    captured = capsys.readouterr()
    assert [line.split("\t")[0] for line in captured.out.strip().splitlines()] == good
    err = captured.err
    assert f"error: {test_files['empty']}:" in err
    assert f"error: {test_files['folder']}: is a directory" in err
    assert "error: /no/such.wav: does not exist" in err
    assert "3 of 5 files failed, 2 predicted" in err
    assert "Traceback" not in err
    assert main(["predict", str(model_file), *good]) == 0


def test_predict_csv_format(model_file, test_files, capsys):
    import csv
    import io

    assert main(["predict", str(model_file), *test_files["good"], "--format",
                 "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["file"] for r in rows] == test_files["good"]
    for r in rows:
        probs = {c: float(r[c]) for c in ("ang", "hap", "neu", "sad")}
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-4)
        assert r["label"] == max(probs, key=probs.get)


def test_predict_warns_on_long_files(model_file, test_files, capsys):
    assert main(["predict", str(model_file), test_files["long"], "--format",
                 "json"]) == 0
    captured = capsys.readouterr()
    [record] = json.loads(captured.out)
    assert f"{test_files['long_seconds']:.1f} s of audio" in captured.err
    assert "only the first 4.0 s (n_frames=400)" in captured.err
    assert record["warnings"] and "n_frames=400" in record["warnings"][0]
    assert main(["predict", str(model_file), test_files["good"][0]]) == 0
    assert "warning" not in capsys.readouterr().err


def test_predict_warns_on_non_speech(model_file, test_files, capsys):
    assert main(["predict", str(model_file), test_files["silence"],
                 test_files["tone"]]) == 0
    err = capsys.readouterr().err
    assert f"warning: {test_files['silence']}: silence (no frame louder" in err
    assert f"warning: {test_files['tone']}: no speech found" in err


def test_predict_reads_lossy_files_and_warns_on_narrowband(model_file, tmp_path,
                                                           capsys):
    import soundfile as sf

    from .._signals import real_speech

    [path] = [p for p in real_speech() if p.endswith("vm-nonumber.wav")]
    x, rate = sf.read(path, dtype="float32")
    x = 0.999 * x / np.abs(x).max()  # mastered to full scale
    ogg = tmp_path / "real.ogg"
    sf.write(ogg, x, rate, format="OGG", subtype="VORBIS")
    assert np.abs(sf.read(ogg)[0]).max() > 1  # the decoder overshoots
    assert main(["predict", "--format", "json", str(model_file), str(ogg)]) == 0
    captured = capsys.readouterr()
    [record] = json.loads(captured.out)
    assert record["warnings"] == [
        "sampled at 8000 Hz, so no frequencies above 4000 Hz; the features span "
        "up to 8000 Hz, so the band between is missing (e.g. telephone audio "
        "given to a model of wideband speech)"]
    assert f"warning: {ogg}: sampled at 8000 Hz" in captured.err


def test_model_file_mode_follows_the_umask(model_file):
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    assert os.stat(model_file).st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "tpu"])
def test_unknown_device_is_refused_before_any_work(device, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--iemocap", "/no/such/dir", "-o", "m", "--device", device])
    assert exc.value.code == 2
    assert f"device={device!r}" in capsys.readouterr().err


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="CUDA present")
def test_cuda_on_a_cpu_machine_is_refused_before_any_work(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--iemocap", "/no/such/dir", "-o", "m", "--device", "cuda"])
    assert exc.value.code == 2
    assert "CUDA" in capsys.readouterr().err


def test_training_summary_is_readable():
    from types import SimpleNamespace

    from skorch.history import History

    from sklearn_ser._cli._progress import training_summary

    history = History()
    for epoch, score in enumerate([1.2, 1.6, 1.4], start=1):
        history.new_epoch()
        history.record("epoch", epoch)
        history.record("train_loss", 1.0 / epoch)
        history.record("valid_wa_ua", score)
    line = training_summary(SimpleNamespace(history=history, best_epoch_=2), 12.0)
    assert "3 epochs" in line and "kept epoch 2 of 3" in line
    assert "validation WA+UA 1.600 (scale 0-2" in line
    assert "valid_wa_ua" not in line
    # the kept epoch is the estimator's best_epoch_, not the history's argmax
    line = training_summary(SimpleNamespace(history=history, best_epoch_=3), 12.0)
    assert "kept epoch 3 of 3, validation WA+UA 1.400" in line
    single = History()
    single.new_epoch()
    single.record("epoch", 1)
    single.record("train_loss", 0.5)
    line = training_summary(SimpleNamespace(history=single, best_epoch_=1), 1.0)
    assert "1 epoch," in line and "no validation split, the last epoch" in line


def test_collapsed_folds_are_flagged():
    from sklearn_ser._cli._report import CategoryScores
    from sklearn_ser.pipeline._evaluation import SessionEvaluation

    y = np.array(["a", "b", "a", "b", "a", "b"])
    res = SessionEvaluation(y_true=y, y_pred=np.array(["a", "b", "a", "a", "b", "b"]),
                            fold=np.array([0, 0, 1, 1, 2, 2]),
                            test_groups=[np.array([1]), np.array([2]), np.array([3])],
                            labels=np.array(["a", "b"]))
    warnings = CategoryScores(y).warnings(res)
    assert len(warnings) == 2
    assert "fold 1 (test 2) predicts only 'a'" in warnings[0]
    assert "fold 2 (test 3) predicts only 'b'" in warnings[1]


def test_help_documents_every_option():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, cmd in sub.choices.items():
        for action in cmd._actions:
            if action.dest in ("help", "func"):
                continue
            assert action.help, f"{name} {action.option_strings or action.dest}"


def test_evaluate_takes_every_subset_and_the_unit_flags():
    from sklearn_ser._cli._models import make_network as make_pipeline

    args = build_parser().parse_args(
        ["evaluate", "--iemocap", "x", "--subset", "scripted", "--recipe", "fast",
         "--hidden-units", "8", "--lstm-units", "4", "--attention-units", "3"])
    params = make_pipeline(args, "lstm").get_params()
    assert args.subset == "scripted"
    assert (params["classifier__hidden_units"], params["classifier__lstm_units"],
            params["classifier__attention_units"]) == (8, 4, 3)
    assert params["padcrop__n_frames"] == recipe_params("fast")["n_frames"]


def test_multiline_errors_keep_their_details(monkeypatch, capsys):
    import sklearn_ser._cli as cli

    def fail(args):
        raise CLIError("2 of 3 inputs could not be used:\n  a.wav: bad\n  b.wav: worse")

    parser = build_parser()
    monkeypatch.setattr(parser, "parse_args",
                        lambda argv: argparse.Namespace(command="demo", func=fail))
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main(["demo"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "sklearn-ser demo: error: 2 of 3 inputs could not be used:"
    assert err[1:] == ["  a.wav: bad", "  b.wav: worse"]


def test_errors_of_the_library_are_one_line_messages(tmp_path, capsys):
    model = tmp_path / "model.skser"
    model.write_bytes(b"not a model")
    assert main(["predict", str(model), "a.wav"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"sklearn-ser predict: error: Model file '{model}' is not "
                          "a sklearn-ser model file")
    assert "Traceback" not in err


def test_unexpected_exceptions_keep_their_traceback(tmp_path, monkeypatch, capsys):
    import sklearn_ser._cli._predict as predict

    model = tmp_path / "model.skser"
    model.write_bytes(b"not a model")
    monkeypatch.setattr(predict, "check_model_file", lambda path: path + 1)  # a bug
    with pytest.raises(TypeError, match="can only concatenate str"):
        main(["predict", str(model), "a.wav"])
    assert "sklearn-ser predict: unexpected TypeError; this is a bug" in (
        capsys.readouterr().err)


def test_which_exceptions_are_messages_for_the_user(tmp_path):
    from sklearn_ser import SERClassifier, load
    from sklearn_ser._cli import user_facing
    from sklearn_ser._cli._common import positive_int
    from sklearn_ser._compat import InvalidParameterError

    from .._common import SMALL_NET, toy_3d

    def raised(call, *args):
        try:
            call(*args)
        except Exception as exc:
            return exc
        raise AssertionError("no exception")

    (tmp_path / "bad.skser").write_bytes(b"x")
    assert user_facing(raised(load, tmp_path / "bad.skser"))  # ValueError, raised
    assert user_facing(raised(load, tmp_path / "absent.skser"))  # an OSError
    X, y = toy_3d()
    bad_lr = raised(SERClassifier(**{**SMALL_NET, "lr": -1.0}).fit, X, y)
    assert isinstance(bad_lr, InvalidParameterError) and user_facing(bad_lr)
    assert user_facing(CLIError("x"))
    assert not user_facing(raised(positive_int, None))  # int(None) inside the library
    assert not user_facing(raised(lambda: {}["a"] + 1))
    assert not user_facing(ValueError("never raised"))


def test_epoch_selection_follows_the_recipe():
    from sklearn_ser import make_ser_pipeline
    from sklearn_ser._cli._models import epoch_selection

    fast = epoch_selection(make_ser_pipeline(recipe="fast"))
    assert fast == "trained on all the training speakers, the last epoch is kept"
    paper = epoch_selection(make_ser_pipeline(recipe="paper"), "training groups")
    assert paper == ("best epoch chosen on a validation split (10%) of the training "
                     "groups")


def test_models_that_do_not_take_audio_are_refused_with_the_reason(model_file,
                                                                   test_files,
                                                                   tmp_path, capsys):
    from sklearn_ser import load, save

    pipe = load(model_file)
    single = tmp_path / "single.skser"
    save(pipe.steps[-1][1], single)
    no_classifier = tmp_path / "features.skser"
    save(pipe[:-1], no_classifier)
    cases = [(single, "holds a single SERClassifier, not a pipeline that takes "
                      "audio"),
             (no_classifier, "ends with NeutralStandardScaler, which does not "
                             "predict")]
    for command in ("predict", "timeline"):
        for path, message in cases:
            assert main([command, str(path), test_files["good"][0]]) == 1
            err = capsys.readouterr().err
            assert message in err and "Traceback" not in err
