"""The exported ONNX graph against PyTorch: both front ends (and the Conformer), dynamic batch
and time axes, padding, the metadata and tokens.txt a runtime reads."""

from __future__ import annotations

import json

import pytest
import torch

from asrkit.decoding import greedy_search
from asrkit.models.conformer import ConformerConfig
from asrkit.models.ctc import CTCConfig, CTCModel
from asrkit.model_input import InputSpec
from asrkit.runtime import graph
from asrkit.runtime.ort import OrtCTC
from asrkit.text.tokenizer import CharTokenizer

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (asrkit's 'export' extra)")


def _model(kind: str, micro_model) -> CTCModel:
    if kind != "conformer":
        return micro_model(kind, 12)
    torch.manual_seed(0)
    cfg = ConformerConfig(dim=32, num_layers=2, num_heads=4, ffn_dim=64, conv_kernel=7)
    return CTCModel(CTCConfig(12, "conformer", conformer=cfg)).eval()


def _inputs(kind: str, lengths: list[int], seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    shape = (len(lengths), max(lengths)) if kind == "waveform" else (len(lengths), max(lengths), 80)
    x = torch.randn(*shape, generator=g)
    for i, n in enumerate(lengths):
        x[i, n:] = 0.0  # padding, as a collated batch holds it
    return x


@pytest.mark.parametrize("kind", ["fbank", "waveform", "conformer"])
def test_onnxruntime_matches_pytorch_at_three_lengths_in_padded_batches(kind, micro_model, tmp_path):
    model = _model(kind, micro_model)
    spec = InputSpec(type="raw" if kind == "waveform" else "fbank")
    meta = graph.metadata(model, CharTokenizer(["<blank>", "<unk>", "|"] + list("ABCDEFGHI")), spec)
    ctc = OrtCTC(graph.export_onnx(model, tmp_path / "model.onnx", meta))
    unit = 40 if kind == "waveform" else 1  # samples per 2.5 ms (short: the test is about shapes)
    for seed, longest in enumerate((57, 180, 431)):  # none of them the traced example's length
        lengths = [longest * unit, (longest * 2 // 3) * unit, (longest // 2) * unit]
        x, n = _inputs(kind, lengths, seed), torch.tensor(lengths)
        log_probs, out_lengths = ctc(x, n)
        with torch.inference_mode():
            ref = model(x, n)
        assert torch.equal(out_lengths, ref.lengths)
        assert log_probs.shape == ref.log_probs.shape
        for b, frames in enumerate(out_lengths.tolist()):
            torch.testing.assert_close(log_probs[b, :frames], ref.log_probs[b, :frames], atol=1e-4, rtol=0)
        assert greedy_search(log_probs, out_lengths)[0] == greedy_search(ref.log_probs, ref.lengths)[0]
        # an utterance alone gives what it gives in the padded batch
        alone, alone_n = ctc(x[2:, : lengths[2]], n[2:])
        frames = int(alone_n[0])
        torch.testing.assert_close(alone[0, :frames], log_probs[2, :frames], atol=1e-4, rtol=0)


def test_the_metadata_and_tokens_are_what_sherpa_onnx_reads(micro_model, tmp_path):
    tokenizer = CharTokenizer(["<blank>", "<unk>", "|", "A", "B"])
    model = micro_model("fbank", tokenizer.vocab_size)
    spec = InputSpec(type="fbank", sample_rate=8000)
    path = graph.export_onnx(model, tmp_path / "model.onnx", graph.metadata(model, tokenizer, spec))
    meta = graph.read_metadata(path)
    assert meta["model_type"] == "wenet_ctc" and meta["vocab_size"] == "5"
    assert meta["subsampling_factor"] == "2"  # fbank conv strides 1 and 2
    assert meta["sample_rate"] == "8000" and meta["normalize_type"] == ""
    assert json.loads(meta["feature"])["fbank"]["num_mel_bins"] == 80
    assert "per-utterance" in meta["normalization"]
    graph.write_tokens(tokenizer, tmp_path / "tokens.txt")
    # the word delimiter is SentencePiece's mark, which sherpa-onnx turns into a space
    assert (tmp_path / "tokens.txt").read_text().splitlines() == ["<blank> 0", "<unk> 1", "\u2581 2", "A 3", "B 4"]
    import onnx

    proto = onnx.load(str(path))
    assert proto.opset_import[0].version >= 17
    dims = [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in proto.graph.input]
    assert dims == [["N", "T", 80], ["N"]]
    assert [o.name for o in proto.graph.output] == ["log_probs", "log_probs_len"]


def test_a_waveform_model_says_it_reads_samples(micro_model):
    tokenizer = CharTokenizer(["<blank>", "<unk>", "|", "A"])
    meta = graph.metadata(micro_model("waveform", 4), tokenizer, InputSpec())
    assert meta["model_type"] == "asrkit_ctc_waveform" and meta["frontend"] == "waveform"
    assert meta["subsampling_factor"] == "20"  # 5 x 2 x 2 samples per output frame
    assert meta["normalization"] == "none"


def test_reading_metadata_of_what_is_not_an_onnx_model_names_the_file(tmp_path):
    (tmp_path / "model.onnx").write_text("not a graph")
    with pytest.raises(graph.ExportError, match="model.onnx: not an ONNX model"):
        graph.read_metadata(tmp_path / "model.onnx")
    with pytest.raises(graph.ExportError, match="no such ONNX model"):
        graph.read_metadata(tmp_path / "missing.onnx")


def test_the_exported_masked_norm_computes_what_the_training_kernel_computes():
    """The exporter cannot trace the autograd Function's in-place ops, so under export the
    waveform front end's norm runs an out-of-place copy of its forward: bit for bit the same."""
    from asrkit.models import ops

    g = torch.Generator().manual_seed(0)
    x, weight, bias = torch.randn(3, 8, 50, generator=g), torch.randn(8, generator=g), torch.randn(8, generator=g)
    lengths = torch.tensor([50, 31, 7])
    mask, count = ops.valid_frames(lengths, 50).float(), lengths.float()[:, None]
    exported = ops._masked_instance_norm(x, mask, count, weight, bias, 1e-5)
    assert torch.equal(exported, ops._MaskedInstanceNorm.apply(x, mask, count, weight, bias, 1e-5))
    assert torch.equal(exported[2, :, 7:], torch.zeros(8, 43))
