"""What the benchmarks share: their command line, a feature cache, threads,
the machine they ran on, and their figures as JSON (``--json PATH``).

Every script of this folder takes ``--json PATH`` and writes there::

    {"benchmark": "bench_lld", "argv": [...], "options": {...},
     "machine": {"cpus": 2, "cpu": "...", "python": "...", "versions": {...}},
     "seconds": 312.4, "results": {...}}

``results`` holds the figures of the tables the script printed, as numbers.
"""

import argparse
import contextlib
import io
import json
import os
import platform
import sys
import tempfile
import time
from importlib import metadata

_VERSIONS = ("sklearn-ser", "torch", "numpy", "scipy", "scikit-learn", "skorch",
             "opensmile", "soundfile", "onnxruntime", "dask")


def make_parser(doc):
    """An ``ArgumentParser`` with the script's first docstring line and ``--json``."""
    parser = argparse.ArgumentParser(
        description=doc.strip().splitlines()[0],
        epilog="The module docstring of the script says what each table measures.")
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="also write the figures of this run as JSON to PATH")
    return parser


def add_cache_option(parser):
    parser.add_argument("--cache", default=None,
                        help="feature cache directory (default: a temporary one)")


@contextlib.contextmanager
def feature_cache(path, prefix):
    """``path``, or a temporary folder removed afterwards when ``path`` is None."""
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield tmp


def torch_threads(n):
    """Set torch's intra-op threads (None: keep torch's default); the count."""
    import torch

    if n:
        torch.set_num_threads(int(n))
    return torch.get_num_threads()


def machine():
    """CPUs, processor, Python and the versions of the libraries."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    versions = {}
    for name in _VERSIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"cpus": os.cpu_count(), "cpu": cpu, "platform": platform.platform(),
            "python": sys.version.split()[0], "versions": versions}


def _plain(value):
    """A JSON value of numpy scalars, arrays and tuples."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if np is not None and isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if np is not None and isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and value != value:  # NaN: not valid JSON
        return None
    return value


class Run:
    """The figures of one run: ``run.results[...] = ...``; written on exit."""

    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.results = {}
        self._start = time.perf_counter()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None and getattr(self.args, "json", None):
            self.write(self.args.json)
        return False

    def write(self, path):
        options = {k: v for k, v in vars(self.args).items() if k != "json"}
        with open(path, "w") as f:
            json.dump(_plain({"benchmark": self.name, "argv": sys.argv,
                              "options": options, "machine": machine(),
                              "seconds": time.perf_counter() - self._start,
                              "results": self.results}), f, indent=2)
        print(f"\nWrote {path}")


@contextlib.contextmanager
def printed_tables(results):
    """Capture what is printed (still printing it) and add its Markdown tables
    (``## title`` then ``| a | b |`` rows) to ``results`` by title."""
    buffer = io.StringIO()

    class Tee(io.TextIOBase):
        def write(self, text):
            sys.__stdout__.write(text)
            buffer.write(text)
            return len(text)

        def flush(self):
            sys.__stdout__.flush()

    with contextlib.redirect_stdout(Tee()):
        yield
    results.update(markdown_tables(buffer.getvalue()))


def markdown_tables(text):
    """``{title: [{column: cell, ...}, ...]}`` of the Markdown tables in ``text``."""
    tables, title, columns = {}, None, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("## "):
            title, columns = line[3:].strip(), None
        elif line.startswith("|") and title is not None:
            cells = [c.strip() for c in line.strip("|").split("|")]
            if columns is None:
                columns = cells
            elif not all(set(c) <= set("-: ") for c in cells):
                tables.setdefault(title, []).append(
                    {c: _number(v) for c, v in zip(columns, cells, strict=False)})
        else:
            columns = None if not line.startswith("|") else columns
    return tables


def _number(cell):
    text = cell.replace(",", "")
    try:
        return float(text)
    except ValueError:
        return cell


def majority_labels(table, spans):
    """Per span (seconds), the label of the timeline segments overlapping it longest."""
    labels = []
    for a, b in spans:
        votes = {}
        for s, e, label in zip(table["start"], table["end"], table["label"],
                               strict=True):
            overlap = min(b, e) - max(a, s)
            if overlap > 0:
                votes[label] = votes.get(label, 0.0) + overlap
        labels.append(max(votes, key=votes.get) if votes else None)
    return labels


def chance_agreement(labels):
    """Agreement of two independent draws from the distribution of ``labels``."""
    import numpy as np

    _, counts = np.unique(np.asarray(labels, dtype=object).astype(str),
                          return_counts=True)
    return float(((counts / counts.sum()) ** 2).sum())


def busy_loop(n=4_000_000):
    """Pure-Python CPU work: calibrates what several processes can gain here."""
    total = 0
    for i in range(n):
        total += i
    return total
