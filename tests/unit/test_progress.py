"""The operator's progress bar: redrawn at a bounded rate, the finished state always shown."""

from scpln.progress import ProgressBar


def test_the_bar_redraws_at_most_every_interval_but_always_shows_the_end(capsys):
    bar = ProgressBar("rebuild", every_s=60)
    bar.update(10, 100, 1.0)
    bar.update(50, 100, 2.0)
    assert "50/100" not in capsys.readouterr().err
    bar.update(100, 100, 3.0)
    bar.close()
    drawn = capsys.readouterr().err
    assert "100.0% 100/100 events 33 ev/s ETA 0s" in drawn and drawn.endswith("\n")
