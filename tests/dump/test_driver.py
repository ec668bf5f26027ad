"""The asrkit-dump driver: split, jobs, merge, report, threshold, resume and settings.

Jobs run in this process (the launcher is replaced by a loop over JOB) to keep these
fast; ``test_launcher.py`` runs the same command through the real local launcher.
"""

from __future__ import annotations

import kaldiio
import numpy as np
import pytest

from asrkit import dump as dumpmod
from asrkit.data import DataDir, read_table, validate_data_dir
from asrkit.data.exclusions import Exclusions
from asrkit.dump import JobPaths
from asrkit.features import load_feature
from asrkit.features import load_cmvn


@pytest.fixture
def jobs_run(monkeypatch):
    """Replace the launcher by running each job's worker here; records the jobs run."""
    ran: list[int] = []

    def submit(cmd, log, argv, nj):
        assert "JOB" in str(log)
        worker = argv[argv.index("worker"):]
        for job in range(1, nj + 1):
            args = [a.replace("JOB", str(job)) for a in worker]
            done = JobPaths.of(args[-1], job).done
            before = done.stat().st_mtime_ns if done.exists() else None
            assert dumpmod.main(args) == 0
            if done.stat().st_mtime_ns != before:
                ran.append(job)

    monkeypatch.setattr(dumpmod, "submit", submit)
    return ran


def test_dump_writes_a_valid_data_dir_without_the_bad_clips(
    mixed_dir, bad_reasons, tmp_path, jobs_run, capsys
):
    out = tmp_path / "dump"
    rc = dumpmod.main(["--nj", "3", "--max-bad-fraction", "0.5", str(mixed_dir), str(out)])
    assert rc == 0 and jobs_run == [1, 2, 3]
    assert validate_data_dir(out).ok
    dd = DataDir.read(out)
    good = set(DataDir.read(mixed_dir).utts) - set(bad_reasons)
    assert set(dd.utts) == good
    assert set(dd.text) == good and set(dd.wav_scp) == good
    assert set(dd.utt_tables["feats.scp"]) == good
    for utt, value in dd.utt_tables["feats.scp"].items():
        assert len(load_feature(value)) == int(dd.utt_tables["utt2num_samples"][utt])
    bad = Exclusions.read(out / "bad_utts.txt")
    assert {i.key: i.reason for i in bad.items} == bad_reasons
    assert (out / ".done").is_file() and (out / "feats_type").read_text() == "raw\n"
    summary = (out / "dump_summary.txt").read_text()
    assert summary in capsys.readouterr().out
    assert "utterances: 6 dumped of 10" in summary
    for reason in bad_reasons.values():
        assert f"{reason}: 1" in summary
    assert "throughput:" in summary and "h of audio per minute" in summary
    assert not list(out.glob("split*"))


def test_too_many_bad_clips_stop_the_stage_with_a_message(mixed_dir, tmp_path, jobs_run, capsys):
    out = tmp_path / "dump"
    rc = dumpmod.main(["--nj", "2", str(mixed_dir), str(out)])
    assert rc == 1
    err = capsys.readouterr().err
    assert "4 of 10 items excluded (40.0%), more than the allowed 5.0%" in err
    assert str(out / "bad_utts.txt") in err and "--max-bad-fraction" in err
    assert "Traceback" not in err
    assert not (out / ".done").exists() and not (out / "feats.scp").exists()
    assert len(Exclusions.read(out / "bad_utts.txt")) == 4


def test_raising_the_limit_after_a_failure_reuses_the_finished_jobs(mixed_dir, tmp_path, jobs_run):
    out = tmp_path / "dump"
    assert dumpmod.main(["--nj", "2", str(mixed_dir), str(out)]) == 1
    assert jobs_run == [1, 2]
    assert dumpmod.main(["--nj", "2", "--max-bad-fraction", "0.5", str(mixed_dir), str(out)]) == 0
    assert jobs_run == [1, 2]
    assert (out / ".done").is_file()


def test_killed_stage_redoes_only_the_unfinished_split(good_dir, tmp_path, jobs_run, capsys):
    out = tmp_path / "dump"
    assert dumpmod.main(["--nj", "2", str(good_dir), str(out)]) == 0
    job1, job2 = JobPaths.of(out, 1), JobPaths.of(out, 2)
    kept = job1.ark.stat().st_mtime_ns
    # as if job 2 was killed: no marker, half an ark, no stage marker
    job2.done.unlink()
    job2.ark.write_bytes(job2.ark.read_bytes()[:100])
    (out / ".done").unlink()
    jobs_run.clear()
    assert dumpmod.main(["--nj", "2", str(good_dir), str(out)]) == 0
    assert jobs_run == [2]
    assert job1.ark.stat().st_mtime_ns == kept
    assert "resumed: jobs 1 were done in an earlier run" in (out / "dump_summary.txt").read_text()
    feats = kaldiio.load_scp(str(out / "feats.scp"))
    assert len(feats) == 6 and all(len(v) > 0 for v in feats.values())


def test_finished_dump_is_not_redone_and_other_settings_need_force(good_dir, tmp_path, jobs_run, capsys):
    out = tmp_path / "dump"
    assert dumpmod.main([str(good_dir), str(out)]) == 0
    jobs_run.clear()
    assert dumpmod.main([str(good_dir), str(out)]) == 0
    assert jobs_run == []
    assert dumpmod.main(["--type", "fbank", str(good_dir), str(out)]) == 1
    err = capsys.readouterr().err
    assert "other settings" in err and "--force" in err
    assert dumpmod.main(["--type", "fbank", "--force", str(good_dir), str(out)]) == 0
    assert jobs_run == [1]
    assert (out / "feats_type").read_text() == "fbank\n"
    assert "utt2num_samples" not in DataDir.read(out).utt_tables


def test_fbank_dump_writes_cmvn_equal_to_numpy_over_all_frames(good_dir, tmp_path, jobs_run):
    out = tmp_path / "dump"
    assert dumpmod.main(["--nj", "2", "--type", "fbank", "--set", "fbank.num_mel_bins=24",
                         str(good_dir), str(out)]) == 0
    dd = DataDir.read(out)
    feats = [kaldiio.load_mat(v) for v in dd.utt_tables["feats.scp"].values()]
    frames = np.concatenate(feats).astype(np.float64)
    assert frames.shape[1] == 24
    assert {u: str(len(kaldiio.load_mat(v))) for u, v in dd.utt_tables["feats.scp"].items()} == \
        dd.utt_tables["utt2num_frames"]
    stats = kaldiio.load_mat(str(out / "cmvn.ark"))
    assert stats[0, -1] == len(frames)
    mean, std = load_cmvn(out / "cmvn.ark")
    np.testing.assert_allclose(mean, frames.mean(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(std, frames.std(0), rtol=1e-4, atol=1e-5)
    assert read_table(out / "utt2num_frames") == dd.utt_tables["utt2num_frames"]


def test_segmented_dump_keeps_segments_and_recordings(segmented_dir, tmp_path, jobs_run):
    out = tmp_path / "dump"
    assert dumpmod.main(["--max-bad-fraction", "0.2", "--nj", "2", str(segmented_dir), str(out)]) == 0
    dd = DataDir.read(out)
    assert validate_data_dir(out).ok
    assert "spkB-recB-002" not in dd.utts and len(dd.utts) == 5
    assert set(dd.segments) == set(dd.utts) and set(dd.wav_scp) == {"recA", "recB"}


def test_config_file_and_flags_are_saved_as_the_stage_ran(good_dir, tmp_path, jobs_run):
    conf = tmp_path / "dump.yaml"
    conf.write_text("type: fbank\nsample_rate: 8000\nfbank:\n  num_mel_bins: 23\n")
    out = tmp_path / "dump"
    assert dumpmod.main(["--config", str(conf), "--sample-rate", "16000", str(good_dir), str(out)]) == 0
    saved = (out / "config.yaml").read_text()
    assert "type: fbank" in saved and "sample_rate: 16000" in saved and "num_mel_bins: 23" in saved


@pytest.mark.parametrize(
    "args,message",
    [
        (["--set", "fbank.num_bins=3"], "unknown config key 'fbank.num_bins'"),
        (["--type", "fbank", "--dtype", "int16"], "int16 applies to --type raw only"),
        (["--nj", "0"], "--nj must be at least 1"),
    ],
)
def test_bad_options_give_one_line_errors(good_dir, tmp_path, args, message, capsys):
    assert dumpmod.main([*args, str(good_dir), str(tmp_path / "dump")]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_data_dir_is_a_clear_error(tmp_path, capsys):
    assert dumpmod.main([str(tmp_path / "nope"), str(tmp_path / "dump")]) == 1
    assert "no such data directory" in capsys.readouterr().err


def test_invalid_input_data_dir_is_named_before_any_job_runs(good_dir, tmp_path, jobs_run, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("wav.scp", "text"):
        (data / name).write_text((good_dir / name).read_text())
    (data / "utt2spk").write_text((good_dir / "utt2spk").read_text() + "spk9-extra spk9\n")
    assert dumpmod.main([str(data), str(tmp_path / "dump")]) == 1
    err = capsys.readouterr().err
    assert f"{data} is not a valid data dir" in err and "spk9-extra" in err
    assert jobs_run == []
