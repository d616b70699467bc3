"""Start-up time of the command line and of ``import sklearn_ser``.

Every row is a fresh interpreter (``sys.executable``, with this checkout
first on ``PYTHONPATH``), run ``--repeats`` times, interleaved; the table
gives the best and the median wall-clock seconds of each:

- ``sklearn-ser --help`` (``python -m sklearn_ser --help``),
- ``sklearn-ser --version``,
- ``sklearn-ser train`` with a missing option (an argument error),
- ``import sklearn_ser``,
- ``python -c pass``: the interpreter alone, the floor of every row.

Then ``python -X importtime`` of ``sklearn-ser --help`` and of ``import
sklearn_ser`` (one run each): the cumulative import time of the heaviest
top-level packages (torch, sklearn, skorch, scipy, pandas, matplotlib,
dask, onnx, ...), and which of them were imported at all.

Comparing two versions (before and after a change) means running this
script in each checkout, one after the other, on an idle machine: the
figures of one run are comparable among themselves only. Run
``python benchmarks/bench_startup.py --help`` for the options; the default
run takes about a minute on a 2-core CPU.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The rows of the wall-time table: label -> arguments of the interpreter.
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "import sklearn_ser": ["-c", "import sklearn_ser"],
    "sklearn-ser --help": ["-m", "sklearn_ser", "--help"],
    "sklearn-ser --version": ["-m", "sklearn_ser", "--version"],
    "sklearn-ser train (argument error)": ["-m", "sklearn_ser", "train"],
}

#: Top-level packages whose import time the breakdown reports.
PACKAGES = ("torch", "sklearn", "skorch", "scipy", "numpy", "pandas", "matplotlib",
            "dask", "distributed", "onnx", "onnxruntime", "opensmile", "soundfile",
            "joblib", "tqdm", "skops", "sklearn_ser")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def wall_times(repeats):
    """Seconds of each row of :data:`COMMANDS`, ``repeats`` runs interleaved."""
    times = {label: [] for label in COMMANDS}
    env = _env()
    for _ in range(repeats):
        for label, argv in COMMANDS.items():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, *argv], env=env, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)
            times[label].append(time.perf_counter() - t0)
    return times


def import_breakdown(argv):
    """``{package: cumulative seconds}`` of the top-level imports of a run.

    Parsed from ``-X importtime`` (``import time: self | cumulative |
    name``, microseconds); a package counts once, at its outermost import.
    """
    proc = subprocess.run([sys.executable, "-X", "importtime", *argv], env=_env(),
                          cwd=ROOT, capture_output=True, text=True, check=False)
    found = {}
    total = 0.0
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, raw = line.removeprefix("import time:").split("|")
        name = raw.strip()
        seconds = int(cumulative) / 1e6
        if len(raw) - len(raw.lstrip()) == 1:  # not nested in another import
            total += seconds
        top = name.split(".")[0]
        if top in PACKAGES and name == top:
            found[top] = max(found.get(top, 0.0), seconds)
    return found, total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5,
                        help="runs of each command (default: %(default)s)")
    args = parser.parse_args(argv)

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; checkout {ROOT}")
    times = wall_times(args.repeats)
    print(f"\nWall time in seconds ({args.repeats} runs each, interleaved)")
    print(f"{'command':<38}{'best':>8}{'median':>8}")
    for label, values in times.items():
        print(f"{label:<38}{min(values):>8.2f}{statistics.median(values):>8.2f}")

    for label in ("sklearn-ser --help", "import sklearn_ser"):
        found, total = import_breakdown(COMMANDS[label])
        print(f"\n-X importtime of {label}: {total:.2f} s of imports in all")
        print(f"{'package':<14}{'cumulative s':>14}")
        for name, seconds in sorted(found.items(), key=lambda kv: -kv[1]):
            print(f"{name:<14}{seconds:>14.3f}")
        absent = [p for p in PACKAGES if p not in found]
        print(f"not imported: {', '.join(absent) if absent else 'none'}")


if __name__ == "__main__":
    main()
