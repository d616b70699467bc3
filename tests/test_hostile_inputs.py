"""Corpus files and cluster settings fed hostile values.

Part of the robustness suite (the cases are in ``tests/_cases.py``).
"""

import numpy as np
import pytest
import soundfile as sf

from sklearn_ser.dask import local_cluster
from sklearn_ser.datasets import load_csv

from .test_robustness import covers


@covers("csv-duplicate-column")
@pytest.mark.parametrize("header, where", [
    ("file,emotion,emotion", "columns 2 and 3"),
    ("file, emotion,speaker,emotion ", "columns 2 and 4"),  # spaces stripped
    ("file,file,emotion", "columns 1 and 2"),
])
def test_a_column_named_twice_is_refused(tmp_path, header, where):
    sf.write(tmp_path / "a.wav", np.zeros(8000, np.float32), 16000)
    n = header.count(",") + 1
    path = tmp_path / "labels.csv"
    path.write_text(f"{header}\n" + ",".join(["a.wav", "neu", "s1", "ang"][:n]) + "\n",
                    encoding="utf-8")
    name = "file" if header.startswith("file,file") else "emotion"
    with pytest.raises(ValueError, match=rf"labels\.csv' names the column '{name}' "
                                         rf"more than once \({where} of its header"):
        load_csv(path, speaker_column="speaker" if "speaker" in header else None)
    # a column that is merely named like pandas' renaming is fine
    path.write_text("file,emotion,emotion.1\na.wav,neu,ang\n", encoding="utf-8")
    assert load_csv(path).target.tolist() == ["neu"]


@covers("dask-bad-n-workers")
@pytest.mark.parametrize("n_workers", [0, -1, "2", 1.5, True])
def test_bad_worker_counts_are_refused_before_starting(n_workers, monkeypatch):
    import distributed

    def started(*args, **kwargs):
        raise AssertionError("a cluster was started")

    monkeypatch.setattr(distributed, "Client", started)
    with pytest.raises(ValueError, match=rf"n_workers must be a positive int, got "
                                         rf"{n_workers!r}"):
        local_cluster(n_workers)
