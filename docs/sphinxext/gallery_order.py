"""Order of the examples in the gallery: the quick start first."""

import os

# Examples listed here come first, in this order; the others follow by file
# name.
FIRST = (
    "plot_quickstart.py",
    "plot_compare_poolings.py",
    "plot_attention.py",
)


class ExampleOrder:
    """Sort key of sphinx-gallery's ``within_subsection_order``.

    Parameters
    ----------
    src_dir : str
        Folder of the examples (unused; part of sphinx-gallery's protocol).
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = os.path.basename(filename)
        if name in FIRST:
            return (0, FIRST.index(name), name)
        return (1, 0, name)

    def __repr__(self):
        return f"<{type(self).__name__}: {FIRST}>"
