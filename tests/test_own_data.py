"""Tests of load_csv and load_folder (sklearn_ser/datasets/_own.py, _folder.py)."""

import os
import re

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from sklearn_ser import LLDExtractor, evaluate_sessions
from sklearn_ser.datasets import load_csv, load_folder

# file, emotion, speaker, session, an extra column
ROWS = [
    ("s01/a.wav", "ang", "s01", "1", "0.5"),
    ("s01/b.wav", "neu", "s01", "1", "0.1"),
    ("s02/c.wav", "sad", "s02", "2", "0.9"),
    ("s02/d.wav", "neu", "s02", "2", "0.3"),
    ("s03/e.wav", "ang", "s03", "3", "0.2"),
]


def write_wav(path, seconds=0.3, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sf.write(path, 0.1 * rng.standard_normal(int(seconds * 16000)), 16000)
    return path


def write_csv(path, rows, header="file,emotion,speaker,session,valence"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows),
                    encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "my corpus é"
    for i, row in enumerate(ROWS):
        write_wav(root / row[0], seed=i)
    return root, write_csv(root / "corpus.csv", ROWS)


# -- load_csv: fields ------------------------------------------------------------


def test_load_csv_fields(corpus):
    root, csv = corpus
    data = load_csv(csv, speaker_column="speaker", session_column="session")
    assert set(data) == {"filenames", "target", "groups", "speakers",
                         "utterance_ids", "target_names", "frame", "DESCR"}
    expected = [os.path.abspath(root / r[0]) for r in ROWS]
    assert data.filenames.tolist() == expected
    assert all(os.path.isabs(f) for f in data.filenames)
    assert data.filenames.dtype.kind == "U"
    assert data.target.tolist() == [r[1] for r in ROWS]
    assert data.target.dtype.kind == "U"
    # the sessions are the groups; integer sessions become int64
    assert data.groups.tolist() == [1, 1, 2, 2, 3]
    assert data.groups.dtype == np.int64
    assert data.speakers.tolist() == ["s01", "s01", "s02", "s02", "s03"]
    assert data.utterance_ids.tolist() == ["s01/a", "s01/b", "s02/c", "s02/d",
                                           "s03/e"]
    assert data.target_names.tolist() == ["ang", "neu", "sad"]
    assert isinstance(data.frame, pd.DataFrame)
    assert data.frame.columns.tolist() == ["file", "emotion", "speaker", "session",
                                           "valence"]
    assert data.frame["valence"].tolist() == [r[4] for r in ROWS]
    assert str(csv) in data.DESCR
    assert "5 utterances, 3 session(s), 3 speaker(s)" in data.DESCR
    assert "groups: the sessions (column 'session')" in data.DESCR
    assert re.search(r"Utterances per class:\n\s+ang\s+2\n\s+neu\s+2\n\s+sad\s+1",
                     data.DESCR)
    X, y = load_csv(csv, return_X_y=True)
    assert X.tolist() == expected and y.tolist() == data.target.tolist()


def test_load_csv_groups_are_the_speakers_without_sessions(corpus):
    _, csv = corpus
    data = load_csv(csv, speaker_column="speaker")
    assert data.groups.tolist() == ["s01", "s01", "s02", "s02", "s03"]
    assert "groups: the speakers (column 'speaker')" in data.DESCR
    assert len(list(GroupKFold(n_splits=3).split(data.filenames, data.target,
                                                  data.groups))) == 3


def test_load_csv_string_sessions_stay_strings(tmp_path):
    rows = [(f"{k}.wav", "neu", f"Ses{k % 2}") for k in range(4)]
    for r in rows:
        write_wav(tmp_path / r[0])
    csv = write_csv(tmp_path / "c.csv", rows, header="file,emotion,session")
    data = load_csv(csv, session_column="session")
    assert data.groups.tolist() == ["Ses0", "Ses1", "Ses0", "Ses1"]
    assert data.speakers is None


def test_load_csv_without_speaker_or_session_has_no_groups(corpus):
    _, csv = corpus
    data = load_csv(csv)
    assert data.groups is None and data.speakers is None
    assert "groups: None: no speaker_column or session_column" in data.DESCR
    X = np.random.default_rng(0).normal(size=(5, 2))
    with pytest.raises(ValueError, match="groups is None: evaluate_sessions needs "
                                         "the session .*session_column"):
        evaluate_sessions(LogisticRegression(), X, data.target, data.groups)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_load_csv_evaluates_and_extracts(corpus):
    _, csv = corpus
    data = load_csv(csv, speaker_column="speaker", session_column="session")
    feats = LLDExtractor().transform(data.filenames[:2])
    assert len(feats) == 2 and feats[0].shape[1] == 32
    X = np.stack([f.mean(axis=0) for f in LLDExtractor().transform(data.filenames)])
    res = evaluate_sessions(LogisticRegression(), X, data.target, data.groups,
                            n_splits=3)
    assert res.n_splits == 3 and res.n_test.sum() == 5


def test_load_csv_root(tmp_path):
    # the CSV elsewhere: relative paths resolve against root, absolute ones stay
    audio = tmp_path / "audio"
    write_wav(audio / "x.wav")
    elsewhere = write_wav(tmp_path / "other" / "y.wav")
    rows = [("x.wav", "ang"), (str(elsewhere), "neu")]
    csv = write_csv(tmp_path / "labels" / "c.csv", rows, header="file,emotion")
    with pytest.raises(FileNotFoundError, match="x.wav"):
        load_csv(csv)  # default root: the CSV's folder
    data = load_csv(csv, root=audio)
    assert data.filenames.tolist() == [os.path.abspath(audio / "x.wav"),
                                       os.path.abspath(elsewhere)]
    assert data.utterance_ids.tolist() == ["x", os.path.abspath(elsewhere)[:-4]]
    assert f"Audio root: {audio}" in data.DESCR
    with pytest.raises(FileNotFoundError, match=r"root .*nowhere.* does not exist"):
        load_csv(csv, root=tmp_path / "nowhere")
    with pytest.raises(ValueError, match="is not a directory"):
        load_csv(csv, root=elsewhere)


def test_load_csv_other_columns_and_blanks(tmp_path):
    for name in ("a.wav", "b.wav"):
        write_wav(tmp_path / name)
    csv = tmp_path / "c.csv"
    csv.write_text("path, label ,who\na.wav , happy,A\n b.wav,sad  ,B\n")
    data = load_csv(csv, audio_column="path", label_column="label",
                    speaker_column="who")
    assert data.target.tolist() == ["happy", "sad"]
    assert data.groups.tolist() == ["A", "B"]


def test_load_csv_classes(corpus):
    _, csv = corpus
    data = load_csv(csv, session_column="session", classes=("sad", "ang"))
    assert data.target.tolist() == ["ang", "sad", "ang"]
    assert data.target_names.tolist() == ["sad", "ang"]
    assert data.groups.tolist() == [1, 2, 3]
    assert data.frame["file"].tolist() == ["s01/a.wav", "s02/c.wav", "s03/e.wav"]
    with pytest.raises(ValueError, match=r"Class 'joy' of classes has no utterance"
                                         r".*\['ang', 'neu', 'sad'\]"):
        load_csv(csv, classes=("joy",))
    with pytest.raises(TypeError, match="classes must be a sequence"):
        load_csv(csv, classes="ang")
    with pytest.raises(ValueError, match="more than once"):
        load_csv(csv, classes=("ang", "ang"))


# -- load_csv: errors ------------------------------------------------------------


def test_load_csv_missing_file(tmp_path):
    missing = tmp_path / "nope.csv"
    for error in (FileNotFoundError, ValueError):
        with pytest.raises(error, match=re.escape(
                f"The label file {str(missing)!r} does not exist")):
            load_csv(missing)
    with pytest.raises(ValueError, match="is a directory"):
        load_csv(tmp_path)
    with pytest.raises(TypeError, match="path must be a path"):
        load_csv(3)


def test_load_csv_empty_file_and_empty_corpus(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match=r"empty\.csv' is empty"):
        load_csv(empty)
    header = tmp_path / "header.csv"
    header.write_text("file,emotion\n")
    with pytest.raises(ValueError, match=r"header\.csv' has no utterance"):
        load_csv(header)


def test_load_csv_unknown_columns(corpus):
    _, csv = corpus
    cols = r"\['file', 'emotion', 'speaker', 'session', 'valence'\]"
    with pytest.raises(ValueError, match=r"no column 'path' \(audio_column\); its "
                                         r"columns are " + cols):
        load_csv(csv, audio_column="path")
    with pytest.raises(ValueError, match=r"no column 'label' \(label_column\)"):
        load_csv(csv, label_column="label")
    with pytest.raises(ValueError, match=r"no column 'spk' \(speaker_column\)"):
        load_csv(csv, speaker_column="spk")
    with pytest.raises(ValueError, match=r"no column 'ses' \(session_column\)"):
        load_csv(csv, session_column="ses")
    with pytest.raises(ValueError, match="label_column and speaker_column both "
                                         "name the column 'emotion'"):
        load_csv(csv, speaker_column="emotion")
    with pytest.raises(TypeError, match="speaker_column must be a column name"):
        load_csv(csv, speaker_column=2)
    with pytest.raises(TypeError, match="label_column must be a column name"):
        load_csv(csv, label_column=None)


def test_load_csv_semicolons_are_named(tmp_path):
    csv = tmp_path / "excel.csv"
    csv.write_text("file;emotion\na.wav;ang\n")
    with pytest.raises(ValueError, match=r"its columns are \['file;emotion'\]\. "
                                         r"The header seems to use ';' as "
                                         "separator"):
        load_csv(csv)


def test_load_csv_session_values(tmp_path):
    rows = [("a.wav", "neu", "05"), ("b.wav", "neu", "12"),
            ("c.wav", "neu", "99999999999999999999999")]
    for r in rows:
        write_wav(tmp_path / r[0])
    csv = write_csv(tmp_path / "c.csv", rows[:2], header="file,emotion,session")
    assert load_csv(csv, session_column="session").groups.tolist() == [5, 12]
    csv = write_csv(tmp_path / "d.csv", rows, header="file,emotion,session")
    groups = load_csv(csv, session_column="session").groups
    assert groups.dtype.kind == "U" and groups[0] == "05"
    csv = write_csv(tmp_path / "e.csv", [("a.wav", "neu", "1_0")],
                    header="file,emotion,session")
    assert load_csv(csv, session_column="session").groups.tolist() == ["1_0"]


def test_load_csv_missing_audio(tmp_path):
    rows = [(f"f{k}.wav", "neu") for k in range(9)]
    write_wav(tmp_path / "f0.wav")
    write_wav(tmp_path / "f4.wav")
    csv = write_csv(tmp_path / "c.csv", rows, header="file,emotion")
    for error in (FileNotFoundError, ValueError):
        with pytest.raises(error) as info:
            load_csv(csv)
    msg = str(info.value)
    assert "7 of the 9 audio file(s) of column 'file' do not exist" in msg
    assert f"{os.path.abspath(tmp_path / 'f1.wav')!r} (line 3)" in msg
    assert "(line 8)" in msg and "f7.wav" not in msg  # the first five, then
    assert "and 2 more" in msg
    assert f"root={str(tmp_path)!r}" in msg


def test_load_csv_empty_cells(tmp_path):
    for name in ("a.wav", "b.wav", "c.wav"):
        write_wav(tmp_path / name)
    csv = write_csv(tmp_path / "c.csv",
                    [("a.wav", "ang", "s1"), ("b.wav", " ", "s1"), ("c.wav", "", "")],
                    header="file,emotion,speaker")
    with pytest.raises(ValueError, match=r"2 row\(s\) have no value in the column "
                                         r"'emotion' \(label_column\): lines 3 "
                                         r"and 4"):
        load_csv(csv)
    csv = write_csv(tmp_path / "d.csv",
                    [("a.wav", "ang", "s1"), ("b.wav", "neu", "")],
                    header="file,emotion,speaker")
    with pytest.raises(ValueError, match=r"column 'speaker' \(speaker_column\): "
                                         r"line 3;"):
        load_csv(csv, speaker_column="speaker")
    load_csv(csv)  # a column that is not used may have gaps
    csv = write_csv(tmp_path / "e.csv", [(",ang",)], header="file,emotion")
    with pytest.raises(ValueError, match=r"column 'file' \(audio_column\): line 2"):
        load_csv(csv)


def test_load_csv_duplicates(tmp_path):
    for name in ("a.wav", "b.wav"):
        write_wav(tmp_path / name)
    csv = write_csv(tmp_path / "c.csv",
                    [("a.wav", "ang"), ("b.wav", "neu"), ("a.wav", "ang")],
                    header="file,emotion")
    with pytest.raises(ValueError, match=r"1 duplicate row\(s\); lines 2 and 4 are "
                                         "identical"):
        load_csv(csv)
    csv = write_csv(tmp_path / "d.csv",
                    [("a.wav", "ang"), ("b.wav", "neu"), ("./a.wav", "sad")],
                    header="file,emotion")
    with pytest.raises(ValueError, match=r"1 audio file\(s\) are listed more than "
                                         r"once, e\.g\. .*a\.wav' on lines 2 and 4"):
        load_csv(csv)


# -- load_folder -------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    for name in ("ang/x1.wav", "ang/x2.WAV", "neu/y1.wav", "neu/spk2/y2.wav",
                 "sad/z1.wav", "sad/z1.flac"):
        write_wav(root / name)
    (root / "neu" / "notes.txt").write_text("not audio")
    (root / ".hidden").mkdir()
    write_wav(root / ".hidden" / "h.wav")
    (root / "README.md").write_text("a corpus")
    return root


def test_load_folder_from_sub_folders(tree):
    data = load_folder(tree)
    assert data.utterance_ids.tolist() == ["ang/x1", "ang/x2", "neu/spk2/y2",
                                           "neu/y1", "sad/z1"]
    assert data.target.tolist() == ["ang", "ang", "neu", "neu", "sad"]
    assert data.filenames[0] == os.path.abspath(tree / "ang" / "x1.wav")
    assert data.target_names.tolist() == ["ang", "neu", "sad"]
    assert data.groups is None and data.speakers is None
    assert data.frame.columns.tolist() == ["file", "emotion"]
    assert data.frame["file"].tolist()[2] == "neu/spk2/y2.wav"
    assert "labels: the sub-folder names" in data.DESCR
    flac = load_folder(tree, extensions=(".wav", ".flac"), classes=("sad",))
    assert flac.utterance_ids.tolist() == ["sad/z1", "sad/z1"]
    X, y = load_folder(tree, return_X_y=True)
    assert len(X) == len(y) == 5


def test_load_folder_errors(tree, tmp_path):
    write_wav(tree / "stray.wav")
    with pytest.raises(ValueError, match=r"1 audio file\(s\) lie directly in root "
                                         r".*stray\.wav.*have no label"):
        load_folder(tree)
    (tmp_path / "empty" / "ang").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"No audio file \(\.wav\) in the "
                                         r"sub-folders of .*empty"):
        load_folder(tmp_path / "empty")
    for error in (FileNotFoundError, ValueError):
        with pytest.raises(error, match="root .*nowhere.* does not exist"):
            load_folder(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="speaker_column and session_column name "
                                         "columns of a label file"):
        load_folder(tmp_path / "empty", speaker_column="speaker")
    with pytest.raises(ValueError, match="extensions must be"):
        load_folder(tmp_path / "empty", extensions=("wav",))
    with pytest.raises(TypeError, match="labels must be a path to a CSV file, a "
                                        "pandas DataFrame or None"):
        load_folder(tmp_path / "empty", labels=3)


def test_load_folder_with_a_label_file(corpus, tmp_path):
    root, _ = corpus
    # the label file outside the tree: its paths resolve against root
    csv = write_csv(tmp_path / "labels" / "l.csv", ROWS)
    data = load_folder(root, csv, speaker_column="speaker")
    assert data.filenames.tolist() == [os.path.abspath(root / r[0]) for r in ROWS]
    assert data.groups.tolist() == data.speakers.tolist()
    assert str(csv) in data.DESCR
    with pytest.raises(FileNotFoundError, match=r"l\.csv\.missing' does not exist"):
        load_folder(root, tmp_path / "labels" / "l.csv.missing")
    frame = pd.DataFrame(ROWS, columns=["file", "emotion", "speaker", "session",
                                        "valence"])
    frame.loc[1, "emotion"] = None
    with pytest.raises(ValueError, match=r"The labels DataFrame: 1 row\(s\) have no "
                                         r"value in the column 'emotion'"):
        load_folder(root, frame)
    frame.loc[1, "emotion"] = "neu"
    data = load_folder(root, frame, session_column="session")
    assert data.groups.tolist() == [1, 1, 2, 2, 3]


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_the_recipe_of_the_user_guide(corpus, monkeypatch):
    # docs/user_guide/datasets.rst, "Your own corpus", with a tiny network
    from sklearn_ser import make_ser_pipeline

    from ._common import TINY_NET

    root, csv = corpus
    data = load_csv(csv, speaker_column="speaker", session_column="session")
    pipe = make_ser_pipeline(recipe="fast", n_frames=20, **TINY_NET)
    result = evaluate_sessions(pipe, data.filenames, data.target, data.groups,
                               n_splits=3)
    assert result.n_test.sum() == 5
    monkeypatch.chdir(root)
    df = pd.read_csv("corpus.csv")
    pipe.fit(df.file, df.emotion)
    assert set(pipe.predict(df.file)) <= {"ang", "neu", "sad"}
