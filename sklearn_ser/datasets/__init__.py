"""Datasets: loaders of emotional speech corpora and a synthetic corpus.

Loaders (they read the label files and the file names, not the audio; pass
``data.filenames`` to :class:`~sklearn_ser.LLDExtractor`):

- :func:`load_iemocap` -- IEMOCAP, groups = sessions 1-5;
- :func:`load_emodb` -- Berlin EmoDB, groups = speakers;
- :func:`load_ravdess` -- RAVDESS speech (audio-only), groups = actors;
- :func:`load_csv` -- an own corpus: a CSV file of audio paths and labels
  (and optionally speakers and sessions), groups = sessions or speakers;
- :func:`load_folder` -- an own corpus: a folder of audio files, labelled by
  a CSV file or by the sub-folder names.

Generator and writer (no download, numpy and scipy only):

- :func:`make_emotional_speech` -- a synthetic IEMOCAP-shaped corpus of
  waveforms, the library's embedded corpus for demos, examples and tests;
- :func:`write_iemocap_layout` -- write such a corpus as an IEMOCAP-style
  tree, so that :func:`load_iemocap` and the command line run end to end.

Every function returns a :class:`~sklearn.utils.Bunch` (or ``(X, y)`` with
``return_X_y=True``) whose ``groups`` suit
:class:`~sklearn.model_selection.GroupKFold` (an own corpus without a
speaker or session column has ``groups=None``).

Common label set
----------------
All corpora use IEMOCAP's three-letter codes:

=====  =====================================  ====================  =========
label  meaning                                EmoDB letter          RAVDESS
=====  =====================================  ====================  =========
ang    anger                                  W (Wut)               05
hap    happiness                              F (Freude)            03
neu    neutral                                N                     01
sad    sadness                                T (Trauer)            04
exc    excitement (IEMOCAP only)
fru    frustration (IEMOCAP only)
fea    fear                                   A (Angst)             06
sur    surprise                                                     08
dis    disgust                                E (Ekel)              07
cal    calm (RAVDESS only)                                          02
bor    boredom (EmoDB only)                   L (Langeweile)
oth    other (IEMOCAP only)
xxx    no evaluator majority (IEMOCAP only)
=====  =====================================  ====================  =========

The default ``classes`` of the corpus loaders are the four of the
literature: ``("ang", "hap", "neu", "sad")``. :func:`load_csv` and
:func:`load_folder` keep the labels of an own corpus as written, all of them
by default.
"""

from ._emodb import load_emodb
from ._folder import load_folder
from ._iemocap import load_iemocap
from ._layout import write_iemocap_layout
from ._own import load_csv
from ._ravdess import load_ravdess
from ._synthetic import make_emotional_speech

__all__ = [
    "load_csv",
    "load_emodb",
    "load_folder",
    "load_iemocap",
    "load_ravdess",
    "make_emotional_speech",
    "write_iemocap_layout",
]
