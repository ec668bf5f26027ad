import kaldiio
import pytest
import torch

from asrkit.train import TARGET_PAD, DatasetError, EmptyDatasetError, FeatsDataset, collate


def test_dataset_reads_lengths_up_front_and_each_ark_item_on_demand(corpus, monkeypatch):
    real = kaldiio.load_mat
    calls = []

    def refuse(spec):
        raise AssertionError("the dataset opened an ark while being built")

    monkeypatch.setattr(kaldiio, "load_mat", refuse)
    ds = FeatsDataset(corpus)
    assert len(ds) == 24 and ds.unit == "frames" and ds.seconds_per_unit == 0.01

    def counting(spec):
        calls.append(spec)
        return real(spec)

    monkeypatch.setattr(kaldiio, "load_mat", counting)
    ex = ds[5]
    assert calls == [ds.spec(5)] and ex.utt_id == "utt005"
    assert ex.inputs.shape == (ds.lengths[5], 4) and ex.inputs.dtype == torch.float32


def test_raw_waveform_dump_is_read_as_vectors(tmp_path, toy):
    ds = FeatsDataset(toy.write_corpus(tmp_path / "raw", n=3, feat_dim=None), sample_rate=8000)
    assert ds.unit == "samples" and ds.seconds_per_unit == 1 / 8000
    assert ds[0].inputs.dim() == 1 and len(ds[0].inputs) == ds.lengths[0]


def test_long_utterances_are_cropped_reproducibly_per_epoch(tmp_path, toy):
    path = toy.write_corpus(tmp_path / "d", lengths=[30, 8, 200])
    full = FeatsDataset(path)[2].inputs
    ds = FeatsDataset(path, max_length=20, seed=7)
    assert ds.lengths.tolist() == [20, 8, 20]
    a = ds[2].inputs
    assert a.shape == (20, 4)
    starts = [s for s in range(181) if torch.equal(full[s : s + 20], a)]
    assert len(starts) == 1
    assert torch.equal(FeatsDataset(path, max_length=20, seed=7)[2].inputs, a)
    windows = set()
    for epoch in range(5):
        ds.set_epoch(epoch)
        windows.add(ds[2].inputs[0, 0].item())
    assert len(windows) > 1
    assert torch.equal(ds[1].inputs, FeatsDataset(path)[1].inputs)


def test_unusable_utterances_are_excluded_with_reasons(tmp_path, toy):
    path = toy.write_corpus(tmp_path / "d", lengths=[5, 50, 12, 14, 16, 18, 300], text=True)
    (path / "text").write_text(
        "utt000 ab\nutt001 ab\nutt002 ??\nutt003 \nutt005 ab ab ab ab ab ab ab ab ab ab\nutt006 c\n"
    )

    def to_ids(text):
        if "?" in text:
            raise KeyError("'?' is not in the vocabulary")
        return [ord(c) for c in text.replace(" ", "")]

    def keep(utt, length, ids):
        return "too-many-tokens" if len(ids) > length else None

    ds = FeatsDataset(path, min_length=10, max_length=100, to_ids=to_ids, keep=keep)
    assert ds.utt_ids == ["utt001"]
    reasons = {e.key: e.reason for e in ds.exclusions.items}
    assert reasons == {
        "utt000": "too-short", "utt002": "untokenizable", "utt003": "empty-target",
        "utt004": "no-text", "utt005": "too-many-tokens", "utt006": "too-long",
    }
    where = {e.key: e.where for e in ds.exclusions.items}
    assert where["utt000"].endswith("feats.scp:1: 5 frames < min_length 10")
    assert "text:3: '?' is not in the vocabulary" in where["utt002"]
    assert ds[0].targets.tolist() == [ord("a"), ord("b")]


def test_a_task_may_take_its_targets_from_a_label_table(tmp_path, toy):
    path = toy.write_corpus(tmp_path / "d", lengths=[20, 30, 40])
    (path / "utt2accent").write_text("utt000 north\nutt001 south\n")
    classes = {"north": 0, "south": 1}
    ds = FeatsDataset(path, targets="utt2accent", to_ids=lambda label: [classes[label]])
    assert ds.utt_ids == ["utt000", "utt001"] and ds[1].targets.tolist() == [1]
    assert {e.key: e.reason for e in ds.exclusions.items} == {"utt002": "no-utt2accent"}
    with pytest.raises(DatasetError, match="utt2lang: no such file; the task's targets are the labels"):
        FeatsDataset(path, targets="utt2lang", to_ids=lambda label: [0])


def test_persistent_workers_crop_as_the_epoch_tag_says(tmp_path, toy):
    path = toy.write_corpus(tmp_path / "d", lengths=[200])
    ds = FeatsDataset(path, max_length=20, seed=7)
    ds.set_epoch(3)
    third = ds[0].inputs
    ds.set_epoch(0)  # a worker's copy that never saw set_epoch(3)
    assert torch.equal(ds[(3, 0)].inputs, third)


def test_every_utterance_excluded_is_a_clear_error(corpus):
    with pytest.raises(EmptyDatasetError, match=r"(?s)no utterance left of 24.*too-short: 24"):
        FeatsDataset(corpus, min_length=1000)


def test_dump_without_length_table_names_the_stage_to_rerun(corpus):
    (corpus / "utt2num_frames").unlink()
    with pytest.raises(DatasetError, match="utt2num_samples nor utt2num_frames.*stage 2"):
        FeatsDataset(corpus)


def test_unreadable_ark_names_the_utterance(corpus):
    ds = FeatsDataset(corpus)
    (corpus / "feats.ark").write_bytes(b"")
    with pytest.raises(DatasetError, match="cannot read 'utt000'"):
        ds[0]


def test_collate_pads_inputs_with_zeros_and_targets_with_pad_id():
    from asrkit.train import Example

    batch = collate([
        Example("a", torch.ones(3, 2), torch.tensor([1, 2])),
        Example("b", torch.ones(5, 2), torch.tensor([3])),
    ])
    assert batch.inputs.shape == (2, 5, 2) and batch.lengths.tolist() == [3, 5]
    assert batch.inputs[0, 3:].abs().sum() == 0
    assert batch.targets.tolist() == [[1, 2], [3, TARGET_PAD]]
    assert batch.target_lengths.tolist() == [2, 1]
    assert batch.to("cpu").utt_ids == ["a", "b"] and len(batch) == 2
    with pytest.raises(DatasetError, match="feature shape"):
        collate([Example("a", torch.ones(3, 2)), Example("b", torch.ones(3, 4))])


def test_values_not_integer_in_length_table_give_file_and_line(corpus):
    lines = (corpus / "utt2num_frames").read_text().splitlines()
    lines[2] = lines[2].split()[0] + " twelve"
    (corpus / "utt2num_frames").write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"utt2num_frames:3: length of 'utt002' is 'twelve'"):
        FeatsDataset(corpus)
