"""The command-line examples of the README run as written, on the synthetic corpus.

Every ``sklearn-ser`` line of the README's bash blocks runs in order, with
its placeholders (``ROOT``, ``corpus.csv``, ``model.skser``, ``a.wav`` ...)
pointing at a small synthetic corpus, and with small sizes appended to the
commands that train a network (one epoch of a tiny network; the demo on 40
utterances): the examples, not the budgets, are what is tested.
"""

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from sklearn_ser._cli import main
from sklearn_ser.datasets import make_emotional_speech, write_iemocap_layout

from .._signals import write

README = Path(__file__).resolve().parents[2] / "README.md"
#: Appended to the commands that train a network.
SMALL = ["--epochs", "1", "--n-frames", "60", "--hidden-units", "8", "--lstm-units",
         "4", "--attention-units", "4", "--batch-size", "8", "--lr", "0.01",
         "--device", "cpu"]


def readme_commands(text):
    """The ``sklearn-ser`` lines of the README's bash blocks, as argument lists."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL):
        block = block.replace("\\\n", " ")
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("sklearn-ser "):
                commands.append(shlex.split(line)[1:])
    return commands


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    """The README's placeholders -> files of a small synthetic corpus."""
    root = tmp_path_factory.mktemp("readme")
    data = make_emotional_speech(n_samples=40, random_state=4)
    write_iemocap_layout(data, root / "IEMOCAP")
    rows = ["file,emotion,speaker"]
    for i, (x, label, speaker) in enumerate(zip(data.data, data.target,
                                                data.speakers, strict=True)):
        rows.append(f"{write(root / f'u{i:02d}.wav', x)},{label},{speaker}")
    (root / "corpus.csv").write_text("\n".join(rows) + "\n")
    call = write(root / "call.wav", np.concatenate(data.data[:6]))
    return {"ROOT": str(root / "IEMOCAP"), "corpus.csv": str(root / "corpus.csv"),
            "results/": str(root / "results"), "model.skser": str(root / "m.skser"),
            "baseline.skser": str(root / "b.skser"), "a.wav": str(root / "u00.wav"),
            "b.wav": str(root / "u01.wav"), "call.wav": call,
            "call.png": str(root / "call.png"), "out": str(root / "demo")}


def test_the_readme_has_an_example_of_every_command():
    commands = readme_commands(README.read_text())
    assert {argv[0] for argv in commands} == {"demo", "evaluate", "train", "info",
                                              "predict", "timeline"}
    # the examples on one's own data use the fast recipe
    own = [argv for argv in commands if "--data" in argv and "baseline" not in argv]
    assert own and all("fast" in argv for argv in own)


def test_the_readme_examples_run(places, capsys):
    for argv in readme_commands(README.read_text()):
        argv = [argv[0], *(places.get(a, a) for a in argv[1:])]
        if argv[0] == "demo":
            argv += ["--n-samples", "40", "--epochs", "1", "--n-jobs", "1", "--out",
                     places["out"]]
        elif argv[0] in ("evaluate", "train") and "baseline" not in argv:
            argv += SMALL
        status = main(argv)
        out, err = capsys.readouterr()
        assert status == 0, (argv, err)
    assert Path(places["call.png"]).read_bytes()[:4] == b"\x89PNG"
