"""The modules of ``routers/``, the part of the project meant to be copied, as pages."""

import ast
from pathlib import Path

import routers


def modules() -> dict[str, Path]:
    """Each module's path under routers/ (``replica.py``, ``contrib/debug_toolbar.py``) and
    its file, top level first: the only files /source/ serves."""
    package = Path(routers.__file__).parent
    found = {path.relative_to(package).as_posix(): path for path in package.rglob("*.py")}
    return dict(sorted(found.items(), key=lambda item: (item[0].count("/"), item[0])))


def module_file(dotted_path: str) -> str:
    """The path under routers/ of the module *dotted_path* lives in; empty if not there."""
    package, *names = dotted_path.split(".")
    known = modules() if package == "routers" else {}
    for end in range(len(names), 0, -1):  # the longest prefix that is a module
        name = "/".join(names[:end]) + ".py"
        if name in known:
            return name
    return ""


def first_line_of_docstring(path: Path) -> str:
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    return docstring.strip().splitlines()[0] if docstring.strip() else ""
