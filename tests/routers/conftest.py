import pytest

from tests.blank_project import BlankProject


@pytest.fixture
def project(tmp_path):
    """A blank project of its own (``tests/blank_project.py``), for the copy tests."""
    return BlankProject(tmp_path / "site")
