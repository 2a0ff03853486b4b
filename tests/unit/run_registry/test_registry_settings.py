"""Where the registry's read model lives: SCPLN_DB, else in SCPLN_DATA_DIR (as ``scpln up``
and the ``scpln registry`` commands run with the same data directory)."""

from pathlib import Path

from services.run_registry.settings import Settings


def test_the_read_model_lives_in_the_data_dir_unless_its_file_is_named(monkeypatch):
    for name in ("SCPLN_DB", "SCPLN_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().scpln_db == Path("data/scpln.db")
    monkeypatch.setenv("SCPLN_DATA_DIR", "/srv/scpln")
    assert Settings().scpln_db == Path("/srv/scpln/scpln.db")
    monkeypatch.setenv("SCPLN_DB", "/var/lib/registry.db")
    assert Settings().scpln_db == Path("/var/lib/registry.db")
    assert Settings(scpln_db=Path("/tmp/r.db")).scpln_db == Path("/tmp/r.db")


def test_the_registry_commands_take_the_database_and_the_bus_before_or_after_the_action(monkeypatch, tmp_path):
    from scpln.cli import build_parser
    from scpln.registry import settings_for

    monkeypatch.delenv("SCPLN_DB", raising=False)
    monkeypatch.setenv("SCPLN_DATA_DIR", str(tmp_path))
    for argv in (["registry", "--db", "/x/a.db", "--nats-url", "nats://h:1", "backup"],
                 ["registry", "backup", "--db", "/x/a.db", "--nats-url", "nats://h:1"]):
        settings = settings_for(build_parser().parse_args(argv))
        assert (settings.scpln_db, settings.nats_url) == (Path("/x/a.db"), "nats://h:1")
    assert settings_for(build_parser().parse_args(["registry", "rebuild"])).scpln_db == tmp_path / "scpln.db"
