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
    if path.stem in EXPECTED_FIGURES:
        EXPECTED_FIGURES[path.stem]()
    plt.close("all")


def _pooling_bars_have_fold_spread():
    # plot_compare_poolings: WA and UA bars, each with the std over the folds
    from matplotlib.container import BarContainer

    ax = plt.gcf().axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 2 and all(len(b) == 4 for b in bars)
    assert all(b.errorbar is not None for b in bars)


EXPECTED_FIGURES = {"plot_compare_poolings": _pooling_bars_have_fold_spread}


def test_examples_are_found():
    assert len(EXAMPLES) >= 4
