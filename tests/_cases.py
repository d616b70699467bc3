"""The robustness cases of hostile input (the docs table lists them all).

``tests/test_robustness.py`` holds the cases of everyday bad input and
renders the table of ``docs/robustness_table.rst`` from both lists; the
cases below are checked by the ``tests/test_hostile_*.py`` modules.
"""

from collections import namedtuple

ERROR, HANDLED, BUG = "clear error", "handled", "bug (xfail)"

Case = namedtuple("Case", "id entry input behaviour kind")

#: Test modules whose tests cover the cases of :data:`HOSTILE`.
HOSTILE_MODULES = ("tests.test_hostile_models",)

HOSTILE = [
    # -- untrusted model files ------------------------------------------------
    Case("load-bomb-declared", "load",
         "2 MB model file whose ``metadata.json`` (or ``weights.npz``) declares "
         "gigabytes",
         "``ValueError`` naming the file and the member, before anything is "
         "decompressed; a member may hold at most 8 MiB (metadata), 64 MiB "
         "(arrays), 256 MiB (weights)", ERROR),
    Case("load-bomb-lying-header", "load",
         "member that declares a few bytes but inflates to hundreds of MB",
         "decompressed in a stream that stops at the declared size: "
         "``ValueError`` naming the file (damaged)", ERROR),
    Case("load-npy-header-lies", "load",
         "array whose ``.npy`` header declares 1 GiB (or an inner archive that "
         "declares more than the member limit)",
         "``ValueError`` naming the file and the array, checked before the "
         "array is made", ERROR),
    Case("load-huge-architecture", "load",
         "metadata with ``lstm_units=9000`` (or ``hidden_units``) beside small "
         "weights",
         "``ValueError`` naming the weight and both shapes; the shapes are "
         "compared on PyTorch's meta device, before any network is built; at "
         "most 16384 units", ERROR),
    Case("load-huge-n-frames", "load", "``PadCrop`` ``n_frames=10**8``",
         "``ValueError`` naming ``n_frames`` and the bound (100000 frames)",
         ERROR),
    Case("load-planted-memory", "load",
         "metadata that sets the ``memory`` folder of ``LLDExtractor``",
         "``ValueError`` naming the parameter: ``save`` never stores it; a "
         "pipeline saved with a cache loads with ``memory=None``", ERROR),
    Case("load-nan-weights", "load / sklearn-ser predict",
         "network weights holding NaN or inf",
         "``ValueError`` naming the weight; ``predict`` exits 1 and prints no "
         "label", ERROR),
    Case("load-deep-json", "load", "``metadata.json`` nested 100000 deep",
         "``ValueError`` naming the file: nested too deeply "
         "(no ``RecursionError``)", ERROR),
    Case("load-unexpected-exceptions", "load",
         "file setting a read-only attribute (``classes_``), or a network "
         "build that fails with ``RuntimeError`` or ``MemoryError``",
         "``ValueError`` naming the file and the exception", ERROR),
    Case("load-bounded-cost", "load",
         "any of the hostile files above, under 10 MB",
         "loaded or refused in a subprocess whose peak RSS stays under 1 GiB "
         "and within 10 s", HANDLED),
]
