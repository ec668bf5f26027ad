"""INT8 models in PyTorch and onnxruntime load and decode; the per-layer fallback keeps a
deliberately broken layer in float."""

from __future__ import annotations

import pytest
import torch

from asrkit.decoding import greedy_search
from asrkit.model_input import InputSpec
from asrkit.runtime import graph, quantize
from asrkit.runtime.ort import OrtCTC
from asrkit.text.tokenizer import CharTokenizer

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (asrkit's 'export' extra)")

BROKEN = "encoder.encoder.layers.1.attention.in_proj"


def _examples(count: int = 2) -> list[quantize.Example]:
    g = torch.Generator().manual_seed(1)
    return [(torch.randn(1, n, 80, generator=g), torch.tensor([n])) for n in (60, 90, 75)[:count]]


def _sharp(model):
    """Sharper posteriors (a trained model's), so quantization errors show in the KL."""
    with torch.no_grad():
        model.head.weight.mul_(10)
    return model


def _break(model, name: str = BROKEN):
    """One outlier weight: per-tensor int8 then rounds the rest of the layer to zero."""
    with torch.no_grad():
        weight = model.get_submodule(name).weight
        weight[0, 0] = 200 * weight.abs().max()
    return model


def _onnx(model, path):
    tokenizer = CharTokenizer(["<blank>", "<unk>", "|"] + [chr(65 + i) for i in range(model.cfg.vocab_size - 3)])
    return graph.export_onnx(model, path, graph.metadata(model, tokenizer, InputSpec(type="fbank")))


def test_a_pytorch_int8_model_saves_loads_and_decodes_as_quantized(micro_model, tmp_path):
    model = _sharp(micro_model("fbank", 12))
    qmodel, layers = quantize.quantize_torch(model, skip=["head"])
    assert "head" not in layers and len(layers) == len(quantize.linear_layers(model)) - 1
    path = quantize.save_torch_int8(qmodel, layers, tmp_path / "model.int8.pt")
    loaded = quantize.load_torch_int8(path)
    assert isinstance(loaded.head, torch.nn.Linear)  # kept float
    assert isinstance(loaded.encoder.encoder.layers[0].fc1, torch.ao.nn.quantized.dynamic.Linear)
    torch.save(model.state_dict(), tmp_path / "fp32.pt")
    assert path.stat().st_size < (tmp_path / "fp32.pt").stat().st_size
    x, n = _examples(1)[0]
    with torch.inference_mode():
        ours, saved, ref = loaded(x, n), qmodel(x, n), model(x, n)
    assert torch.equal(ours.log_probs, saved.log_probs)  # the file holds the quantized model exactly
    assert 0 < quantize.frame_divergence([ref.log_probs[0]], [ours.log_probs[0]])["kl"] < 0.05
    tokens, _ = greedy_search(ours.log_probs, ours.lengths)
    assert tokens[0]


def test_an_onnxruntime_int8_graph_loads_and_decodes(micro_model, tmp_path):
    model = _sharp(micro_model("fbank", 12))
    fp32 = _onnx(model, tmp_path / "model.onnx")
    nodes = quantize.onnx_weight_nodes(fp32)
    assert len(nodes) == len(quantize.linear_layers(model))  # one weight product per Linear
    int8 = quantize.quantize_onnx(fp32, tmp_path / "model.int8.onnx", exclude=[nodes[-1]])
    assert int8.stat().st_size < fp32.stat().st_size
    x, n = _examples(1)[0]
    ref, _ = OrtCTC(fp32)(x, n)
    ours, lengths = OrtCTC(int8)(x, n)
    assert 0 < quantize.frame_divergence([ref[0]], [ours[0]])["kl"] < 0.05
    assert greedy_search(ours, lengths)[0][0]
    with pytest.raises(ValueError, match="not weight products"):
        quantize.quantize_onnx(fp32, tmp_path / "x.onnx", exclude=["/no/such/MatMul"])


def test_the_pytorch_fallback_keeps_the_broken_layer_float(micro_model):
    clean = quantize.torch_fallback(_sharp(micro_model("fbank", 20)), _examples(), 0.01, 3)
    assert clean.kept_float == [] and clean.kl < 0.01
    fb = quantize.torch_fallback(_break(_sharp(micro_model("fbank", 20))), _examples(), 0.01, 3)
    assert max(fb.alone, key=fb.alone.get) == BROKEN
    assert fb.kept_float == [BROKEN]
    assert fb.steps[0]["kl"] > 0.01 >= fb.kl
    with pytest.raises(ValueError, match="not Linear layers"):
        quantize.quantize_torch(micro_model("fbank", 20), skip=["encoder.no_such_layer"])


def test_the_onnxruntime_fallback_keeps_the_broken_node_float(micro_model, tmp_path):
    fp32 = _onnx(_break(_sharp(micro_model("fbank", 20))), tmp_path / "model.onnx")
    fb = quantize.onnx_fallback(fp32, _examples(), 0.01, 3)
    node = "/model/encoder/encoder/layers.1/attention/in_proj/MatMul"
    assert max(fb.alone, key=fb.alone.get) == node
    assert fb.kept_float == [node] and fb.steps[0]["kl"] > 0.01 >= fb.kl


def test_max_layers_bounds_the_fallback():
    calls = []

    def divergence(only, keep_float):
        calls.append((only, list(keep_float)))
        return 1.0  # nothing ever gets good enough
    fb = quantize.choose_fallback(["a", "b", "c"], divergence, 0.1, 2, "test")
    assert fb.kept_float == ["a", "b"] and len(fb.steps) == 3
