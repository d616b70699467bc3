"""Print the dependency floors of pyproject.toml as pinned requirements.

``python .ci/min_requirements.py test`` prints one ``name==floor`` line per
dependency of the package and of the given extras (``>=`` bounds become
``==``; upper bounds are dropped), so that ``make test-min`` tests the
oldest versions the package declares. PyTorch is left out: it is installed
first, at the CPU build of the README.
"""

import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)$")
_SKIP = {"torch"}


def floors(extras):
    project = tomllib.loads(
        (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    )["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    pinned = {}
    for requirement in requirements:
        name, brackets, spec = _REQUIREMENT.match(requirement).groups()
        lower = [s[2:].strip() for s in spec.split(",") if s.strip().startswith(">=")]
        if not lower:
            raise SystemExit(f"{requirement!r} has no '>=' floor in pyproject.toml")
        key = name.lower().replace("_", "-")
        if key not in _SKIP:
            pinned[key] = f"{name}{brackets or ''}=={lower[0]}"
    return list(pinned.values())


if __name__ == "__main__":
    print("\n".join(floors(sys.argv[1:])))
