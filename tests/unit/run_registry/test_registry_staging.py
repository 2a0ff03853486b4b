"""What a swap command may name: only the database staged for it beside the live one."""

import os
from pathlib import Path

import pytest

from services.run_registry import db
from services.run_registry.staging import SwapRefused, staged_file, staged_path


def registry_database(path: Path) -> Path:
    engine = db.open_engine("db", str(path))
    db.create_schema(engine)
    engine.dispose()
    return path


@pytest.fixture()
def live(tmp_path) -> Path:
    (tmp_path / "data").mkdir()
    return registry_database(tmp_path / "data" / "scpln.db")


def refusal(path: Path | str, live: Path, reason: str = "rebuild") -> tuple[str, str]:
    with pytest.raises(SwapRefused) as refused:
        staged_file(str(path), live, reason)  # type: ignore[arg-type]
    return refused.value.error, str(refused.value)


def test_the_file_staged_for_a_rebuild_or_a_restore_is_taken_by_its_real_path(live, tmp_path):
    for reason in ("rebuild", "restore"):
        staged = registry_database(staged_path(live, reason))  # type: ignore[arg-type]
        assert staged == live.with_name(f"scpln.db.{reason}")
        assert staged_file(str(staged), live, reason) == staged  # type: ignore[arg-type]
    (tmp_path / "link").symlink_to(live.parent, target_is_directory=True)
    assert staged_file(str(tmp_path / "link" / "scpln.db.rebuild"), live, "rebuild") == live.with_name("scpln.db.rebuild")


def test_the_live_file_and_its_side_files_are_refused_however_they_are_named(live, tmp_path):
    for side in ("-wal", "-shm"):
        Path(f"{live}{side}").write_bytes(b"")
        assert refusal(f"{live}{side}", live) == (
            "not_allowed", f"{live}{side} is the live read model (or one of its side files): a swap takes a staged copy")
    assert refusal(live, live)[0] == "not_allowed"
    staged = staged_path(live, "rebuild")
    staged.symlink_to(live)  # the staged name, pointing at the live file
    assert refusal(staged, live)[0] == "not_allowed"
    assert refusal(live.parent / ".." / "data" / "scpln.db", live)[0] == "not_allowed"


def test_files_outside_the_data_directory_or_not_staged_are_refused(live, tmp_path):
    elsewhere = registry_database(tmp_path / "scpln.db.rebuild")
    assert refusal(elsewhere, live) == (
        "not_allowed", (f"{elsewhere} is outside the registry's data directory {live.parent}: "
                        f"a rebuild swaps in {live}.rebuild only"))
    staged = staged_path(live, "rebuild")
    staged.symlink_to(elsewhere)  # the staged name, leading out of the directory
    assert refusal(staged, live)[0] == "not_allowed"
    staged.unlink()
    backup = registry_database(live.with_name("scpln-20250101.db"))  # a registry database, but not staged
    assert refusal(backup, live) == ("not_allowed", (f"{backup} is not the file staged for a rebuild: "
                                                     f"a rebuild swaps in {live}.rebuild only"))
    restore = registry_database(staged_path(live, "restore"))
    assert refusal(restore, live, "rebuild")[0] == "not_allowed"
    assert refusal("/etc/passwd", live)[0] == "not_allowed"


def test_what_is_no_registry_database_file_is_a_validation_error(live):
    staged = staged_path(live, "rebuild")
    assert refusal("data/scpln.db.rebuild", live) == ("validation_failed", "data/scpln.db.rebuild is not an absolute path")
    assert refusal(staged, live) == ("validation_failed", f"no such file: {staged}")
    staged.mkdir()
    assert refusal(staged, live) == ("validation_failed", f"{staged} is not a regular file")
    staged.rmdir()
    os.mkfifo(staged)  # opening it would wait for a writer: refused before
    assert refusal(staged, live) == ("validation_failed", f"{staged} is not a regular file")
    staged.unlink()
    staged.write_text("not a database")
    assert refusal(staged, live) == ("validation_failed", f"{staged} is not a registry database")
    assert refusal("/nul\0byte", live)[0] == "validation_failed"
