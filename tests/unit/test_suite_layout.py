"""The suite collects as a whole: test modules outside a package share one namespace in
pytest's default import mode, so two of them with one file name stop the whole run."""

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_outside_a_package_share_a_file_name():
    places: dict[str, list[str]] = defaultdict(list)
    for module in TESTS.rglob("test_*.py"):
        if not (module.parent / "__init__.py").exists():
            places[module.name].append(str(module.relative_to(TESTS)))
    assert {name: where for name, where in places.items() if len(where) > 1} == {}
