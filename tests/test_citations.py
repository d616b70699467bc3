"""The paper and the attention mechanisms it compares are cited in full."""

import re
from pathlib import Path

import pytest

from sklearn_ser import SERClassifier, make_ser_pipeline
from sklearn_ser.network._modules import (
    LSTMAttention,
    SERNet,
    YangAttention,
    ZhouAttention,
)

ROOT = Path(__file__).resolve().parents[1]

PAPERS = {
    "ramet": ("G. Ramet, P. N. Garner, M. Baeriswyl and A. Lazaridis",
              "Context-aware attention mechanism for speech emotion recognition",
              "Spoken Language Technology Workshop (SLT)", "2018"),
    "zhou": ("P. Zhou, W. Shi, J. Tian, Z. Qi, B. Li, H. Hao and B. Xu",
             "Attention-Based Bidirectional Long Short-Term Memory Networks for "
             "Relation Classification", "ACL 2016", "207"),
    "yang": ("Z. Yang, D. Yang, C. Dyer, X. He, A. Smola and E. Hovy",
             "Hierarchical Attention Networks for Document Classification",
             "NAACL-HLT 2016", "1480"),
}

#: The feature sets of LLDExtractor and their papers.
FEATURE_PAPERS = {
    "is09": ("B. Schuller, S. Steidl and A. Batliner",
             "The INTERSPEECH 2009 Emotion Challenge", "INTERSPEECH 2009", "312"),
    "egemaps": ("F. Eyben, K. R. Scherer, B. W. Schuller",
                "The Geneva Minimalistic Acoustic Parameter Set (GeMAPS) for Voice "
                "Research and Affective Computing",
                "IEEE Transactions on Affective Computing", "2016"),
    "compare2013": ("B. Schuller, S. Steidl, A. Batliner, A. Vinciarelli",
                    "The INTERSPEECH 2013 Computational Paralinguistics Challenge",
                    "INTERSPEECH 2013", "148"),
    "compare2016": ("B. Schuller, S. Steidl, A. Batliner, J. Hirschberg",
                    "The INTERSPEECH 2016 Computational Paralinguistics Challenge",
                    "INTERSPEECH 2016", "2001"),
}


def _flat(text):
    """The text on one line, without the indentation of a docstring."""
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("path", ["README.md", "docs/index.rst"])
def test_readme_and_docs_index_cite_the_papers(path):
    text = _flat((ROOT / path).read_text(encoding="utf-8"))
    for parts in PAPERS.values():
        for part in parts:
            assert part in text, (path, part)


@pytest.mark.parametrize("obj, papers", [
    (SERClassifier, ("ramet", "zhou", "yang")),
    (make_ser_pipeline, ("ramet", "zhou", "yang")),
    (SERNet, ("ramet", "zhou", "yang")),
    (LSTMAttention, ("ramet",)),
    (ZhouAttention, ("zhou",)),
    (YangAttention, ("yang",)),
])
def test_docstrings_cite_the_papers(obj, papers):
    doc = obj.__doc__
    assert "\n    References\n    ----------\n" in doc
    body, refs = doc.split("\n    References\n    ----------\n")
    refs = _flat(refs)
    for name in papers:
        for part in PAPERS[name]:
            assert part in refs, (obj.__name__, part)
    # every citation is referenced in the text (Sphinx warns otherwise)
    labels = re.findall(r"\.\. \[(\d+)\]", refs)
    assert labels == [str(k) for k in range(1, len(papers) + 1)]
    for label in labels:
        assert f"[{label}]_" in body, (obj.__name__, label)


def test_command_line_help_cites_the_paper(capsys):
    from sklearn_ser._cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    text = _flat(capsys.readouterr().out)
    for part in PAPERS["ramet"]:
        assert part in text, part
    assert "Zhou et al. (ACL 2016)" in text and "Yang et al. (NAACL-HLT 2016)" in text


def test_feature_sets_are_cited_in_the_guide_and_the_extractor():
    from sklearn_ser import LLDExtractor

    guide = _flat((ROOT / "docs" / "user_guide" / "features.rst").read_text(
        encoding="utf-8"))
    body, refs = LLDExtractor.__doc__.split("\n    References\n    ----------\n")
    refs = _flat(refs)
    for parts in FEATURE_PAPERS.values():
        for part in parts:
            assert part in guide, part
            assert part in refs, part
    labels = re.findall(r"\.\. \[(\d+)\]", refs)
    assert labels == ["1", "2", "3", "4"]
    assert all(f"[{label}]_" in body for label in labels)
    guide_labels = re.findall(r"\.\. \[(\d+)\]", guide)
    assert all(f"[{label}]_" in guide.split("References")[0]
               for label in guide_labels)
