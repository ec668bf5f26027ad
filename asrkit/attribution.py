"""Which stretches of the input a model's output rests on: Grad-CAM, saliency and
integrated gradients, and a deletion test of whether they are right (stage 8's library).

::

    model = prepare(model)                                    # eval, input gradients on
    target = classifier_target(model, x, class_index, name)  # or ctc_target(...)
    layer = find_layer(model, "conv:-1")                      # last feature-encoder conv
    cam = grad_cam(target.score, x, layer)                    # [units] >= 0, on the input's time
    sal, ig = saliency(target.score, x), integrated_gradients(target.score, x, baseline_of(x))
    relevance = to_frames(cam, units_per_frame)               # 10 ms frames
    curve = deletion_curve(target.score, x, ranking(relevance, rng), FRACTIONS, baseline_of(x),
                           units_per_frame)
    aopc(curve)

``x`` is one utterance as the model reads it, ``[1, T]`` samples or ``[1, T, F]`` fbank
frames; a *unit* is one sample or one fbank frame, a *frame* 10 ms of input (160 samples
at 16 kHz, one fbank frame). Every method gives one relevance per unit, summed per frame.

**Targets** are scalar functions of the input batched along its first axis
(:class:`Target`): a classifier's logit, or for a CTC model the summed log-probability
of the greedy path's labels over the frames of one token, one word, or the whole path.

**Grad-CAM** (Selvaraju et al., 2017) on a named layer: its activations A ``[C, T']``
and their gradients, channel weights α_c = mean_t ∂score/∂A_c(t), the map
ReLU(Σ_c α_c A_c(t)) upsampled linearly from the layer's frames to the input's units.
Saliency (|∂score/∂x|) and integrated gradients (signed, from :func:`baseline_of`) come
from Captum.

**Deletion** (Samek et al., 2017): the frames an attribution ranks highest are replaced
by the baseline, a growing fraction at a time, and the target is scored again; the area
over that perturbation curve, AOPC = 1/(L+1) Σ_{k=0}^{L} (f(x) − f(x_k)), is larger the
faster the score falls. A random ranking is the yardstick: an attribution that does not
beat it says nothing about the model.

The baseline (what deleted frames become, where integrated gradients start) is noise at
the utterance's level: white noise at its RMS for waveforms, each bin's mean and sd for
fbank. Not silence or the mean frame: the models normalize each utterance (the first
conv's instance norm, the fbank encoder's utterance MVN), so along a path from a constant
input every point is the utterance rescaled, the model's output does not change until the
very start, and integrated gradients miss their sum by the whole score difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: Fractions of the frames deleted along the deletion curve (0 %, 5 %, ..., 50 %).
FRACTIONS = tuple(round(0.05 * k, 2) for k in range(11))
#: Seconds per frame: relevance is compared, deleted and drawn per 10 ms.
FRAME_SECONDS = 0.01

Score = Callable[[torch.Tensor], torch.Tensor]  # inputs [B, T(, F)] -> [B]


class ExplainError(ValueError):
    """An input or a request that cannot be explained; the message says which and why."""


class UnknownLayer(ExplainError):
    """A layer name the model does not have (the message lists the ones it has)."""


class TooShort(ExplainError):
    """An utterance too short to explain (named in the message)."""


# ------------------------------------------------------------------------------ the model


def prepare(model: nn.Module) -> nn.Module:
    """``model`` ready for attributions: eval mode, no weight gradients, and gradients
    through a frozen wav2vec 2.0 feature encoder (which otherwise runs without them)."""
    from asrkit.models.wav2vec2 import Wav2Vec2Model

    model.eval().requires_grad_(False)
    for module in model.modules():
        if isinstance(module, Wav2Vec2Model):
            module.feature_grad_mult = 1.0
    return model


@dataclass
class Layer:
    name: str  # the module's name in the model
    module: nn.Module
    channels_first: bool  # output [B, C, T] (a conv block) rather than [B, T, D]


def layers(model: nn.Module) -> dict[str, list[Layer]]:
    """The layers Grad-CAM can use, in data-flow order: ``conv`` (feature-encoder conv
    blocks, a Conformer's subsampling) and ``layer`` (Transformer / Conformer layers)."""
    from asrkit.models.conformer import ConformerBlock, Conv2dSubsampling
    from asrkit.models.frontend import ConvBlock
    from asrkit.models.wav2vec2 import EncoderLayer

    out: dict[str, list[Layer]] = {"conv": [], "layer": []}
    for name, module in model.named_modules():
        if isinstance(module, ConvBlock):
            out["conv"].append(Layer(name, module, True))
        elif isinstance(module, Conv2dSubsampling):
            out["conv"].append(Layer(name, module, False))
        elif isinstance(module, (EncoderLayer, ConformerBlock)):
            out["layer"].append(Layer(name, module, False))
    return out


def layer_names(model: nn.Module) -> list[str]:
    """Every name :func:`find_layer` accepts, short and full (for messages)."""
    names = []
    for kind, found in layers(model).items():
        names += [f"{kind}:{i} = {layer.name}" for i, layer in enumerate(found)]
    return names


def find_layer(model: nn.Module, name: str) -> Layer:
    """A layer by its module name or its short name ``conv:N`` / ``layer:N`` (N from 0;
    negative counts from the end, ``conv:-1`` is the last feature-encoder conv)."""
    found = layers(model)
    short = re.fullmatch(r"(conv|layer):(-?\d+)", name.strip())
    if short:
        candidates = found[short[1]]
        index = int(short[2])
        if -len(candidates) <= index < len(candidates):
            return candidates[index]
    for layer in found["conv"] + found["layer"]:
        if layer.name == name:
            return layer
    valid = layer_names(model)
    raise UnknownLayer(f"layer '{name}' does not exist in this {type(model).__name__}; valid layers: "
                       + ("; ".join(valid) if valid else "none (it has no conv or Transformer layer: "
                          "use saliency or integrated gradients)"))


# ---------------------------------------------------------------------------- targets


@dataclass
class Target:
    """What is explained: ``score(x) -> [B]``, and how the picture labels it."""

    description: str  # e.g. "logit of es" or "word 'hola' (frames 12-20)"
    score: Score
    value: float = 0.0  # the score of the unmasked input
    labels: list[tuple[str, float, float]] = field(default_factory=list)  # (text, start s, end s)
    highlight: tuple[float, float] | None = None  # the explained span, seconds


def _full_lengths(x: torch.Tensor) -> torch.Tensor:
    return torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)


def classifier_score(model: nn.Module, index: int) -> Score:
    """The logit of class ``index``."""
    return lambda x: model(x, _full_lengths(x)).logits[:, index].float()


def ctc_score(model: nn.Module, frames: Sequence[int], labels: Sequence[int]) -> Score:
    """Σ_i log p(labels[i] | frame frames[i]) of a CTC model's output."""
    t = torch.as_tensor(list(frames), dtype=torch.long)
    v = torch.as_tensor(list(labels), dtype=torch.long)
    return lambda x: model(x, _full_lengths(x)).log_probs[:, t.to(x.device), v.to(x.device)].sum(-1)


def classifier_target(model: nn.Module, x: torch.Tensor, index: int, classes: Sequence[str],
                      duration: float) -> Target:
    """The logit of ``classes[index]``; the picture shows the predicted class and its probability."""
    score = classifier_score(model, index)
    with torch.no_grad():
        logits = model(x, _full_lengths(x)).logits[0].float()
    probs = logits.softmax(-1)
    predicted = int(probs.argmax())
    label = f"predicted: {classes[predicted]} (p={float(probs[predicted]):.2f})"
    return Target(f"logit of {classes[index]}", score, float(logits[index]), [(label, 0.0, duration)])


def parse_ctc_target(spec: str) -> tuple[str, int]:
    """``word:K``, ``token:K`` (K from 0, negative from the end) or ``path``."""
    m = re.fullmatch(r"(word|token):(-?\d+)|(path)", spec.strip())
    if not m:
        raise ExplainError(f"--ctc-target {spec!r}: expected word:K, token:K (K counts from 0, "
                           "negative from the end) or path")
    return (m[1], int(m[2])) if m[1] else ("path", 0)


def ctc_target(model: nn.Module, tokenizer, x: torch.Tensor, spec: str, frame_shift: float,
               utt: str = "") -> Target:
    """A token, a word, or the whole greedy path of a CTC model's greedy hypothesis: the summed
    log-probability of the greedy path's labels (blanks included) over its frames.

    ``frame_shift``: seconds per output frame. Raises :class:`ExplainError` (naming ``utt``)
    when the hypothesis has no such token or word.
    """
    from asrkit.decoding.align import ctc_align, word_timings
    from asrkit.decoding.greedy import greedy_search

    kind, k = parse_ctc_target(spec)
    with torch.no_grad():
        out = model(x, _full_lengths(x))
    lp = out.log_probs[0, : int(out.lengths[0])].float()
    path = lp.argmax(-1).tolist()
    tokens = greedy_search(lp[None], torch.tensor([lp.shape[0]]), tokenizer.blank_id)[0][0]
    words = word_timings(lp, tokens, tokenizer, frame_shift) if tokens else []
    labels = [(w.word, w.start, w.end) for w in words]
    if kind == "path":
        first, last, what = 0, len(path) - 1, f"greedy path '{tokenizer.decode(tokens)}'"
    elif kind == "word":
        if not -len(words) <= k < len(words):
            raise ExplainError(f"{utt}: --ctc-target {spec}: the greedy hypothesis has {len(words)} "
                               f"word(s) ({' '.join(w.word for w in words) or 'empty'})")
        word = words[k]
        first, last = round(word.start / frame_shift), round(word.end / frame_shift) - 1
        what = f"word '{word.word}'"
    else:
        if not -len(tokens) <= k < len(tokens):
            raise ExplainError(f"{utt}: --ctc-target {spec}: the greedy hypothesis has "
                               f"{len(tokens)} token(s)")
        first, last = ctc_align(lp, tokens, tokenizer.blank_id)[k]
        what = f"token '{tokenizer.tokens[tokens[k]]}'"
    frames = list(range(first, last + 1))
    chosen = [path[t] for t in frames] if kind != "token" else [tokens[k]] * len(frames)
    value = float(lp[frames, chosen].sum())
    return Target(f"{what} (output frames {first}-{last})", ctc_score(model, frames, chosen), value,
                  labels, (first * frame_shift, (last + 1) * frame_shift))


# ---------------------------------------------------------------------------- methods


def baseline_of(x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Noise at the utterance's level, without its content: white noise at its RMS for a
    waveform ``[B, T]``, each bin's mean and sd over time for fbank ``[B, T, F]`` (seeded)."""
    generator = torch.Generator(device="cpu").manual_seed(seed)
    noise = torch.randn(x.shape, generator=generator, dtype=torch.float32).to(x.device, x.dtype)
    if x.dim() == 2:
        return noise * x.pow(2).mean(dim=1, keepdim=True).sqrt()
    return x.mean(dim=1, keepdim=True) + noise * x.std(dim=1, keepdim=True)


def _per_unit(attribution: torch.Tensor) -> np.ndarray:
    """``[1, T(, F)]`` -> ``[T]``: fbank bins summed."""
    a = attribution.detach()[0]
    return (a.sum(-1) if a.dim() == 2 else a).float().cpu().numpy()


def grad_cam(score: Score, x: torch.Tensor, layer: Layer) -> np.ndarray:
    """Grad-CAM of ``score`` on ``layer``, one value ≥ 0 per input unit ``[T]`` (module doc).

    A forward hook keeps the layer's output and hooks its gradient on the way back.
    """
    kept: dict[str, torch.Tensor] = {}

    def forward_hook(module, args, output):
        kept["activation"] = output
        output.register_hook(lambda grad: kept.__setitem__("gradient", grad))

    handle = layer.module.register_forward_hook(forward_hook)
    try:
        score(x.detach().clone().requires_grad_(True)).sum().backward()
    finally:
        handle.remove()
    if "gradient" not in kept:
        raise ExplainError(f"layer {layer.name} does not lead to the target (no gradient reaches it; "
                           "a classifier reading an earlier layer ignores the later ones): choose "
                           "an earlier layer")
    activation, gradient = kept["activation"].detach()[0], kept["gradient"][0]
    if not layer.channels_first:  # [T', D] -> [D, T']
        activation, gradient = activation.T, gradient.T
    weights = gradient.float().mean(dim=1, keepdim=True)  # α_c
    cam = F.relu((weights * activation.float()).sum(dim=0))  # [T']
    units = x.shape[1]
    return F.interpolate(cam[None, None], size=units, mode="linear", align_corners=False)[0, 0].cpu().numpy()


def _captum():
    try:
        import captum.attr
    except ImportError:
        raise ExplainError("saliency and integrated gradients come from Captum, which is not installed: "
                           "pip install captum (asrkit's 'explain' extra), or use --methods gradcam") from None
    return captum.attr


def saliency(score: Score, x: torch.Tensor) -> np.ndarray:
    """|∂score/∂x| per unit (Captum's Saliency; fbank bins summed)."""
    Saliency = _captum().Saliency
    inputs = x.detach().clone().requires_grad_(True)
    return _per_unit(Saliency(score).attribute(inputs, abs=True))


def integrated_gradients(score: Score, x: torch.Tensor, baseline: torch.Tensor, steps: int = 32,
                         internal_batch_size: int = 8) -> tuple[np.ndarray, float]:
    """Integrated gradients from ``baseline`` per unit (Captum; fbank bins summed), and the
    completeness error |Σ attributions − (f(x) − f(baseline))|."""
    IntegratedGradients = _captum().IntegratedGradients
    inputs = x.detach().clone().requires_grad_(True)
    attribution, delta = IntegratedGradients(score).attribute(
        inputs, baselines=baseline, n_steps=steps, internal_batch_size=internal_batch_size,
        return_convergence_delta=True)
    return _per_unit(attribution), float(delta.abs().max())


# ---------------------------------------------------------------------------- deletion


def to_frames(per_unit: np.ndarray, units_per_frame: int) -> np.ndarray:
    """Relevance per frame: the sum over each frame's units (the last frame may be short)."""
    return np.add.reduceat(np.asarray(per_unit, dtype=np.float64),
                           np.arange(0, len(per_unit), units_per_frame))


def ranking(relevance: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Frame indices, most relevant first; ties (e.g. Grad-CAM's zeros) in random order."""
    return np.lexsort((rng.random(len(relevance)), -np.asarray(relevance)))


def deletion_curve(score: Score, x: torch.Tensor, order: np.ndarray, fractions: Sequence[float],
                   baseline: torch.Tensor, units_per_frame: int, batch_size: int = 8) -> np.ndarray:
    """The score after replacing the first ⌊f · frames⌉ frames of ``order`` by ``baseline``,
    for each fraction f."""
    units = x.shape[1]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    unit_rank = torch.as_tensor(np.repeat(rank, units_per_frame)[:units], device=x.device)
    scores = []
    with torch.no_grad():
        for start in range(0, len(fractions), batch_size):
            part = fractions[start:start + batch_size]
            deleted = torch.stack([unit_rank < round(f * len(order)) for f in part])  # [b, T]
            if x.dim() == 3:
                deleted = deleted[..., None]
            masked = torch.where(deleted, baseline.expand(len(part), *x.shape[1:]),
                                 x.expand(len(part), *x.shape[1:]))
            scores.append(score(masked).float().cpu())
    return torch.cat(scores).numpy().astype(np.float64)


def aopc(curve: np.ndarray) -> float:
    """Area over the perturbation curve: the mean drop from the unmasked score (the curve's
    first point, deletion of 0 %), over every point of the curve."""
    curve = np.asarray(curve, dtype=np.float64)
    return float(np.mean(curve[0] - curve))


def check_length(utt: str, units: int, min_units: int, units_per_frame: int, unit: str,
                 units_per_second: float, steps: int = len(FRACTIONS) - 1) -> None:
    """Raise :class:`TooShort` naming ``utt`` when it gives the model no output frame, or
    fewer 10 ms frames than the deletion curve has steps."""
    need = max(min_units, steps * units_per_frame)
    if units < need:
        raise TooShort(f"{utt}: {units} {unit} ({units / units_per_second:.3f} s) is too short to explain: "
                       f"it needs at least {need} {unit} ({need / units_per_second:.3f} s), the larger of "
                       f"the model's receptive field ({min_units} {unit}) and the deletion test's {steps} "
                       f"steps of a 10 ms frame each ({steps * units_per_frame} {unit})")
