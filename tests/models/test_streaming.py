"""Streaming (chunked) wav2vec 2.0: the chunk mask, the bounded positional conv, prefix
statistics, the incremental decoder against the offline chunked model, and the training
config (asrkit.models.streaming, asrkit.models.incremental)."""

from __future__ import annotations

import pytest
import torch

from asrkit.config import ConfigError, from_dict
from asrkit.models.ctc import CTCConfig, CTCModel
from asrkit.models.incremental import IncrementalCTC, frontend_lookahead_ms, stream_log_probs
from asrkit.models.streaming import (
    Chunking,
    StreamingTraining,
    algorithmic_latency_ms,
    chunk_attention_mask,
    chunked_pos_conv,
)
from asrkit.models.wav2vec2 import PositionalConvEmbedding

#: wav2vec 2.0 front ends and encoder orders a stream must handle.
SHAPES = {
    "waveform-groupnorm": dict(),  # base: GroupNorm on the first conv, post-LN
    "waveform-large": dict(extractor_mode="layer_norm", normalize_waveform=True, layer_norm_first=True),
    "fbank": dict(frontend="fbank", n_mels=20),
    "fbank-preln": dict(frontend="fbank", n_mels=20, layer_norm_first=True),
}


def ctc_model(micro_config, shape: str, seed: int = 0) -> CTCModel:
    torch.manual_seed(seed)
    cfg = micro_config(dropout=0.0, attention_dropout=0.0, dropout_input=0.0, **SHAPES[shape])
    model = CTCModel(CTCConfig(9, "wav2vec2", wav2vec2=cfg)).eval()
    with torch.no_grad():  # a non-trivial GroupNorm affine, as a trained model has
        for name, p in model.named_parameters():
            if "group_norm" in name or name.endswith("layer_norm.bias"):
                p.add_(0.3 * torch.randn_like(p))
    return model


def inputs_for(model: CTCModel, seconds: float, seed: int = 1) -> torch.Tensor:
    """``seconds`` of fbank at 10 ms (``seconds`` × 50 output frames), or as many output
    frames of the micro waveform encoder (20 samples a frame)."""
    g = torch.Generator().manual_seed(seed)
    if model.cfg.wav2vec2.frontend == "fbank":
        return torch.randn(int(seconds * 100), 20, generator=g) * 2 + 8  # log-mel-like offset
    return torch.randn(int(seconds * 1000), generator=g)


def log_probs(model: CTCModel, x: torch.Tensor, chunking: Chunking | None = None) -> torch.Tensor:
    with torch.no_grad():
        return model(x[None], torch.tensor([x.shape[0]]), chunking=chunking).log_probs[0]


# ------------------------------------------------------------------------ the chunk mask


def test_the_chunk_mask_stops_at_the_chunk_edge_and_left_chunks_back():
    # 7 frames, chunks of 2 ({0,1} {2,3} {4,5} {6}), one chunk of left context, by hand
    expected = torch.tensor([
        [1, 1, 0, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 0, 0, 0],
        [0, 0, 1, 1, 1, 1, 0],
        [0, 0, 1, 1, 1, 1, 0],
        [0, 0, 0, 0, 1, 1, 1],
    ], dtype=torch.bool)
    assert torch.equal(chunk_attention_mask(7, 2, 1), expected)
    # unbounded left context: block lower triangular; no left context: the chunk alone
    assert torch.equal(chunk_attention_mask(5, 2, -1), torch.tensor([
        [1, 1, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]],
        dtype=torch.bool))
    assert torch.equal(chunk_attention_mask(4, 2, 0), torch.tensor([
        [1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]], dtype=torch.bool))
    assert chunk_attention_mask(6, 6, 0).all()  # one chunk: the full context


# ---------------------------------------------------------------------- positional conv


@pytest.mark.parametrize("kernel", [16, 15])
def test_the_chunked_positional_conv_reads_k_half_back_and_never_past_the_chunk(kernel):
    torch.manual_seed(0)
    pos = PositionalConvEmbedding(16, kernel, 4).eval()
    steps, chunk, half = 40, 6, kernel // 2
    x = torch.randn(1, steps, 16)
    with torch.no_grad():
        y = pos(x, chunk)
        for t in (3, 13, 20):  # a frame at the start, the end and the middle of a chunk
            edge = (t // chunk + 1) * chunk
            future, past_far, inside = x.clone(), x.clone(), x.clone()
            future[:, edge:] += torch.randn(1, steps - edge, 16)  # past the chunk's right edge
            if t - half > 0:
                past_far[:, : t - half] += 5.0  # further back than the conv's K/2 past taps
            inside[:, edge - 1] += 1.0  # the chunk's last frame: every frame of it reads it
            assert torch.equal(pos(future, chunk)[0, t], y[0, t]), t
            assert torch.allclose(pos(past_far, chunk)[0, t], y[0, t], atol=1e-6), t
            assert not torch.allclose(pos(inside, chunk)[0, t], y[0, t], atol=1e-3), t
        # the full-context conv does look ahead (~K/2 frames): chunking changes the output
        assert not torch.allclose(pos(x), y, atol=1e-3)


@pytest.mark.parametrize("kernel", [16, 15])
def test_the_split_positional_conv_is_the_full_conv_when_one_chunk_holds_everything(kernel):
    torch.manual_seed(0)
    pos = PositionalConvEmbedding(16, kernel, 4).eval()
    x = torch.randn(2, 30, 16)
    conv = pos.conv
    with torch.no_grad():
        full = pos(x).transpose(1, 2)
        for k in (pos._direct_kernel, pos._fft_kernel):
            split = chunked_pos_conv(x.transpose(1, 2), conv.weight, conv.bias, conv.groups, 30, k)
            torch.testing.assert_close(torch.nn.functional.gelu(split), full, atol=1e-5, rtol=0)
        # FFT and direct kernels agree in chunked mode too (training uses the FFT on CPU)
        chunked = [chunked_pos_conv(x.transpose(1, 2), conv.weight, conv.bias, conv.groups, 7, k)
                   for k in (pos._direct_kernel, pos._fft_kernel)]
        torch.testing.assert_close(chunked[0], chunked[1], atol=1e-5, rtol=0)


# ------------------------------------------------------------------ the whole model


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_one_chunk_holding_the_whole_utterance_is_the_full_context_model(micro_config, shape):
    model = ctc_model(micro_config, shape)
    x = inputs_for(model, 0.9)
    full = log_probs(model, x)
    # the offline model with a chunk that covers every frame is the full-context model
    assert torch.equal(log_probs(model, x, Chunking(full.shape[0], 0)), full)
    # the incremental decoder's own code path (prefix statistics over everything, the
    # positional conv's split taps, the attention cache) with one chunk: the same numbers
    streamed = stream_log_probs(model, x, Chunking(full.shape[0] + 5, 0), piece=x.shape[0] // 3)
    torch.testing.assert_close(streamed, full, atol=2e-5, rtol=0)


@pytest.mark.parametrize("shape,chunk,left", [("waveform-groupnorm", 4, 2), ("waveform-large", 3, 0),
                                               ("fbank", 5, -1), ("fbank-preln", 4, 1)])
def test_incremental_decoding_equals_the_offline_chunked_model(micro_config, shape, chunk, left):
    model = ctc_model(micro_config, shape)
    x = inputs_for(model, 1.2)
    offline = log_probs(model, x, Chunking(chunk, left))
    full = log_probs(model, x)
    assert offline.shape == full.shape and not torch.allclose(offline, full, atol=1e-2)
    # pieces of odd sizes: chunks end inside pieces and pieces inside chunks
    for piece in (x.shape[0] // 7 + 3, x.shape[0] // 25 + 1):
        streamed = stream_log_probs(model, x, Chunking(chunk, left), piece)
        torch.testing.assert_close(streamed, offline, atol=2e-5, rtol=0)


def test_a_frame_never_sees_input_past_its_chunk(micro_config):
    """Perturb the input past a chunk's last frame's receptive field: the chunk's output
    (attention, positional conv, prefix statistics, every layer) does not move."""
    for shape in ("waveform-groupnorm", "fbank"):
        model = ctc_model(micro_config, shape)
        x = inputs_for(model, 1.5)
        chunk = 4
        enc = model.encoder
        jump = 20 if shape.startswith("waveform") else 2  # input units per output frame
        field = enc.receptive_field
        base = log_probs(model, x, Chunking(chunk, 1))
        for c in (0, 2):
            edge = ((c + 1) * chunk - 1) * jump + field  # input the chunk's last frame reads
            later = x.clone()
            later[edge:] = later[edge:] * 3 + 1
            moved = log_probs(model, later, Chunking(chunk, 1))
            lo, hi = c * chunk, (c + 1) * chunk
            torch.testing.assert_close(moved[:hi], base[:hi], atol=1e-5, rtol=0)
            assert not torch.allclose(moved[hi:], base[hi:], atol=1e-3)  # the rest does move
            assert lo < hi


def test_padded_batches_give_each_utterance_its_own_chunked_output(micro_config):
    for shape in ("waveform-groupnorm", "fbank"):
        model = ctc_model(micro_config, shape)
        a, b = inputs_for(model, 1.2, seed=3), inputs_for(model, 0.7, seed=4)
        batch = torch.nn.utils.rnn.pad_sequence([a, b], batch_first=True)
        with torch.no_grad():
            out = model(batch, torch.tensor([a.shape[0], b.shape[0]]), chunking=Chunking(3, 1))
        assert torch.isfinite(out.log_probs).all()
        for i, x in enumerate((a, b)):
            alone = log_probs(model, x, Chunking(3, 1))
            torch.testing.assert_close(out.log_probs[i, : alone.shape[0]], alone, atol=2e-5, rtol=0)
            # b ends with whole chunks and input no frame reads: it must not count for them
            streamed = stream_log_probs(model, x, Chunking(3, 1), piece=x.shape[0] // 4 + 1)
            torch.testing.assert_close(streamed, alone, atol=2e-5, rtol=0)


def test_the_conformer_and_double_normalization_refuse_streaming(micro_config):
    model = CTCModel(CTCConfig(9, "conformer"))
    with pytest.raises(ValueError, match="not the Conformer"):
        IncrementalCTC(model, Chunking(4))
    cfg = micro_config(normalize_waveform=True)  # GroupNorm conv + waveform normalization
    model = CTCModel(CTCConfig(9, "wav2vec2", wav2vec2=cfg)).eval()
    with pytest.raises(ValueError, match="at most one per-utterance normalization"):
        log_probs(model, torch.randn(8000), Chunking(2))


# ------------------------------------------------------------------------------ latency


def test_latency_is_the_chunk_plus_the_front_ends_look_ahead(micro_config):
    # fbank: a 20 ms frame reads 5 fbank frames (3 past its stride) of a 25 ms window at 10 ms
    fbank = CTCModel(CTCConfig(9, "wav2vec2", wav2vec2=micro_config(frontend="fbank", n_mels=20)))
    assert frontend_lookahead_ms(fbank, 10.0, 25.0) == pytest.approx(45.0)
    assert algorithmic_latency_ms(32, 20.0, 45.0) == pytest.approx((685.0, 375.0))
    # the micro waveform stack: 3 convs (10/5, 3/2, 3/2): field 40, stride 20 samples
    wave = CTCModel(CTCConfig(9, "wav2vec2", wav2vec2=micro_config()))
    assert frontend_lookahead_ms(wave, 1 / 16) == pytest.approx(20 / 16)


# ------------------------------------------------------------------ training config


def test_the_streaming_training_config_is_off_by_default_and_checked():
    off = StreamingTraining()
    assert not off.enabled and off.draw(1, 5, 100) is None and off.validation() is None
    listed = from_dict(StreamingTraining, {"chunk_frames": [8, 0], "left_chunks": 2}, "finetune.streaming")
    draws = {listed.draw(1, u, 100) for u in range(40)}
    assert draws == {None, Chunking(8, 2)}
    assert listed.draw(1, 7, 100) == listed.draw(1, 7, 100)  # the same on every rank and on resume
    dynamic = StreamingTraining(chunk_frames="dynamic", max_chunk_frames=10, dynamic_left=True)
    draws = [dynamic.draw(3, u, 60) for u in range(200)]
    sizes = {d.frames for d in draws if d is not None}
    assert None in draws and sizes <= set(range(1, 11)) and len(sizes) > 5
    assert {d.left_chunks for d in draws if d is not None} > {0, 1}
    for bad, match in [({"chunk_frames": "sometimes"}, "chunk_frames"),
                       ({"chunk_frames": [8, -1]}, "frame counts"),
                       ({"left_chunks": -2}, "left_chunks"),
                       ({"chunk_frames": "dynamic", "min_chunk_frames": 0}, "min_chunk_frames")]:
        with pytest.raises(ConfigError, match=match):
            from_dict(StreamingTraining, bad, "finetune.streaming")
