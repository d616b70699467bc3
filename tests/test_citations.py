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
