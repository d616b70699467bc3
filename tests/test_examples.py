"""Run every script of examples/ so that the gallery cannot rot."""

import runpy
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("plot_*.py"))


@pytest.mark.examples
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, monkeypatch, capsys):
    monkeypatch.delenv("SKLEARN_SER_IEMOCAP", raising=False)
    monkeypatch.chdir(path.parent)
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert out.strip(), f"{path.name} printed nothing"
    plt.close("all")


def test_examples_are_found():
    assert len(EXAMPLES) >= 4
