"""BL-JUST's model (METHODS.md §4): one wav2vec 2.0 encoder shared by two heads.

::

    θ  the encoder (feature encoder, projection, Transformer)   self.ctc.encoder (= self.ssl.wav2vec2)
    ψ  the self-supervised head: quantizer, project_q,          self.ssl (+ the encoder's mask_emb)
       final_proj, the mask embedding
    φ  the CTC head (and the RVQ, when present)                  self.ctc.head, self.ctc.rvq

    unlabeled ─ θ ─ ψ ─▶ L_SSL        labeled ─ θ ─ φ ─▶ L_CTC

One forward computes both losses of a joint update, and one backward of
``L_CTC + L_SSL`` gives every part its own gradient:

* in the SSL pass θ's parameters enter through a gradient multiplier γ
  (:class:`~asrkit.models.ops.GradMultiply`, identity forward): θ receives
  ``∇θ L_CTC + γ·∇θ L_SSL`` while ψ, downstream of them, receives ``∇ψ L_SSL`` unscaled;
* φ is only on the CTC path, so it receives ``∇φ L_CTC``;
* the CTC pass masks frames with the mask embedding's value but not its gradient, so ψ never
  receives a CTC gradient.

The encoder is registered under both heads (tied weights: ``ctc.encoder.*`` and
``ssl.wav2vec2.*`` in a state dict are one tensor, stored once by ``torch.save``). Each pass
masks as its method does: the SSL pass with pretraining's masks (``ssl_config``), the CTC
pass with fine-tuning's (the CTC config's encoder). :meth:`ctc_model` is a plain
:class:`~asrkit.models.ctc.CTCModel`, what stage 4 would have written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.func import functional_call

from asrkit.config import from_dict, to_dict
from asrkit.models import register
from asrkit.models.ctc import CTCConfig, CTCModel, CTCOutput, config_from_dict
from asrkit.models.objectives import PreTrainingLossConfig
from asrkit.models.ops import GradMultiply
from asrkit.models.wav2vec2 import PreTrainingOutput, Wav2Vec2Config, Wav2Vec2ForPreTraining

KIND = "bljust"
MASK_EMB = "mask_emb"  # the encoder's parameter that belongs to ψ


class BLJustModel(nn.Module):
    def __init__(self, ctc_cfg: CTCConfig, ssl_cfg: Wav2Vec2Config,
                 loss_cfg: PreTrainingLossConfig | None = None) -> None:
        super().__init__()
        if ctc_cfg.encoder != "wav2vec2" or ctc_cfg.wav2vec2 is None:
            raise ValueError("BL-JUST shares a wav2vec 2.0 encoder between its heads")
        self.ctc = CTCModel(ctc_cfg)
        self.ssl = Wav2Vec2ForPreTraining(ssl_cfg, loss_cfg)
        self.ssl.wav2vec2 = self.ctc.encoder  # θ, tied
        self.cfg = {"ctc": ctc_cfg, "ssl": ssl_cfg, "loss": self.ssl.loss_cfg}

    @property
    def encoder(self) -> nn.Module:
        """θ (what ``asrkit.models.pretrained.encoder_of`` takes from a BL-JUST checkpoint)."""
        return self.ctc.encoder

    def parts(self) -> dict[str, list[str]]:
        """Parameter names (as ``named_parameters`` gives them) of θ, ψ and φ."""
        theta = [f"ctc.encoder.{n}" for n, _ in self.ctc.encoder.named_parameters() if n != MASK_EMB]
        psi = [f"ctc.encoder.{MASK_EMB}"] + [f"ssl.{n}" for n, _ in self.ssl.named_parameters(
            remove_duplicate=False) if not n.startswith("wav2vec2.")]
        phi = [f"ctc.{n}" for n, _ in self.ctc.named_parameters() if not n.startswith("encoder.")]
        return {"theta": theta, "psi": psi, "phi": phi}

    def set_num_updates(self, num_updates: int) -> None:
        self.ssl.set_num_updates(num_updates)

    @contextlib.contextmanager
    def _masking(self, cfg: Wav2Vec2Config) -> Iterator[None]:
        """The encoder masks with ``cfg``'s settings (its weights and dropouts are shared)."""
        encoder = self.ctc.encoder
        saved, encoder.cfg = encoder.cfg, cfg
        try:
            yield
        finally:
            encoder.cfg = saved

    def ssl_loss(self, inputs: torch.Tensor, lengths: torch.Tensor,
                 gamma: float | None = None) -> PreTrainingOutput:
        """L_SSL of an unlabeled batch; with ``gamma``, θ's share of its gradient is scaled."""
        with self._masking(self.ssl.cfg):
            if gamma is None:
                return self.ssl(inputs, lengths)
            scaled = {f"wav2vec2.{n}": GradMultiply.apply(p, gamma)
                      for n, p in self.ctc.encoder.named_parameters()
                      if n != MASK_EMB and p.requires_grad}
            return functional_call(self.ssl, scaled, (inputs, lengths), strict=False)

    def ctc_forward(self, inputs: torch.Tensor, lengths: torch.Tensor, mask: bool = False,
                    z: torch.Tensor | None = None) -> CTCOutput:
        """The CTC head's log-probabilities; masked frames take the mask embedding's value
        without passing it a gradient (it is ψ's)."""
        if not (mask and torch.is_grad_enabled()):
            return self.ctc(inputs, lengths, mask=mask, z=z)
        frozen = {f"encoder.{MASK_EMB}": self.ctc.encoder.mask_emb.detach()}
        return functional_call(self.ctc, frozen, (inputs, lengths), {"mask": mask, "z": z}, strict=False)

    def forward(self, unlabeled: tuple[torch.Tensor, torch.Tensor] | None = None,
                labeled: tuple[torch.Tensor, torch.Tensor] | None = None, gamma: float | None = None,
                mask: bool = True) -> tuple[PreTrainingOutput | None, CTCOutput | None]:
        """Both passes of an update in one call (DDP sees one forward): ``unlabeled`` and
        ``labeled`` are ``(inputs, lengths)``; ``gamma`` scales θ's SSL gradient (None: 1, the
        exploration phase); ``mask``: the CTC pass's fine-tuning masks."""
        ssl = self.ssl_loss(*unlabeled, gamma=gamma) if unlabeled is not None else None
        ctc = self.ctc_forward(*labeled, mask=mask) if labeled is not None else None
        return ssl, ctc

    def ctc_model(self) -> CTCModel:
        """The CTC model alone (θ + φ), as a fine-tuning stage leaves it."""
        return self.ctc


def model_config(model: BLJustModel) -> dict[str, Any]:
    """What a checkpoint stores to rebuild ``model``."""
    return {name: to_dict(value) for name, value in model.cfg.items()}


@register(KIND)
def _build(ckpt: dict[str, Any]) -> nn.Module:
    cfg = ckpt["model_config"]
    return BLJustModel(config_from_dict(cfg["ctc"]), from_dict(Wav2Vec2Config, cfg["ssl"]),
                       from_dict(PreTrainingLossConfig, cfg["loss"]))
