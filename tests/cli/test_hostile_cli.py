"""The command line loses nothing: interrupted training, unwritable outputs.

Part of the robustness suite (the cases are in ``tests/_cases.py``).
"""

import json
import os
import re
import signal
import tempfile

import numpy as np
import pytest
import soundfile as sf

from sklearn_ser import load, save
from sklearn_ser._cli import _data, _progress, main
from sklearn_ser._cli._progress import Progress
from sklearn_ser.datasets import make_emotional_speech, write_iemocap_layout
from sklearn_ser.pipeline._factories import make_ser_pipeline

from .._common import TINY_NET
from ..test_robustness import covers

TRAIN = ("--epochs", 3, "--n-frames", 30, "--lr", 1e-3, "--l2", 0, "--device", "cpu",
         "--batch-size", 8, "--hidden-units", 8, "--lstm-units", 4,
         "--attention-units", 4)


@pytest.fixture(scope="module")
def iemocap(tmp_path_factory):
    data = make_emotional_speech(n_samples=24, n_sessions=3, random_state=0)
    root = tmp_path_factory.mktemp("corpora") / "IEMOCAP"
    write_iemocap_layout(data, root)
    return root


@pytest.fixture(scope="module")
def pipe():
    data = make_emotional_speech(n_samples=16, random_state=0)
    return make_ser_pipeline("mean", n_frames=30, **TINY_NET).fit(
        list(data.data), data.target)


def _cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


class _CtrlCInEpoch2(Progress):
    """A real SIGINT (what Ctrl-C sends) after a training batch of epoch 2."""

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training and len(net.history) == 2:
            os.kill(os.getpid(), signal.SIGINT)


@covers("cli-train-interrupted")
def test_ctrl_c_during_train_keeps_the_previous_model(capsys, iemocap, tmp_path,
                                                      monkeypatch, pipe):
    model = tmp_path / "model.skser"
    save(pipe, model)
    previous = model.read_bytes()
    monkeypatch.setattr(_progress, "Progress", _CtrlCInEpoch2)
    # Whatever handler the test process has (a process started in the
    # background inherits SIGINT ignored); the command must put it back.
    before = signal.getsignal(signal.SIGINT)
    rc, out, err = _cli(capsys, "train", "--iemocap", iemocap, "-o", model, *TRAIN)
    assert rc == 130
    assert err.strip().splitlines() == [
        f"sklearn-ser train: interrupted (Ctrl-C): no model was written; {model} is "
        "unchanged"]
    assert "Wrote" not in out and "fit done" not in out
    assert model.read_bytes() == previous
    assert os.listdir(tmp_path) == ["model.skser"]  # no temporary file left
    assert signal.getsignal(signal.SIGINT) is before


def _no_training(monkeypatch):
    def never(args):
        raise AssertionError("the corpus was loaded before the output was checked")

    monkeypatch.setattr(_data, "load_data", never)


@covers("cli-output-checked-first")
def test_train_and_evaluate_check_their_outputs_before_training(
        capsys, iemocap, tmp_path, monkeypatch):
    _no_training(monkeypatch)
    rc, _, err = _cli(capsys, "train", "--iemocap", iemocap, "-o",
                      tmp_path / "missing" / "m.skser")
    assert rc == 1 and "does not exist; create it first (nothing was trained)" in err
    rc, _, err = _cli(capsys, "train", "--iemocap", iemocap, "-o", tmp_path)
    assert rc == 1 and "is a directory; expected the path of a file" in err
    blocker = tmp_path / "results"
    blocker.write_text("a file")
    rc, _, err = _cli(capsys, "evaluate", "--iemocap", iemocap, "--out", blocker)
    assert rc == 1 and f"--out '{blocker}' exists and is not a directory" in err
    rc, _, err = _cli(capsys, "evaluate", "--iemocap", iemocap, "--out",
                      blocker / "sub")
    assert rc == 1 and "cannot be created" in err

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # chmod does not stop root, so the folder's refusal is simulated
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    rc, _, err = _cli(capsys, "train", "--iemocap", iemocap, "-o",
                      tmp_path / "m.skser")
    assert rc == 1 and "cannot write in the folder" in err and "Permission" in err
    rc, _, err = _cli(capsys, "evaluate", "--iemocap", iemocap, "--out",
                      tmp_path / "out")
    assert rc == 1 and "cannot write in the folder" in err


@covers("save-special-targets")
def test_save_writes_through_links_and_refuses_special_files(pipe, tmp_path, capsys,
                                                             monkeypatch):
    target = tmp_path / "real.skser"
    target.write_bytes(b"old")
    link = tmp_path / "link.skser"
    link.symlink_to(target)
    save(pipe, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    load(target)  # the model went into the file the link points to
    fifo = tmp_path / "pipe.skser"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="is not a regular file"):
        save(pipe, fifo)
    device = tmp_path / "null.skser"
    device.symlink_to("/dev/null")
    with pytest.raises(ValueError, match="is not a regular file"):
        save(pipe, device)
    assert device.is_symlink() and os.path.realpath(device) == "/dev/null"
    with pytest.raises(IsADirectoryError, match="is a directory"):
        save(pipe, tmp_path)
    _no_training(monkeypatch)
    rc, _, err = _cli(capsys, "train", "--iemocap", tmp_path, "-o", fifo)
    assert rc == 1 and "is not a regular file" in err


# -- every command stops the same way --------------------------------------------


class _CtrlCInFold1(Progress):
    """SIGINT after a training batch of epoch 2 of the first fold."""

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        super().on_batch_end(net, batch=batch, training=training, **kwargs)
        if training and len(net.history) == 2 and self.clock.index == 0:
            os.kill(os.getpid(), signal.SIGINT)


@covers("cli-evaluate-interrupted")
def test_ctrl_c_during_evaluate_stops_it_and_writes_nothing(capsys, iemocap, tmp_path,
                                                            monkeypatch):
    monkeypatch.setattr(_progress, "Progress", _CtrlCInFold1)
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    out_dir = tmp_path / "results"
    before = signal.getsignal(signal.SIGINT)
    rc, out, err = _cli(capsys, "evaluate", "--iemocap", iemocap, "--attention",
                        "mean", "--out", out_dir, *TRAIN)
    assert rc == 130
    assert err.strip().splitlines() == [
        "sklearn-ser evaluate: interrupted (Ctrl-C): no results were written"]
    assert "fold 1/3, epoch 1/3: loss" in out  # the first fold's first epoch ended
    assert "epoch 2/3: loss" not in out  # ... and its second did not
    assert "fold 2/3" not in out and "fit done" not in out and "Wrote" not in out
    assert os.listdir(out_dir) == []
    assert signal.getsignal(signal.SIGINT) is before


def _children(pid):
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@covers("cli-evaluate-interrupted")
def test_sigterm_during_evaluate_leaves_no_worker_and_no_result(iemocap, tmp_path):
    import subprocess
    import sys
    import time

    out_dir = tmp_path / "results"
    argv = [sys.executable, "-m", "sklearn_ser", "evaluate", "--iemocap", str(iemocap),
            "--attention", "mean", "--no-baseline", "--n-jobs", "2", "--out",
            str(out_dir), *map(str, TRAIN), "--epochs", "500"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines = []
    for line in proc.stdout:  # until the folds start
        lines.append(line)
        if line.startswith("[mean] recipe="):
            break
    time.sleep(1.0)
    workers = _children(proc.pid)
    assert proc.poll() is None and workers, "".join(lines)
    proc.terminate()  # SIGTERM
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == (
        "sklearn-ser evaluate: interrupted (SIGTERM): no results were written")
    assert "Traceback" not in err and "Wrote" not in rest
    assert not (out_dir / "results.json").exists()
    deadline = time.monotonic() + 20
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(_alive, workers))


# -- the model file loses nothing --------------------------------------------------


@covers("cli-output-is-input")
def test_train_never_writes_over_the_corpus_or_another_file(capsys, iemocap,
                                                            tmp_path):
    wav = sorted(iemocap.rglob("*.wav"))[0]
    audio = wav.read_bytes()
    rc, out, err = _cli(capsys, "train", "--iemocap", iemocap, "-o", wav, *TRAIN)
    assert rc == 1 and "fit done" not in out
    assert f"-o '{wav}' exists and is not a sklearn-ser model file" in err
    assert wav.read_bytes() == audio
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    rc, _, err = _cli(capsys, "train", "--iemocap", iemocap, "-o", notes, *TRAIN)
    assert rc == 1 and "is not a sklearn-ser model file; it is not replaced" in err
    assert notes.read_text() == "my notes"


@covers("cli-output-is-input")
def test_train_refuses_an_output_that_is_a_file_of_the_corpus(capsys, iemocap,
                                                              monkeypatch):
    from sklearn_ser._cli import _train

    wav = sorted(iemocap.rglob("*.wav"))[0]
    audio = wav.read_bytes()
    monkeypatch.setattr(_train, "is_model_file", lambda path: True)
    rc, out, err = _cli(capsys, "train", "--iemocap", iemocap, "-o", wav, *TRAIN)
    assert rc == 1 and "fit done" not in out
    assert f"-o '{wav}' is a file of the corpus" in err
    assert wav.read_bytes() == audio


@covers("cli-train-disk-full")
def test_train_checks_the_free_space_before_training(capsys, iemocap, tmp_path,
                                                     monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9, 1000))
    model = tmp_path / "m.skser"
    rc, out, err = _cli(capsys, "train", "--iemocap", iemocap, "-o", model, *TRAIN)
    assert rc == 1 and "fit done" not in out and not model.exists()
    assert re.search(r"its folder has 0\.0 MiB free, and the model needs about "
                     r"\d+\.\d MiB: free some space or choose another folder "
                     r"\(nothing was trained\)", err)


@covers("cli-train-disk-full")
def test_a_model_that_cannot_be_written_after_training_is_kept_elsewhere(
        capsys, iemocap, tmp_path, monkeypatch):
    from sklearn_ser._cli import _train
    from sklearn_ser._cli._common import CLIError

    model = tmp_path / "m.skser"
    spare = tmp_path / "spare"
    spare.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spare))

    def disk_full(path, write, what):
        raise CLIError(f"{what} {str(path)!r} cannot be written: No space left on "
                       "device; nothing was written")

    monkeypatch.setattr(_train, "write_atomically", disk_full)
    rc, out, err = _cli(capsys, "train", "--iemocap", iemocap, "-o", model, *TRAIN)
    assert rc == 1 and "fit done" in out and not model.exists()
    [kept] = spare.glob("m-*.skser")
    assert (f"No space left on device; nothing was written; the trained model was "
            f"saved to '{kept}' instead: move it where you want it") in err
    assert load(kept).predict([str(sorted(iemocap.rglob("*.wav"))[0])]).shape == (1,)


# -- output paths and what is printed -----------------------------------------------


@pytest.fixture(scope="module")
def model_file(pipe, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.skser"
    save(pipe, path)
    return path


@covers("cli-plot-path")
def test_plot_paths_that_are_not_image_files_are_refused_first(capsys, iemocap,
                                                               model_file, tmp_path):
    wav = sorted(iemocap.rglob("*.wav"))[0]
    folder = tmp_path / "plots"
    folder.mkdir()
    cases = [(folder, "is a directory; give the image file to write"),
             (tmp_path / "timeline", "has no image format; give a file name ending "
                                     "in one of .png, .pdf"),
             ("/dev/full", "has no image format"),
             (tmp_path / "full.png", "is not a regular file")]
    (tmp_path / "full.png").symlink_to("/dev/full")
    for plot, message in cases:
        rc, out, err = _cli(capsys, "timeline", model_file, wav, "--plot", plot)
        assert rc == 1 and out == "", plot
        assert err.startswith(f"sklearn-ser timeline: error: --plot '{plot}'")
        assert message in err and len(err.strip().splitlines()) == 1
    assert os.listdir(folder) == [] and not (tmp_path / "timeline.png").exists()
    assert sorted(os.listdir(tmp_path)) == ["full.png", "plots"]


@covers("cli-control-characters")
def test_names_with_control_characters_are_escaped_in_text_output(
        capsys, iemocap, model_file, tmp_path):
    wav = sorted(iemocap.rglob("*.wav"))[0]
    names = ["tab\there.wav", "new\nline.wav", "esc\x1b[31mred.wav"]
    paths = []
    for name in names:
        paths.append(tmp_path / name)
        paths[-1].write_bytes(wav.read_bytes())
    missing = tmp_path / "gone\x1b[2J.wav"
    rc, out, err = _cli(capsys, "predict", model_file, *paths, missing)
    assert rc == 1
    assert "\x1b" not in out and "\x1b" not in err
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == [
        f'"{tmp_path}/tab\\there.wav"', f'"{tmp_path}/new\\nline.wav"',
        f'"{tmp_path}/esc\\x1b[31mred.wav"']
    assert all(len(line.split("\t")) == 3 for line in lines)
    assert f'error: "{tmp_path}/gone\\x1b[2J.wav": does not exist' in err
    rc, out, err = _cli(capsys, "timeline", model_file, paths[2])
    assert rc == 0 and "\x1b" not in out + err


def _strict_json(text):
    def refuse(name):
        raise AssertionError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@covers("cli-non-finite-output")
def test_non_finite_probabilities_are_errors_and_json_stays_json(
        capsys, iemocap, pipe, model_file, monkeypatch):
    import copy

    import torch

    import sklearn_ser

    broken = copy.deepcopy(pipe)
    with torch.no_grad():
        for weight in broken[-1].module_.parameters():
            weight.mul_(1e30)
    wavs = [str(w) for w in sorted(iemocap.rglob("*.wav"))[:2]]
    from sklearn_ser.network._base import NonFiniteOutputError

    with pytest.raises(NonFiniteOutputError):  # the network refuses them itself
        broken.predict_proba(wavs)
    monkeypatch.setattr(sklearn_ser, "load", lambda path, device=None: broken)
    rc, out, err = _cli(capsys, "predict", model_file, *wavs, "--format", "json")
    assert rc == 1 and _strict_json(out) == []
    # (the network itself may refuse such outputs; either way the file fails)
    for wav in wavs:
        line = next(line for line in err.splitlines()
                    if line.startswith(f"sklearn-ser predict: error: {wav}: "))
        assert "non-finite" in line and "NaN or inf" in line
    rc, out, err = _cli(capsys, "timeline", model_file, wavs[0], "--format", "json")
    assert rc == 1 and out == "" and "Traceback" not in err
    [line] = err.strip().splitlines()
    assert line.startswith("sklearn-ser timeline: error: ")
    assert "NaN or infinite probabilities" in line


def test_json_of_undefined_scores_is_null():
    from sklearn_ser._cli._output import to_json

    text = to_json({"ccc": [float("nan"), 0.5, float("inf")], "ok": 1})
    assert _strict_json(text) == {"ccc": [None, 0.5, None], "ok": 1}


# -- AudioWarnings once ------------------------------------------------------------------


@pytest.fixture(scope="module")
def noisy_corpus(tmp_path_factory):
    """A CSV corpus with two clipped recordings and one at 8 kHz."""
    import soundfile as sf
    from scipy.signal import resample_poly

    root = tmp_path_factory.mktemp("noisy")
    data = make_emotional_speech(n_samples=24, n_sessions=3, random_state=1)
    rows = ["file,emotion,speaker,session"]
    for i, (x, label, speaker, group) in enumerate(zip(
            data.data, data.target, data.speakers, data.groups, strict=True)):
        x, rate = np.asarray(x, dtype=np.float32), 16000
        if i in (0, 1):
            x = np.clip(30 * x, -1, 1)
        if i == 2:
            x, rate = resample_poly(x, 1, 2).astype(np.float32), 8000
        sf.write(root / f"u{i:02d}.wav", x, rate, subtype="FLOAT")
        rows.append(f"u{i:02d}.wav,{label},{speaker},{group}")
    (root / "corpus.csv").write_text("\n".join(rows) + "\n")
    return root / "corpus.csv"


@covers("cli-audio-warnings-once")
def test_audio_warnings_are_reported_once_in_the_commands_style(capfd, noisy_corpus):
    rc = main(["evaluate", "--data", str(noisy_corpus), "--speaker-column", "speaker",
               "--session-column", "session", "--attention", "mean",
               *map(str, TRAIN)])
    out, err = capfd.readouterr()
    assert rc == 0, err
    warnings = [line for line in err.splitlines() if "clipped" in line
                or "sampled" in line]
    assert len(warnings) == 2, err
    assert all(line.startswith("warning: ") for line in warnings)
    [clipped] = [line for line in warnings if "clipped" in line]
    [narrow] = [line for line in warnings if "sampled" in line]
    assert "2 of 24 inputs are clipped recordings" in clipped
    assert f"'{noisy_corpus.parent / 'u00.wav'}'" in clipped and "u01.wav" in clipped
    assert "u02.wav" in narrow and "8000 Hz" in narrow
    assert "AudioWarning" not in err and "np.str_" not in err


def _warn_audio(i):
    import warnings

    from sklearn_ser import AudioWarning

    warnings.warn(f"worker {i} repeats a note", AudioWarning, stacklevel=2)
    return i


@covers("cli-audio-warnings-once")
def test_fold_workers_do_not_repeat_audio_warnings(capfd):
    from joblib import Parallel, delayed

    from sklearn_ser._cli._interrupt import quiet_workers, stop_workers

    with quiet_workers():
        assert Parallel(n_jobs=2)(delayed(_warn_audio)(i) for i in range(4)) == [
            0, 1, 2, 3]
    stop_workers()
    assert "repeats a note" not in "".join(capfd.readouterr())


@covers("cli-model-not-a-file")
@pytest.mark.parametrize("command", ["predict", "timeline", "info"])
def test_a_model_path_that_is_not_a_file_says_what_it_is(command, tmp_path, capsys):
    fifo = tmp_path / "model.skser"
    os.mkfifo(fifo)
    dangling = tmp_path / "gone.skser"
    dangling.symlink_to(tmp_path / "nothing")
    audio = tmp_path / "clip.wav"
    sf.write(audio, np.zeros(16000, np.float32), 16000)
    extra = [] if command == "info" else [str(audio)]
    for model, says in ((fifo, "is a FIFO (named pipe), not a regular file"),
                        ("/dev/null", "is a character device"),
                        (dangling, "is a symbolic link to a file that does not "
                                   "exist")):
        assert main([command, str(model), *extra]) == 1
        err = capsys.readouterr().err
        assert says in err and "does not exist" not in err.replace(says, ""), err
        assert len(err.strip().splitlines()) == 1, err
