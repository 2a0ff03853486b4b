"""``scpln up``'s supervisor: a dead child is restarted and said in one line; nats-server is
restarted when it refuses writes after its disk filled and space is back."""

import os
import signal
import sys
import time
from pathlib import Path

from scpln.supervisor import Child, StuckWatch, Supervisor, backoff

ERROR = "JetStream stream '$G > SCPLN_EVENTS' write error: write …/msgs/2.blk: no space left on device"
MB = 2**20


def test_a_killed_child_is_restarted_at_once_and_said_in_one_line(tmp_path: Path, capsys):
    child = Child("nats-server", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ),
                  tmp_path / "child.log", own_session=True)
    supervisor = Supervisor([], nats=child)
    child.start()
    first = child.proc.pid  # type: ignore[union-attr]
    try:
        os.kill(first, signal.SIGKILL)
        child.proc.wait(5)  # type: ignore[union-attr]
        deadline = time.monotonic() + 5
        while child.proc.pid == first and time.monotonic() < deadline:  # type: ignore[union-attr]
            supervisor._tend(child, time.monotonic())
            time.sleep(0.05)
        assert child.running() and child.proc.pid != first  # type: ignore[union-attr]
        [line] = capsys.readouterr().out.splitlines()
        assert line.startswith("scpln: nats-server exited (signal 9); restarted in 0.")
    finally:
        child.stop()


def test_the_backoff_doubles_from_a_quarter_second_up_to_thirty():
    assert [backoff(n) for n in (0, 1, 2, 7, 20)] == [0.25, 0.5, 1.0, 30.0, 30.0]


class Server:
    def __init__(self) -> None:
        self.error: str | None = None
        self.free = 0

    def watch(self) -> StuckWatch:
        return StuckWatch("http://127.0.0.1:1", Path("/data/jetstream"), 8 * MB, write_error=lambda _url: self.error,
                          free_bytes=lambda _path: self.free)


def test_nats_server_stuck_on_a_write_error_is_restarted_once_space_is_back(capsys):
    server = Server()
    stuck = server.watch()
    assert stuck.why_restart(10.0) is None
    server.error, server.free = ERROR, 1 * MB
    assert stuck.why_restart(20.0) is None and stuck.why_restart(30.0) is None, "not while the disk is full"
    [said] = capsys.readouterr().out.splitlines()
    assert "nats-server refuses writes" in said and "restarted once 8.0 MB are free" in said
    server.free = 30 * MB
    reason = stuck.why_restart(40.0)
    assert reason and "no space left on device" in reason and "30.0 MB free again" in reason
    assert stuck.why_restart(50.0) is None, "not twice within half a minute"
    assert stuck.why_restart(71.0) is not None
    server.error = None
    assert stuck.why_restart(110.0) is None
