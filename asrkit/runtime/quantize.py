"""INT8 dynamic quantization of a CTC model's Linear (MatMul) weights, in PyTorch and in
onnxruntime, with a per-layer fallback to float.

Dynamic quantization stores each weight matrix as int8 with one scale (per tensor) and
quantizes activations on the fly, per batch; convolutions, norms and the attention's own
products stay float. Both runtimes quantize the same layers::

    qmodel, layers = quantize_torch(model, skip=["head"])          # torch.ao quantize_dynamic
    save_torch_int8(qmodel, layers, "export/model.int8.pt", tokenizer_info)
    model = load_torch_int8("export/model.int8.pt")
    quantize_onnx("model.onnx", "model.int8.onnx", exclude=[node names])   # onnxruntime

**Fallback.** A layer whose quantization costs accuracy stays float: on a few dev
utterances each layer is quantized alone and its effect measured as the mean KL divergence
per frame of the quantized model's CTC posteriors from the float model's; then, worst layer
first, layers are kept float until the fully quantized model's divergence is within
``tolerance`` (or ``max_layers`` are float). :class:`Fallback` records every number.
"""

from __future__ import annotations

import copy
import logging
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from asrkit.checkpoint import load as read_checkpoint
from asrkit.checkpoint import save_atomic
from asrkit.config import to_dict
from asrkit.models.ctc import CTCModel, config_from_dict
from asrkit.runtime.graph import ExportError

log = logging.getLogger(__name__)

KIND = "ctc_int8"  # checkpoint kind of a PyTorch INT8 model (load_torch_int8)
ONNX_OPS = ("MatMul", "Gemm")  # the ops onnxruntime quantizes: products with a weight matrix

#: One input: (inputs [1, T(, F)], lengths [1]).
Example = tuple[torch.Tensor, torch.Tensor]


# --------------------------------------------------------------------------- PyTorch


def linear_layers(model: nn.Module) -> list[str]:
    """Names of the ``nn.Linear`` modules, in model order: what INT8 quantizes."""
    return [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]


def quantize_torch(model: CTCModel, skip: Sequence[str] = ()) -> tuple[CTCModel, list[str]]:
    """A copy of ``model`` with every Linear but those in ``skip`` quantized to int8
    (``torch.ao.quantization.quantize_dynamic``, per-tensor weights); and the quantized names."""
    unknown = sorted(set(skip) - set(linear_layers(model)))
    if unknown:
        raise ValueError(f"layers {unknown} to keep in float are not Linear layers of the model; "
                         f"the Linear layers: {', '.join(linear_layers(model))}")
    names = [n for n in linear_layers(model) if n not in set(skip)]
    qconfig = torch.ao.quantization.default_dynamic_qconfig
    with warnings.catch_warnings():  # torch.ao's eager-mode quantization warns it is deprecated
        warnings.simplefilter("ignore")
        quantized = torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(model).eval(), {n: qconfig for n in names}, dtype=torch.qint8)
    return quantized, names


def _owner(key: str) -> str:
    """The module a state-dict key belongs to (``a.b._packed_params._packed_params`` -> ``a.b``)."""
    return key.split("._packed_params.")[0] if "._packed_params." in key else key.rsplit(".", 1)[0]


def _dynamic_linears(model: nn.Module) -> dict[str, nn.Module]:
    cls = torch.ao.nn.quantized.dynamic.Linear
    return {name: m for name, m in model.named_modules() if isinstance(m, cls)}


def save_torch_int8(model: CTCModel, quantized: list[str], path: str | Path, **extra: Any) -> Path:
    """Write a :func:`quantize_torch` model as plain tensors (int8 weights with their scale
    and zero point), so it loads with ``torch.load(weights_only=True)``."""
    layers = _dynamic_linears(model)
    state: dict[str, torch.Tensor] = {}
    for key, value in model.state_dict().items():
        if _owner(key) not in layers:
            state[key] = value
    for name in quantized:
        weight, bias = layers[name].weight(), layers[name].bias()
        state[f"{name}.weight_int8"] = weight.int_repr()
        state[f"{name}.weight_scale"] = torch.tensor(weight.q_scale(), dtype=torch.float64)
        state[f"{name}.weight_zero_point"] = torch.tensor(weight.q_zero_point())
        if bias is not None:
            state[f"{name}.bias"] = bias.detach().clone()
    ckpt = {"kind": KIND, "model": state, "model_config": to_dict(model.cfg), "quantized": list(quantized)}
    ckpt.update(extra)
    return save_atomic(ckpt, path)


def load_torch_int8(path: str | Path) -> CTCModel:
    """The INT8 model :func:`save_torch_int8` wrote (eval mode, CPU)."""
    ckpt = read_checkpoint(path)
    if not isinstance(ckpt, dict) or ckpt.get("kind") != KIND:
        raise ExportError(f"{path}: not a PyTorch INT8 model written by asrkit-export (kind {KIND!r})")
    model = CTCModel(config_from_dict(ckpt["model_config"])).eval()
    quantized, _ = quantize_torch(model, skip=[n for n in linear_layers(model) if n not in ckpt["quantized"]])
    layers = _dynamic_linears(quantized)
    state = dict(ckpt["model"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, module in layers.items():
            q = state.pop(f"{name}.weight_int8")
            scale = float(state.pop(f"{name}.weight_scale"))
            zero_point = int(state.pop(f"{name}.weight_zero_point"))
            weight = torch.quantize_per_tensor((q.float() - zero_point) * scale, scale, zero_point, torch.qint8)
            module.set_weight_bias(weight, state.pop(f"{name}.bias", None))
    float_part = [k for k in quantized.state_dict() if _owner(k) not in layers]
    missing = [k for k in float_part if k not in state]
    unexpected = [k for k in state if k not in float_part]
    if missing or unexpected:
        raise ExportError(f"{path}: weights do not fit its model_config: missing {missing[:8]}, "
                          f"unexpected {unexpected[:8]}; export the model again")
    full = quantized.state_dict()  # keeps its _metadata (module versions), which loading reads
    full.update(state)  # the int8 layers keep what set_weight_bias gave them
    quantized.load_state_dict(full)
    return quantized


# ----------------------------------------------------------------------- onnxruntime


def onnx_weight_nodes(path: str | Path) -> list[str]:
    """Names of the graph's MatMul/Gemm nodes with a constant weight: what INT8 quantizes."""
    import onnx

    proto = onnx.load(str(path))
    constants = {t.name for t in proto.graph.initializer}
    return [n.name for n in proto.graph.node
            if n.op_type in ONNX_OPS and any(i in constants for i in n.input[1:2])]


def quantize_onnx(src: str | Path, dst: str | Path, exclude: Sequence[str] = (),
                  only: Sequence[str] | None = None) -> Path:
    """``onnxruntime.quantization.quantize_dynamic`` of ``src``'s weight products (int8
    weights, per tensor) into ``dst``, except the nodes in ``exclude`` (or only ``only``)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    known = set(onnx_weight_nodes(src))
    unknown = sorted(set(exclude) - known)
    if unknown:
        raise ValueError(f"nodes {unknown} to keep in float are not weight products of {src}")
    dst = Path(dst)
    tmp = dst.with_name(f".{dst.name}.tmp")
    logging.disable(logging.WARNING)  # it logs every tensor it leaves alone on the root logger
    try:
        quantize_dynamic(str(src), str(tmp), weight_type=QuantType.QInt8, per_channel=False,
                         op_types_to_quantize=list(ONNX_OPS), nodes_to_exclude=list(exclude),
                         nodes_to_quantize=list(only) if only is not None else None,
                         extra_options={"MatMulConstBOnly": True})
    finally:
        logging.disable(logging.NOTSET)
    tmp.replace(dst)
    return dst


# -------------------------------------------------------------------------- fallback


def frame_divergence(reference: Sequence[torch.Tensor], candidate: Sequence[torch.Tensor]) -> dict[str, float]:
    """Mean KL(p_ref ‖ p_cand) per frame (nats) and the largest |Δ log p| of the
    reference's best token, over utterances' log-probs [T, V]."""
    kl, frames, worst = 0.0, 0, 0.0
    for ref, cand in zip(reference, candidate):
        kl += float(F.kl_div(cand, ref, log_target=True, reduction="sum"))
        frames += ref.shape[0]
        best = ref.argmax(-1, keepdim=True)
        worst = max(worst, float((ref.gather(-1, best) - cand.gather(-1, best)).abs().max()))
    return {"kl": kl / max(frames, 1), "max_abs_best": worst}


@dataclass
class Fallback:
    """What the per-layer fallback measured and chose (all divergences in nats per frame)."""

    runtime: str
    tolerance: float
    max_layers: int
    alone: dict[str, float] = field(default_factory=dict)  # each layer quantized alone
    steps: list[dict] = field(default_factory=list)  # [{"float": [...], "kl": x}] in order
    kept_float: list[str] = field(default_factory=list)
    kl: float = 0.0  # the chosen model's

    def to_json(self) -> dict:
        return asdict(self)


def choose_fallback(layers: Sequence[str], divergence: Callable[[Sequence[str] | None, Sequence[str]], float],
                    tolerance: float, max_layers: int, runtime: str, progress: Callable | None = None
                    ) -> Fallback:
    """``divergence(only, keep_float)``: the KL of a model with only ``only`` (None: all)
    quantized, less ``keep_float``. Each layer alone, then the worst kept float one at a
    time until the KL is at most ``tolerance`` or ``max_layers`` are float."""
    result = Fallback(runtime, tolerance, max_layers)
    items = progress(layers) if progress else layers
    for layer in items:
        result.alone[layer] = divergence([layer], [])
    order = sorted(layers, key=lambda name: -result.alone[name])
    kept: list[str] = []
    kl = divergence(None, kept)
    result.steps.append({"float": [], "kl": kl})
    while kl > tolerance and len(kept) < min(max_layers, len(order)):
        kept.append(order[len(kept)])
        kl = divergence(None, kept)
        result.steps.append({"float": list(kept), "kl": kl})
    result.kept_float, result.kl = kept, kl
    log.info("%s INT8: %d of %d layers kept float (%s); KL %.4g nats/frame (tolerance %.4g)",
             runtime, len(kept), len(layers), ", ".join(kept) or "none", kl, tolerance)
    return result


def torch_fallback(model: CTCModel, examples: Sequence[Example], tolerance: float, max_layers: int,
                   progress: Callable | None = None) -> Fallback:
    """:func:`choose_fallback` over ``model``'s Linear layers in PyTorch."""
    reference = [_torch_log_probs(model, x, n) for x, n in examples]
    layers = linear_layers(model)

    def divergence(only, keep_float):
        skip = set(keep_float) | (set(layers) - set(only) if only is not None else set())
        q, _ = quantize_torch(model, sorted(skip))
        return frame_divergence(reference, [_torch_log_probs(q, x, n) for x, n in examples])["kl"]

    return choose_fallback(layers, divergence, tolerance, max_layers, "pytorch", progress)


def onnx_fallback(graph: str | Path, examples: Sequence[Example], tolerance: float, max_layers: int,
                  threads: int = 1, progress: Callable | None = None) -> Fallback:
    """:func:`choose_fallback` over the graph's weight products in onnxruntime."""
    from asrkit.runtime.ort import OrtCTC

    reference = [_ort_log_probs(OrtCTC(graph, threads), x, n) for x, n in examples]
    nodes = onnx_weight_nodes(graph)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "candidate.onnx"

        def divergence(only, keep_float):
            quantize_onnx(graph, target, exclude=keep_float, only=only)
            ctc = OrtCTC(target, threads)
            return frame_divergence(reference, [_ort_log_probs(ctc, x, n) for x, n in examples])["kl"]

        return choose_fallback(nodes, divergence, tolerance, max_layers, "onnxruntime", progress)


@torch.inference_mode()
def _torch_log_probs(model: CTCModel, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    out = model(inputs, lengths)
    return out.log_probs[0, : int(out.lengths[0])].float()


def _ort_log_probs(ctc, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    log_probs, out_lengths = ctc(inputs, lengths)
    return log_probs[0, : int(out_lengths[0])]
