import io

from tqdm import tqdm

from asrkit.progress import LineProgress, progress


def test_a_log_file_gets_whole_lines_not_a_carriage_return_bar():
    log = io.StringIO()
    for _ in progress(range(5), desc="decoding test", unit="batch", file=log, interval=0):
        pass
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 6  # one per update, one at the end
    assert lines[1].startswith("decoding test: 2/5 batch (40%), ")
    assert lines[-1].startswith("decoding test: 5/5 batch (100%)") and "elapsed" in lines[-1]


def test_a_resumed_count_with_a_postfix_says_where_it_is():
    log = io.StringIO()
    bar = LineProgress(total=100, initial=40, unit="update", desc="training", file=log, interval=3600)
    bar.update(1)
    bar.set_postfix(loss="2.5")
    assert log.getvalue() == ""  # not yet time for a line
    bar.close()
    assert log.getvalue().startswith("training: 41/100 update (41%)") and "[loss=2.5]" in log.getvalue()


def test_a_disabled_or_terminal_progress():
    log = io.StringIO()
    bar = progress(total=3, file=log, disable=True, interval=0)
    bar.update(3)
    bar.close()
    assert log.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert isinstance(progress(total=3, file=Terminal()), tqdm)
