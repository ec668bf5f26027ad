"""Fine-tuning logs how many RVQ codes were replaced (a count over the interval)."""

from __future__ import annotations

import torch

from asrkit import finetune
from asrkit.models.ctc import CTCConfig, CTCModel
from asrkit.models.rvq import RVQConfig
from asrkit.models.wav2vec2 import config_for
from asrkit.text.tokenizer import build_tokenizer
from asrkit.train.datasets import Batch

MICRO = {"encoder_layers": 1, "encoder_dim": 64, "encoder_ffn_dim": 128, "encoder_heads": 2,
         "mask_time_prob": 0.3, "mask_time_length": 2}


def test_a_ctc_step_reports_replaced_rvq_codes_as_a_total(tmp_path):
    torch.manual_seed(0)
    tok = build_tokenizer("char", {"a": "abc de", "b": "edc ba"}, tmp_path)
    cfg = finetune.FinetuneConfig()
    cfg.model.rvq = RVQConfig(num_levels=2, codebook_size=64, dead_code_window=1)
    model = CTCModel(CTCConfig(tok.vocab_size, "wav2vec2", wav2vec2=config_for("tiny", MICRO),
                               rvq=cfg.model.rvq))
    task = finetune.CTCTask(model, cfg, tok)
    gen = torch.Generator().manual_seed(0)
    batch = Batch(["u1", "u2"], torch.randn(2, 8000, generator=gen), torch.tensor([8000, 6000]),
                  torch.tensor([[1, 2, 3], [2, 3, -1]]), torch.tensor([3, 2]))
    task.step(batch, 0)  # the codebooks start from this batch's ~40 frames: most codes unused
    out = task.step(batch, 1)
    assert out.kind("rvq_replaced") == "total"
    assert out.logs["rvq_replaced"].item() > 0
    model.eval()
    assert "rvq_replaced" not in task.step(batch, 2).logs
