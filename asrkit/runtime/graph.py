"""The ONNX graph of a fine-tuned CTC model, and what a runtime needs next to it.

::

    meta = metadata(model, tokenizer, spec)             # strings, stored in the graph
    export_onnx(model, "export/model.onnx", meta)       # dynamic batch and time, opset 17
    write_tokens(tokenizer, "export/tokens.txt")        # "<token> <id>", blank at 0
    read_metadata("export/model.onnx")                  # -> dict

**The contract** is sherpa-onnx's for WeNet CTC models (``OfflineWenetCtcModel``), the one
of its offline CTC families whose input matches what asrkit's fbank models read:

- inputs ``x`` [N, T, C] float32 (fbank frames as Kaldi computes them from 16-bit sample
  values, or waveform samples [N, S] in [-1, 1]) and ``x_lens`` [N] int64;
- outputs ``log_probs`` [N, T', V] (log-softmax, blank = 0) and ``log_probs_len`` [N] int64;
- metadata (``metadata_props``) with ``vocab_size`` and ``subsampling_factor``, which
  sherpa-onnx reads, and ``model_type``, ``version``, ``model_author``, ``comment`` as
  sherpa-onnx's own export scripts write them. The feature normalization lives in the graph
  (per-utterance mean/variance for wav2vec 2.0 on fbank, the training set's CMVN for the
  Conformer), so the runtime feeds plain fbank: ``normalize_type`` is empty.

The other families do not fit: NeMo CTC makes sherpa-onnx compute librosa-style mel
features (Hann window, no DC removal, 0 Hz to Nyquist), not the Kaldi fbank the models were
trained on; zipformer CTC fixes the subsampling factor at 4 (wav2vec 2.0 on fbank has 2,
so its word times would be off by half); no offline CTC family takes batched raw samples
with lengths, so a waveform model's graph is for onnxruntime (``model_type``
``asrkit_ctc_waveform``).

The graph is traced (TorchScript exporter) from a padded batch of two utterances of
different lengths, so the traced path is the padding-aware one and any batch works.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from torch import nn

import asrkit
from asrkit.config import to_dict
from asrkit.inference import input_stride
from asrkit.model_input import InputSpec, input_type
from asrkit.models.ctc import CTCModel
from asrkit.models.wav2vec2 import Wav2Vec2Model
from asrkit.text.tokenizer import SP_WORD_START, Tokenizer

OPSET = 17
INPUTS = ("x", "x_lens")
OUTPUTS = ("log_probs", "log_probs_len")
#: ``model_type`` of graphs that follow sherpa-onnx's WeNet CTC contract (fbank input).
FBANK_MODEL_TYPE = "wenet_ctc"
WAVEFORM_MODEL_TYPE = "asrkit_ctc_waveform"


class ExportError(RuntimeError):
    """A model or file that cannot be exported or read back as an exported graph."""


class CTCGraph(nn.Module):
    """``(x, x_lens) -> (log_probs, log_probs_len)``: the function the graph computes."""

    def __init__(self, model: CTCModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, x_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model(x, x_lens)
        return out.log_probs, out.lengths


def normalization(model: CTCModel) -> str:
    """How the model normalizes its input, in words (inside the graph either way)."""
    encoder = model.encoder
    if not isinstance(encoder, Wav2Vec2Model):
        return "global CMVN of the training set (in the graph)"
    if encoder.cfg.frontend == "fbank":
        return "per-utterance mean and variance over the valid frames (in the graph)"
    if encoder.cfg.normalize_waveform:
        return "per-utterance waveform mean and variance (in the graph)"
    return "none"


def metadata(model: CTCModel, tokenizer: Tokenizer, spec: InputSpec) -> dict[str, str]:
    """The graph's ``metadata_props``: sherpa-onnx's keys, then what else a runtime needs
    to compute the input (sample rate, every fbank option) and read the output."""
    fbank = input_type(model) == "fbank"
    encoder = "wav2vec2" if isinstance(model.encoder, Wav2Vec2Model) else "conformer"
    frontend = "fbank" if fbank else "waveform"
    layout = "x [N, T, C] fbank frames" if fbank else "x [N, S] samples in [-1, 1]"
    return {
        "model_type": FBANK_MODEL_TYPE if fbank else WAVEFORM_MODEL_TYPE,
        "version": "1",
        "model_author": "asrkit",
        "comment": f"asrkit CTC ({encoder}, {frontend} front end); {layout}, x_lens [N]; "
                   "log_probs [N, T', V] (blank 0), log_probs_len [N]",
        "vocab_size": str(tokenizer.vocab_size),
        "subsampling_factor": str(input_stride(model)),  # input frames (samples) per output frame
        "sample_rate": str(spec.sample_rate),
        "frontend": frontend,
        "encoder": encoder,
        "feature": json.dumps(to_dict(spec), sort_keys=True),
        "feature_dim": str(spec.fbank.num_mel_bins if fbank else 1),
        "min_input_length": str(model.min_input_length),  # shorter inputs give no frame: pad them
        "normalization": normalization(model),
        "normalize_type": "",  # sherpa-onnx (NeMo key): the runtime does not normalize
        "blank_id": str(tokenizer.blank_id),
        "tokenizer": tokenizer.kind,
        "word_delimiter": tokenizer.word_delimiter or "",
        "asrkit_version": asrkit.__version__,
    }


def example_inputs(model: CTCModel, frontend: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Two utterances of different lengths (the padded path is the one traced)."""
    n = max(4 * model.min_input_length, 16000 if frontend == "waveform" else 200)
    g = torch.Generator().manual_seed(0)
    shape = (2, n) if frontend == "waveform" else (2, n, model.encoder.cfg.n_mels
                                                   if isinstance(model.encoder, Wav2Vec2Model)
                                                   else model.encoder.cfg.input_dim)
    return torch.randn(*shape, generator=g), torch.tensor([n, n - n // 4])


def export_onnx(model: CTCModel, path: str | Path, meta: dict[str, str], opset: int = OPSET) -> Path:
    """Write ``model``'s graph to ``path`` with dynamic batch and time axes and ``meta`` as
    its metadata; returns the path."""
    if opset < 17:
        raise ExportError(f"opset {opset}: the graph needs opset 17 or later (LayerNormalization)")
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    graph = CTCGraph(model).eval()
    frontend = "fbank" if meta["frontend"] == "fbank" else "waveform"
    x, x_lens = example_inputs(model, frontend)
    axes = {"x": {0: "N", 1: "T"}, "x_lens": {0: "N"},
            "log_probs": {0: "N", 1: "T_out"}, "log_probs_len": {0: "N"}}
    tmp = path.with_name(f".{path.name}.tmp")
    with torch.no_grad(), warnings.catch_warnings():
        # the tracer warns about every Python value it records (lengths checks, shapes)
        warnings.simplefilter("ignore")
        torch.onnx.export(graph, (x, x_lens), str(tmp), dynamo=False, opset_version=opset,
                          input_names=list(INPUTS), output_names=list(OUTPUTS),
                          dynamic_axes=axes, do_constant_folding=True)
    proto = onnx.load(str(tmp))
    _inline_initializer_identities(proto)
    set_metadata(proto, meta)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(tmp))
    tmp.replace(path)
    return path


def _inline_initializer_identities(proto) -> None:
    """Point the users of ``Identity(initializer)`` at the initializer itself.

    The exporter shares equal weights (e.g. LayerNorm weights still at their initial ones)
    through Identity nodes, and onnxruntime's graph optimizer (1.32) then rejects the graph
    ("Node input ... is not a graph input, initializer, or output of a previous node")."""
    g = proto.graph
    initializers = {t.name for t in g.initializer}
    outputs = {o.name for o in g.output}
    alias, keep = {}, []
    for node in g.node:
        if node.op_type == "Identity" and node.input[0] in initializers and node.output[0] not in outputs:
            alias[node.output[0]] = node.input[0]
        else:
            keep.append(node)
    for node in keep:
        for i, name in enumerate(node.input):
            if name in alias:
                node.input[i] = alias[name]
    del g.node[:]
    g.node.extend(keep)


def set_metadata(proto, meta: dict[str, str]) -> None:
    """Replace the model's ``metadata_props`` by ``meta``."""
    del proto.metadata_props[:]
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, str(value)


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``metadata_props`` of the ONNX model at ``path``."""
    import onnx

    path = Path(path)
    if not path.is_file():
        raise ExportError(f"{path}: no such ONNX model")
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # noqa: BLE001 - any parse failure means the same to the user
        raise ExportError(f"{path}: not an ONNX model ({type(e).__name__}: {e})") from None
    return {p.key: p.value for p in proto.metadata_props}


def token_symbols(tokenizer: Tokenizer) -> list[str]:
    """The tokens as sherpa-onnx spells them: a character vocabulary's word delimiter ``|``
    becomes SentencePiece's ``▁``, which sherpa-onnx turns into a space between words."""
    delimiter = tokenizer.word_delimiter_id
    return [SP_WORD_START if i == delimiter else t for i, t in enumerate(tokenizer.tokens)]


def write_tokens(tokenizer: Tokenizer, path: str | Path) -> Path:
    """``tokens.txt`` as sherpa-onnx reads it: ``<token> <id>`` per line, blank at 0."""
    symbols = token_symbols(tokenizer)
    bad = [s for s in symbols if not s or any(ch.isspace() for ch in s)]
    if bad:
        raise ExportError(f"tokens {bad[:5]} hold white space; tokens.txt cannot list them")
    if tokenizer.blank_id != 0:
        raise ExportError(f"the blank is token {tokenizer.blank_id}; CTC runtimes expect it at 0")
    path = Path(path)
    path.write_text("".join(f"{s} {i}\n" for i, s in enumerate(symbols)), encoding="utf-8")
    return path
