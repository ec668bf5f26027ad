"""The trainer reads what stage 2 (asrkit-dump) writes, on real speech (Kaldi's yesno)."""

import sys

import numpy as np
import pytest

from asrkit.data.tables import write_table
from asrkit.dump import DumpConfig, dump
from asrkit.train import FeatsDataset, collate

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def yesno_dir(shared_data, tmp_path_factory):
    waves = sorted((shared_data / "yesno" / "waves_yesno").glob("*.wav"))[:4]
    data = tmp_path_factory.mktemp("yesno") / "data"
    utts = {f"yesno-{w.stem}": w for w in waves}
    write_table(data / "wav.scp", {u: str(w) for u, w in utts.items()})
    write_table(data / "utt2spk", {u: "yesno" for u in utts})
    words = {"0": "NO", "1": "YES"}
    write_table(data / "text", {u: " ".join(words[c] for c in u[6:].split("_")) for u in utts})
    return data


@pytest.mark.parametrize("kind, dtype", [("raw", "int16"), ("fbank", "float32")])
def test_stage2_dumps_are_read_with_lengths_and_targets(yesno_dir, tmp_path, kind, dtype):
    cfg = DumpConfig(type=kind, dtype=dtype, sample_rate=16000)
    out = dump(yesno_dir, tmp_path / kind, cfg, cmd=f"{sys.executable} -m asrkit.launch local")
    vocab = {"NO": 1, "YES": 2}
    ds = FeatsDataset(out, to_ids=lambda text: [vocab[w] for w in text.split()])
    assert len(ds) == 4 and ds.unit == ("samples" if kind == "raw" else "frames")
    batch = collate([ds[i] for i in range(len(ds))])
    assert batch.lengths.tolist() == ds.lengths.tolist()
    assert batch.target_lengths.tolist() == [8, 8, 8, 8]
    if kind == "raw":
        assert batch.inputs.dim() == 2 and float(batch.inputs.abs().max()) <= 1.0
        assert 4.0 < ds.lengths[0] * ds.seconds_per_unit < 8.0  # yesno clips last about 6 s
    else:
        assert batch.inputs.dim() == 3 and np.isfinite(batch.inputs.numpy()).all()
