"""The modules of ``routers/``, the part of the project meant to be copied, as pages."""

from pathlib import Path

import routers


def modules() -> dict[str, Path]:
    """Each module's file name and path, in name order: the only files /source/ serves."""
    package = Path(routers.__file__).parent
    return {path.name: path for path in sorted(package.glob("*.py"))}


def first_line_of_docstring(path: Path) -> str:
    import ast

    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    return docstring.strip().splitlines()[0] if docstring.strip() else ""
