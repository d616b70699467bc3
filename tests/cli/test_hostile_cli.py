"""The command line loses nothing: interrupted training, unwritable outputs.

Part of the robustness suite (the cases are in ``tests/_cases.py``).
"""

import os
import signal
import tempfile

import pytest

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
