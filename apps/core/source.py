"""The modules of ``routers/``, the part of the project meant to be copied, as pages."""

import ast
from pathlib import Path

import routers


def modules() -> dict[str, Path]:
    """Each module's file name and path, in name order: the only files /source/ serves."""
    package = Path(routers.__file__).parent
    return {path.name: path for path in sorted(package.glob("*.py"))}


def module_file(dotted_path: str) -> str:
    """The file name under routers/ that *dotted_path* lives in; empty if it isn't there."""
    package, _, rest = dotted_path.partition(".")
    name = f"{rest.split('.')[0]}.py"
    return name if package == "routers" and name in modules() else ""


def first_line_of_docstring(path: Path) -> str:
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    return docstring.strip().splitlines()[0] if docstring.strip() else ""
