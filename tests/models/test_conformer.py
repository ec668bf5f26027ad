"""The fbank Conformer baseline encoder."""

import torch

from asrkit.models.conformer import ConformerConfig, ConformerEncoder, spec_augment


def test_subsampling_shapes_and_lengths():
    enc = ConformerEncoder(ConformerConfig(num_layers=2, dim=64, ffn_dim=128, num_heads=2))
    out, lengths = enc(torch.randn(3, 101, 80), torch.tensor([101, 60, 30]))
    assert out.shape == (3, 24, 64)
    assert lengths.tolist() == [24, 14, 6]


def test_padding_does_not_change_valid_outputs():
    torch.manual_seed(0)
    enc = ConformerEncoder(ConformerConfig(num_layers=2, dim=64, ffn_dim=128, num_heads=2)).eval()
    x = torch.randn(2, 120, 80)
    alone, n = enc(x[1:, :70], torch.tensor([70]))
    batched, _ = enc(x, torch.tensor([120, 70]))
    assert torch.allclose(alone[0, : n[0]], batched[1, : n[0]], atol=1e-5)


def test_spec_augment_masks_bands_and_spans_inside_the_utterance():
    torch.manual_seed(0)
    cfg = ConformerConfig(freq_masks=2, freq_mask_width=10, time_masks=2, time_mask_ratio=0.2)
    x = torch.randn(2, 100, 80) + 5.0  # no natural zeros
    y = spec_augment(x, torch.tensor([100, 50]), cfg)
    zero_bins = (y == 0).all(dim=1)  # [B, F]: bins zeroed over all frames
    assert zero_bins.any(dim=1).all()
    zero_frames = (y == 0).all(dim=2)  # [B, T]
    assert zero_frames[1, 50:].sum() == 0  # never masks padding
    assert torch.equal(x, x.clone())  # input untouched


def test_spec_augment_makes_no_host_device_sync(count_syncs):
    x = torch.randn(4, 100, 80)
    lengths = torch.tensor([100, 80, 31, 7])
    with count_syncs() as syncs:
        spec_augment(x, lengths, ConformerConfig())
    assert syncs.count == 0, syncs.calls


def test_spec_augment_widths_follow_the_config():
    torch.manual_seed(0)
    x = torch.ones(400, 200, 40)
    lengths = torch.tensor([200, 60] * 200)
    # one band, no spans: the zeroed bins of an utterance are its band
    bands = spec_augment(x, lengths, ConformerConfig(freq_masks=1, freq_mask_width=10, time_masks=0))
    width = (bands == 0).all(dim=1).sum(dim=1)
    assert int(width.min()) == 0 and int(width.max()) == 10
    assert abs(float(width.float().mean()) - 5.0) < 0.5  # U{0..10}
    # one span, no bands: width U{0..⌊0.1 · length⌋} inside the utterance
    spans = spec_augment(x, lengths, ConformerConfig(freq_masks=0, time_masks=1, time_mask_ratio=0.1))
    zeroed = (spans == 0).all(dim=2)  # [B, T]
    width = zeroed.sum(dim=1)
    for n, max_width in ((200, 20), (60, 6)):
        w = width[lengths == n]
        assert int(w.min()) == 0 and int(w.max()) == max_width
        assert abs(float(w.float().mean()) - max_width / 2) < 0.15 * max_width
    assert not zeroed[lengths == 60, 60:].any()  # never inside the padding
    ends = [int(torch.nonzero(row).max()) for row in zeroed if row.any()]
    assert max(ends) > 190  # spans reach the end of the longer utterances
