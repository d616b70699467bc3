"""The first hour with the command line: progress, wording, start-up, info.

Each test checks one point of what a new user meets: progress lines with
the time left (from the first epoch on), one message for an interrupted
fit, quiet ends in a pipe, the neutral label as an option, wording that
says "tied" when the models tie, a start-up that imports no heavy library,
``--version`` and ``info``.
"""

import json
import os
import re
import signal
import subprocess
import sys
import types

import numpy as np
import pytest

from sklearn_ser._cli import _progress, main
from sklearn_ser.datasets import make_emotional_speech

from .._signals import write

#: A tiny network: the commands' paths, not a model that learns.
TINY = ["--epochs", "2", "--n-frames", "60", "--lr", "0.01", "--l2", "0",
        "--hidden-units", "8", "--lstm-units", "4", "--attention-units", "4",
        "--batch-size", "4", "--device", "cpu"]
#: Libraries that --help, --version, argument errors and the import must not load.
HEAVY = ("torch", "sklearn", "skorch", "scipy", "pandas", "matplotlib", "dask",
         "onnx", "onnxruntime", "opensmile", "numpy")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A CSV corpus labelled as users label theirs: ``neutral``, not ``neu``."""
    root = tmp_path_factory.mktemp("own")
    data = make_emotional_speech(n_samples=24, n_sessions=3, random_state=2)
    names = {"ang": "angry", "hap": "happy", "neu": "neutral", "sad": "sad"}
    rows = ["file,emotion,speaker,session"]
    for i, (x, label, speaker, group) in enumerate(zip(
            data.data, data.target, data.speakers, data.groups, strict=True)):
        write(root / f"u{i:02d}.wav", x)
        rows.append(f"u{i:02d}.wav,{names[label]},{speaker},{group}")
    (root / "corpus.csv").write_text("\n".join(rows) + "\n")
    return root / "corpus.csv"


def CSV(corpus):
    return ["--data", str(corpus), "--speaker-column", "speaker", "--session-column",
            "session"]


def _run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


# -- 1. progress --------------------------------------------------------------


def test_progress_lines_come_within_the_first_epoch(corpus, tmp_path, capsys,
                                                    monkeypatch):
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    status, out, err = _run(capsys, "train", *CSV(corpus), "-o", tmp_path / "m.skser",
                            "--recipe", "fast", "--neutral-label", "neutral", *TINY)
    assert status == 0, err
    lines = out.splitlines()
    within = [i for i, line in enumerate(lines)
              if re.match(r"  epoch 1/2 \(\d+ of 24 utterances\); \d+ s elapsed, "
                          r"about .+ left$", line)]
    end_of_first = next(i for i, line in enumerate(lines)
                        if line.startswith("  epoch 1/2: loss "))
    assert within and within[0] < end_of_first
    assert re.search(r"  epoch 2/2: loss \d\.\d{3}; \d+ s elapsed, about 0 s left",
                     out)
    assert "notice: the paper's recipe" not in out  # the fast recipe


def test_paper_recipe_on_the_cpu_says_how_long_it_takes(corpus, tmp_path, capsys,
                                                        monkeypatch):
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    status, out, err = _run(capsys, "train", *CSV(corpus), "-o", tmp_path / "m.skser",
                            "--neutral-label", "neutral", *TINY)
    assert status == 0, err
    notices = [line for line in out.splitlines() if line.startswith("notice:")]
    assert len(notices) == 1
    assert re.fullmatch(r"notice: the paper's recipe on the CPU: about .+ per fit "
                        r"\(2 epochs of about .+, estimated from the first epoch\); "
                        r"--recipe fast trains the same architecture in minutes",
                        notices[0])
    first_line = next(i for i, line in enumerate(out.splitlines())
                      if line.startswith("  epoch 1/2: loss"))
    assert out.splitlines().index(notices[0]) < first_line


def test_evaluate_reports_progress_per_fold_and_the_time_left_in_all(
        corpus, capsys, monkeypatch):
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    status, out, err = _run(capsys, "evaluate", *CSV(corpus), "--recipe", "fast",
                            "--neutral-label", "neutral", "--attention", "mean",
                            "--no-baseline", *TINY)
    assert status == 0, err
    for fold in (1, 2, 3):
        assert re.search(rf"  fold {fold}/3, epoch 2/2: loss \d\.\d{{3}}; \d+ s "
                         r"elapsed, about .+ left \(.+ for the 3 folds\)", out)
    assert out.count("fit done: 2 epochs") == 3


# -- 2. an interrupted fit ----------------------------------------------------


class _SigintInEpoch2(_progress.Progress):
    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        super().on_batch_end(net, batch=batch, training=training, **kwargs)
        if training and len(net.history) == 2:
            os.kill(os.getpid(), signal.SIGINT)


def test_an_interrupted_fit_says_so_once(corpus, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_progress, "Progress", _SigintInEpoch2)
    model = tmp_path / "m.skser"
    status, out, err = _run(capsys, "train", *CSV(corpus), "-o", model, "--recipe",
                            "fast", "--neutral-label", "neutral", *TINY)
    assert status == 130
    assert "fit done" not in out and "Wrote" not in out
    assert err.strip().splitlines() == [
        "sklearn-ser train: interrupted (Ctrl-C): no model was written"]
    assert not model.exists()


# -- 3. broken pipes ----------------------------------------------------------


@pytest.fixture(scope="module")
def model(corpus, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.skser"
    assert main(["train", *CSV(corpus), "-o", str(path), "--recipe", "fast",
                 "--neutral-label", "neutral", *TINY]) == 0
    return path


@pytest.fixture(scope="module")
def long_wav(corpus):
    """A recording of every utterance of the corpus, one after the other."""
    import soundfile as sf

    wavs = sorted(corpus.parent.glob("u*.wav"))
    x = np.concatenate([sf.read(w, dtype="float32")[0] for w in wavs])
    return write(corpus.parent / "long.wav", x)


def _reader_gone(argv):
    """Run the command line with a stdout whose reader closed before it wrote."""
    proc = subprocess.Popen([sys.executable, "-m", "sklearn_ser", *map(str, argv)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    return proc.wait(timeout=300), err


@pytest.mark.parametrize("command", ["timeline", "predict", "info", "help"])
def test_a_reader_that_closes_early_ends_the_command_quietly(command, model,
                                                             long_wav, corpus):
    argv = {"timeline": ["timeline", model, long_wav, "--segmentation", "fixed",
                         "--window", "0.5", "--hop", "0.1"],
            "predict": ["predict", model,
                        *sorted(corpus.parent.glob("u*.wav"))[:3]],
            "info": ["info", model],
            "help": ["--help"]}[command]
    status, err = _reader_gone(argv)
    assert status == 141
    # no traceback, no error line: only what the command warns of the files
    assert all(line.startswith("warning: ") for line in err.splitlines()), err


# -- 4. the neutral label -----------------------------------------------------


def test_the_neutral_label_is_an_option_and_the_message_names_it(corpus, tmp_path,
                                                                 capsys):
    from sklearn_ser import load

    model = tmp_path / "m.skser"
    status, out, err = _run(capsys, "train", *CSV(corpus), "-o", model, "--recipe",
                            "fast", *TINY)
    assert status == 1 and not model.exists() and out == ""
    assert "--neutral-label" in err and "give --neutral-label neutral" in err
    assert len(err.strip().splitlines()) == 1
    status, out, err = _run(capsys, "train", *CSV(corpus), "-o", model, "--recipe",
                            "fast", "--neutral-label", "neutral", *TINY)
    assert status == 0, err
    scaler = load(model)["scaler"]
    assert scaler.neutral_label == "neutral"
    assert scaler.n_neutral_samples_ == 6  # 24 utterances, 4 balanced classes
    status, _, err = _run(capsys, "evaluate", *CSV(corpus), "--recipe", "fast",
                          *TINY)
    assert status == 1 and "--neutral-label neutral" in err
    status, _, err = _run(capsys, "evaluate", *CSV(corpus), "--recipe", "fast",
                          "--normalization", "speaker", "--neutral-label", "neutral",
                          *TINY)
    assert status == 1 and "--neutral-label applies to --normalization neutral" in err


def test_a_fold_without_neutral_utterances_names_the_option():
    from sklearn_ser._cli._common import CLIError
    from sklearn_ser._cli._models import neutral_error
    from sklearn_ser.preprocessing import NeutralStandardScaler

    with pytest.raises(ValueError) as exc:
        NeutralStandardScaler().fit(np.zeros((2, 1)), ["ang", "sad"])
    error = neutral_error(exc.value)
    assert isinstance(error, CLIError)
    assert "neutral_label='neu'" in str(error) and "--neutral-label" in str(error)
    assert neutral_error(ValueError("something else")) is None


# -- 5. wording ----------------------------------------------------------------


@pytest.mark.parametrize("network, baseline, expected", [
    ([0.50, 0.60, 0.55], [0.50, 0.60, 0.55], "tied"),  # equal: 0.0 points
    ([0.52, 0.60, 0.55], [0.51, 0.58, 0.57], "tied"),  # within the spread
    ([0.70, 0.72, 0.69], [0.50, 0.51, 0.52], "better"),
    ([0.40, 0.41, 0.39], [0.50, 0.51, 0.52], "worse"),
])
def test_the_verdict_says_tied_within_the_spread_of_the_paired_folds(
        network, baseline, expected):
    from sklearn_ser._cli._report import verdict

    line = verdict(network, baseline, "the network", "the baseline")
    diff = np.subtract(network, baseline)
    if expected == "tied":
        assert line.startswith("the network and the baseline are tied on UA: the "
                               f"mean paired difference, {100 * diff.mean():+.1f} "
                               "points, is within the spread")
        assert "better" not in line and "worse" not in line
    else:
        assert line.startswith(f"the network is {expected} than the baseline by "
                               f"{100 * abs(diff.mean()):.1f} UA points")
        assert abs(diff.mean()) > diff.std()


def test_evaluate_labels_the_run_by_its_epochs_and_names_the_better_model(
        corpus, capsys):
    status, out, err = _run(capsys, "evaluate", *CSV(corpus), "--recipe", "fast",
                            "--neutral-label", "neutral", "--attention", "mean",
                            *TINY)
    assert status == 0, err
    row = next(line for line in out.splitlines() if line.startswith("mean "))
    assert "ours (last epoch)" in row and "validation" not in row
    assert "no validation split, the last epoch is kept" in out
    assert re.search(r"^The mean network (is (better|worse) than the functionals \+ "
                     r"SVM baseline by \d+\.\d UA points|and the functionals \+ SVM "
                     r"baseline are tied on UA)", out, re.MULTILINE)
    # the paper recipe chooses its epoch on a validation split
    status, out, err = _run(capsys, "evaluate", *CSV(corpus), "--neutral-label",
                            "neutral", "--attention", "mean", "--no-baseline", *TINY)
    assert status == 0, err
    row = next(line for line in out.splitlines() if line.startswith("mean "))
    assert "ours (validation)" in row and "kept epoch" in out


# -- 6. start-up ---------------------------------------------------------------


@pytest.mark.parametrize("code", [
    "import sklearn_ser",
    "from sklearn_ser._cli import main\ntry: main(['--help'])\nexcept SystemExit: pass",
    "from sklearn_ser._cli import main\ntry: main(['--version'])\nexcept SystemExit: "
    "pass",
    "from sklearn_ser._cli import main\ntry: main(['train', '--iemocap', 'x'])\n"
    "except SystemExit: pass",
    "from sklearn_ser._cli import main\ntry: main(['predict', '--device', 'gpu', 'm', "
    "'a.wav'])\nexcept SystemExit: pass",
])
def test_help_version_argument_errors_and_the_import_load_no_heavy_library(code):
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in " \
            "sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True,
                          text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_load_works_after_the_lazy_import(model):
    code = ("import sklearn_ser, sys\n"
            "assert 'torch' not in sys.modules\n"
            f"pipe = sklearn_ser.load({str(model)!r})\n"
            "print(type(pipe['classifier']).__name__, sklearn_ser.metrics.SCORING"
            ".keys() == {'WA', 'UA'})")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, check=True)
    assert proc.stdout.split() == ["SERClassifier", "True"]


# -- 7. the baseline in the timeline --------------------------------------------


def test_the_baseline_of_train_gives_a_timeline(corpus, long_wav, tmp_path, capsys):
    model = tmp_path / "baseline.skser"
    status, _, err = _run(capsys, "train", *CSV(corpus), "-o", model, "--model",
                          "baseline", "--neutral-label", "neutral")
    assert status == 0, err
    status, out, err = _run(capsys, "timeline", model, long_wav, "--format", "json")
    assert status == 0, err
    records = json.loads(out)
    assert records and all(sum(r["probabilities"].values()) == pytest.approx(1, abs=1e-5)
                           for r in records)


# -- 8. --version and info ------------------------------------------------------


def test_version_names_python_and_the_dependencies(capsys):
    from importlib import metadata

    import sklearn_ser

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    first, second = capsys.readouterr().out.strip().splitlines()
    assert first == f"sklearn-ser {sklearn_ser.__version__}"
    assert second.startswith(f"Python {sys.version.split()[0]}; ")
    for name in ("scikit-learn", "torch", "skorch", "opensmile"):
        assert f"{name} {metadata.version(name)}" in second


def test_info_tells_what_a_model_file_is(model, capsys):
    import sklearn
    import skorch
    import torch

    status, out, err = _run(capsys, "info", model)
    assert status == 0, err
    fields = dict(re.match(r"  ([a-z_ ]+):\s+(.*)", line).groups()
                  for line in out.splitlines()[1:])
    assert fields["task"] == ("classification of 4 classes: angry, happy, neutral, "
                              "sad")
    assert fields["features"].startswith("32 openSMILE LLDs per 10 ms frame at "
                                         "16000 Hz: F0, RMSenergy, zcr, voiceProb, "
                                         "mfcc[1-12] and their deltas")
    assert fields["model"].startswith("network with lstm pooling (SERClassifier, 8 "
                                      "hidden, 4 LSTM, 4 attention units); recipe "
                                      "fast, except ")
    assert "max_epochs=2" in fields["model"] and "kept epoch 2 of 2" in fields["model"]
    assert fields["normalisation"] == ("neutral: the statistics of the 6 training "
                                       "utterances labelled neutral")
    assert fields["n_frames"].startswith("60 (0.6 s per utterance")
    assert fields["training corpus"] == ("24 utterances (angry 6, happy 6, neutral 6, "
                                         "sad 6)")
    assert fields["commands"] == "predict, timeline"
    for name, version in (("scikit-learn", sklearn.__version__),
                          ("torch", torch.__version__),
                          ("skorch", skorch.__version__)):
        assert f"{name} {version}" in fields["saved with"]
    status, out, _ = _run(capsys, "info", model, "--format", "json")
    record = json.loads(out)
    assert record["n_training_utterances"] == 24 and record["n_frames"] == 60
    assert record["classes"] == ["angry", "happy", "neutral", "sad"]
    assert record["written_with"]["skorch"] == skorch.__version__


def test_info_of_a_baseline_and_of_a_damaged_file(corpus, tmp_path, capsys):
    model = tmp_path / "b.skser"
    assert main(["train", *CSV(corpus), "-o", str(model), "--model", "baseline",
                 "--normalization", "speaker"]) == 0
    capsys.readouterr()
    status, out, _ = _run(capsys, "info", model, "--format", "json")
    fields = json.loads(out)["fields"]
    assert fields["model"] == "functionals baseline: CalibratedClassifierCV(SVC)"
    assert fields["normalisation"].startswith("speaker")
    assert fields["training corpus"].startswith("24 utterances")
    assert fields["commands"].startswith("predict (timeline refuses")
    damaged = tmp_path / "damaged.skser"
    damaged.write_bytes(model.read_bytes()[:200])
    status, out, err = _run(capsys, "info", damaged)
    assert status == 1 and out == "" and "damaged" in err


def test_the_notice_of_short_epochs_says_what_it_is_estimated_from(
        corpus, tmp_path, capsys, monkeypatch):
    # epochs shorter than the interval: the first line, and the notice, come
    # after several epochs
    ticks = iter(range(10**6))
    monkeypatch.setattr(_progress, "time", types.SimpleNamespace(
        perf_counter=lambda: next(ticks) / 100))
    status, out, err = _run(capsys, "train", *CSV(corpus), "-o", tmp_path / "m.skser",
                            "--neutral-label", "neutral", *TINY)
    assert status == 0, err
    [notice] = [line for line in out.splitlines() if line.startswith("notice:")]
    assert "estimated from the epochs so far)" in notice, out
