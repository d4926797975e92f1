"""Each module of routers/ names, in its ``Copy with:`` line, exactly the siblings it needs.

The line is what a user reads before copying a module into another project,
so it must match the module's imports, followed through every sibling they
reach. Imports of siblings are relative, so the copy works under any package
name; ``tests/routers/test_copying.py`` then proves each module in a blank
project with exactly those files.
"""

import ast

import pytest

from tests.blank_project import REPO
from tests.blank_project import copy_with as declared

PACKAGE = REPO / "routers"
# The package's modules, and those of contrib/ (each needs a library besides
# Django) as "contrib/<name>"; management/ is copied whole (copy_commands()).
MODULES = sorted(
    path.relative_to(PACKAGE).with_suffix("").as_posix()
    for path in [*PACKAGE.glob("*.py"), *PACKAGE.glob("contrib/*.py")]
    if path.stem != "__init__"
)


def sibling_imports(module: str) -> set[str]:
    """The siblings *module* imports directly; absolute imports of the package fail.

    A ``contrib/`` module names the package's modules one level up
    (``from ..explain import``), so they are named as the package's.
    """
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    folders = module.split("/")[:-1]  # [] for a module of the package, ["contrib"] below it
    siblings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            # One dot: the module's own folder; each further dot goes one folder up.
            base = "".join(f"{name}/" for name in folders[: len(folders) - node.level + 1])
            if node.module:
                siblings.add(base + node.module.split(".")[0])
            else:
                siblings.update(base + alias.name for alias in node.names)
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        for name in names:
            assert name != "routers" and not name.startswith("routers."), (
                f"routers/{module}.py imports {name!r} absolutely; import siblings "
                "relatively (from .explain import explain) so a renamed copy still works"
            )
    return siblings


def needed(module: str) -> set[str]:
    """Every sibling *module* reaches through its imports, itself excluded."""
    seen, todo = set(), [module]
    while todo:
        for sibling in sibling_imports(todo.pop()) - seen:
            seen.add(sibling)
            todo.append(sibling)
    return seen - {module}


@pytest.mark.parametrize("module", MODULES)
def test_copy_with_line_names_exactly_the_siblings_the_imports_reach(module):
    assert declared(module) == needed(module), (
        f"routers/{module}.py: the docstring says copy with {sorted(declared(module))}, "
        f"its imports need {sorted(needed(module))}"
    )


def test_every_module_is_covered():
    """A module added later is checked too: the list comes from the folder."""
    assert {"app_label", "apps", "explain", "replica", "middleware", "degraded"} <= set(MODULES)
    assert "contrib/debug_toolbar" in MODULES
    assert "contrib/health_check" in MODULES
