"""Sphinx configuration of the sklearn-ser documentation.

Build with ``make docs`` (warnings are errors); ``make docs
SPHINXOPTS="-D plot_gallery=0"`` skips running the example gallery.
"""

import importlib
import inspect
import os
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402

import sklearn_ser  # noqa: E402
import sklearn_ser.datasets  # noqa: E402

# The gallery examples train small networks, on which one PyTorch thread is
# as fast as two; one thread also keeps the build fast on a busy machine
# (idle threads of an oversubscribed pool spin and steal the cores).
torch.set_num_threads(1)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

# -- Project ----------------------------------------------------------------

project = "sklearn-ser"
author = "The sklearn-ser developers"
copyright = "the sklearn-ser developers, BSD-3-Clause"  # noqa: A001
release = sklearn_ser.__version__
version = ".".join(release.split(".")[:2])

# -- General ----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

root_doc = "index"
templates_path = ["_templates"]
# ``robustness_table.rst`` is a fragment included by ``robustness.rst``;
# ``generated/_api_stubs.rst`` only tells autosummary which pages to write.
exclude_patterns = [
    "_build",
    "robustness_table.rst",
    "generated/_api_stubs.rst",
    "**/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
]
default_role = "literal"
pygments_style = "sphinx"
add_module_names = False

# -- autodoc / autosummary / numpydoc ---------------------------------------

autodoc_typehints = "none"
autosummary_generate = ["generated/_api_stubs.rst"]
autosummary_ignore_module_all = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# Methods of skorch's NeuralNet that the API pages show for SERClassifier;
# the other inherited skorch methods (callbacks, initialisation hooks, ...) are
# documented by skorch itself.
_SKORCH_METHODS_SHOWN = {
    "fit",
    "partial_fit",
    "predict",
    "predict_proba",
    "score",
    "get_params",
    "set_params",
    "initialize",
    "save_params",
    "load_params",
}


# Docstrings inherited from scikit-learn (or Dask) cross-reference labels,
# pages and glossary terms of their own documentation; render those as plain
# text.
_FOREIGN_ROLE = re.compile(r":(?:ref|term|doc):`([^`<]*?)\s*(?:<[^`>]*>)?`")
# ``(n_features_in_,)`` in a type line reads as a reference to the target
# ``n_features_in`` in reStructuredText; quote such names.
_SHAPE = re.compile(r"(shape \()([^)]*)(\))")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?=[,)\s]|$)")


def _quote_shape(match):
    inner = _TRAILING_UNDERSCORE.sub(r"``\1``", match.group(2))
    return match.group(1) + inner + match.group(3)


def _process_docstring(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if not module.startswith("sklearn_ser"):
        lines[:] = [_FOREIGN_ROLE.sub(lambda m: m.group(1), line) for line in lines]
    lines[:] = [_SHAPE.sub(_quote_shape, line) for line in lines]


def _skorch_names():
    try:
        from skorch import NeuralNetClassifier
    except ImportError:
        return set()
    return set(dir(NeuralNetClassifier))


_SKORCH_NAMES = _skorch_names()


def _skip_member(app, what, name, obj, skip, options):
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("skorch") and name not in _SKORCH_METHODS_SHOWN:
        return True
    # skorch hooks overridden by SERClassifier (get_split_datasets, ...)
    if (what == "class" and name in _SKORCH_NAMES
            and name not in _SKORCH_METHODS_SHOWN and name != "attention_weights"):
        return True
    if module.startswith(("torch", "distributed")):
        return True
    return skip


# -- API reference, generated from ``__all__`` -------------------------------

# Sections of the API page, in order: (title, the subpackages or modules whose
# objects go there).
API_SECTIONS = [
    ("Features", ("sklearn_ser.features",)),
    ("Preprocessing", ("sklearn_ser.preprocessing",)),
    ("Networks", ("sklearn_ser.network",)),
    ("Pipelines and evaluation", ("sklearn_ser.pipeline",)),
    ("Long recordings", ("sklearn_ser.timeline",)),
    ("Metrics", ("sklearn_ser.metrics",)),
    ("Saving and deploying", ("sklearn_ser.persistence",)),
]
OTHER_SECTION = "Other"
# Public subpackages documented from their own ``__all__``.
SUBPACKAGES = [
    ("sklearn_ser.datasets", "Datasets"),
    ("sklearn_ser.dask", "Dask helpers"),
]


def _defining_module(package, name, obj):
    """Module that defines ``obj`` (for data: the submodule that holds it)."""
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return obj.__module__
    candidates = sorted(
        mod_name
        for mod_name, mod in list(sys.modules.items())
        if mod_name.startswith(package.__name__ + ".")
        and mod is not None
        and getattr(mod, name, None) is obj
    )
    return candidates[0] if candidates else package.__name__


def _kind(obj):
    if inspect.isclass(obj):
        return 0
    if callable(obj) and not hasattr(obj, "_score_func"):
        return 1
    return 2  # data: dicts, scorers


def _api_entries():
    """``[(section title, [documented path])]`` from the ``__all__`` lists."""
    sections = {title: [] for title, _ in API_SECTIONS}
    sections[OTHER_SECTION] = []
    for name in sklearn_ser.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(sklearn_ser, name)
        module = _defining_module(sklearn_ser, name, obj)
        if _kind(obj) < 2:
            path = f"sklearn_ser.{name}"
        else:
            # Data (SCORING, the scorers) are documented where their
            # docstrings live.
            path = f"{module}.{name}"
        title = next(
            (t for t, packages in API_SECTIONS
             if any(module == p or module.startswith(p + ".") for p in packages)),
            next(
                (t for sub, t in SUBPACKAGES
                 if module == sub or module.startswith(sub + ".")),
                OTHER_SECTION,
            ),
        )
        sections[title].append((_kind(obj), name.lower(), path))
    # Public subpackages with an ``__all__`` of their own.
    for subpackage, title in SUBPACKAGES:
        try:
            mod = importlib.import_module(subpackage)
        except ImportError:
            continue
        entries = sections.setdefault(title, [])
        known = {path for _, _, path in entries}
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            path = f"{subpackage}.{name}"
            if path not in known:
                entries.append((_kind(obj), name.lower(), path))
    titles = [t for t, _ in API_SECTIONS] + [t for _, t in SUBPACKAGES]
    titles.append(OTHER_SECTION)
    return [
        (title, [path for *_, path in sorted(sections[title])])
        for title in dict.fromkeys(titles)
        if sections.get(title)
    ]


def _autosummary(paths, toctree):
    lines = [".. autosummary::", f"   :toctree: {toctree}", "   :nosignatures:", ""]
    lines += [f"   ~{path}" for path in paths]
    return "\n".join(lines) + "\n"


def _api_page_body(toctree):
    parts = []
    for title, paths in _api_entries():
        parts.append(f"{title}\n{'-' * len(title)}\n")
        parts.append(_autosummary(paths, toctree))
    return "\n".join(parts)


def _write_api_stubs():
    # autosummary scans this file (relative toctree ``.``: the stub pages go
    # into ``generated/``); ``api.rst`` renders the same entries with
    # ``:toctree: generated`` (see ``_inject_api``).
    out = HERE / "generated"
    out.mkdir(exist_ok=True)
    text = _api_page_body(".")
    stub = out / "_api_stubs.rst"
    if not stub.exists() or stub.read_text() != text:
        stub.write_text(text)


_write_api_stubs()


def _api_outdated(app, env, added, changed, removed):
    # The API page depends on ``__all__``, not only on its own text: read it
    # again on every build so that new public names appear.
    return ["api"] if "api" in env.found_docs else []


def _inject_api(app, docname, source):
    if docname == "api":
        source[0] = source[0].replace(".. API-ENTRIES", _api_page_body("generated"))


# -- sphinx-gallery -----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Run every ``plot_*.py`` script (the default, made explicit).
    "filename_pattern": re.escape(os.sep) + "plot_",
    "ignore_pattern": r"__init__\.py",
    "doc_module": ("sklearn_ser",),
    "reference_url": {"sklearn_ser": None},
    "backreferences_dir": "generated/backreferences",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "remove_config_comments": True,
    "within_subsection_order": "gallery_order.ExampleOrder",
    "min_reported_time": 1,
    "capture_repr": ("_repr_html_", "__repr__"),
    "show_memory": False,
    "download_all_examples": True,
}

# -- HTML ---------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-ser {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "install": [], "quickstart": []}
html_context = {"default_mode": "light"}


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-docstring", _process_docstring, priority=400)
    app.connect("source-read", _inject_api)
    app.connect("env-get-outdated", _api_outdated)
