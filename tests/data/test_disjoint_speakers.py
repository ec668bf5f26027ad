"""A pool or training set sharing a speaker with dev or test is an error naming the speakers
(asrkit-data disjoint, utils/check_speakers_disjoint.sh)."""

from __future__ import annotations

from asrkit.data import ops


def test_shared_speakers_are_named_per_set(tmp_path, make_datadir, utils_run):
    dd = make_datadir(n_spk=4)  # sA..sD
    dd.subset([u for u in dd.utts if u[:2] in ("sA", "sB", "sC")]).write(tmp_path / "data" / "pool")
    dd.subset([u for u in dd.utts if u[:2] == "sD"]).write(tmp_path / "data" / "dev")
    dd.subset([u for u in dd.utts if u[:2] in ("sB", "sC")]).write(tmp_path / "data" / "test")

    ok = utils_run("check_speakers_disjoint.sh", "data/pool", "data/dev", cwd=tmp_path)
    assert "data/pool shares no speaker with data/dev" in ok.stdout
    bad = utils_run("check_speakers_disjoint.sh", "data/pool", "data/dev", "data/test", cwd=tmp_path, check=False)
    assert bad.returncode == 1
    assert "data/pool shares speakers with sets it must not overlap:\n  data/test: 2 speaker(s): sB sC\n" in bad.stderr
    assert "data/dev" not in bad.stderr.split("\n", 1)[1]


def test_shared_speakers_of_in_memory_dirs(make_datadir):
    dd = make_datadir(n_spk=3)
    other = dd.subset([u for u in dd.utts if u.startswith("sC")])
    assert ops.shared_speakers(dd, [other]) == {"set 1": ["sC"]}
    assert ops.shared_speakers(dd.subset([u for u in dd.utts if u.startswith("sA")]), [other]) == {}
