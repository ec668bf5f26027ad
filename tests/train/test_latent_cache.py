"""The frozen front end's cache: exact latents, same training step, memory budget."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from asrkit.finetune import CTCTask, FinetuneConfig
from asrkit.models.ctc import CTCConfig, CTCModel
from asrkit.models.wav2vec2 import Wav2Vec2Config
from asrkit.text.tokenizer import BLANK, UNK, WORD_DELIMITER, CharTokenizer
from asrkit.train.datasets import TARGET_PAD, Batch
from asrkit.train.latent_cache import LatentCache

LETTERS = list("abcdefgh")


def micro(frontend: str) -> Wav2Vec2Config:
    return Wav2Vec2Config(
        conv_layers=[(32, 10, 5), (32, 3, 2), (32, 3, 2)], fbank_conv_layers=[(32, 3, 1), (32, 3, 2)],
        encoder_dim=32, encoder_layers=2, encoder_heads=4, encoder_ffn_dim=64, pos_conv_kernel=16,
        pos_conv_groups=4, num_codevector_groups=2, num_codevectors_per_group=8, codevector_dim=16,
        final_dim=12, layerdrop=0.0, frontend=frontend, n_mels=20,
        mask_time_prob=0.3, mask_time_length=3, mask_channel_prob=0.2, mask_channel_length=4,
    )


def batch_of(ids: list[str], lengths: list[int], frontend: str, seed: int = 0) -> Batch:
    """Inputs that depend only on the utterance id, as a dataset's would."""
    items = []
    for utt, n in zip(ids, lengths):
        gen = torch.Generator().manual_seed(int(utt[1:]) + seed)
        items.append(torch.randn(n, 20, generator=gen) if frontend == "fbank" else torch.randn(n, generator=gen))
    longest = max(lengths)
    shape = (len(ids), longest, 20) if frontend == "fbank" else (len(ids), longest)
    inputs = torch.zeros(shape)
    for i, x in enumerate(items):
        inputs[i, : len(x)] = x
    targets = torch.full((len(ids), 4), TARGET_PAD, dtype=torch.long)
    target_lengths = torch.tensor([3] * len(ids))
    targets[:, :3] = torch.tensor([3, 4, 5])
    return Batch(ids, inputs, torch.tensor(lengths), targets, target_lengths)


def task_for(frontend: str, cache_mb: float) -> CTCTask:
    torch.manual_seed(0)
    model = CTCModel(CTCConfig(3 + len(LETTERS), "wav2vec2", wav2vec2=micro(frontend)))
    model.encoder.freeze_feature_encoder()
    cfg = FinetuneConfig()
    cfg.finetune = dataclasses.replace(cfg.finetune, latent_cache_mb=cache_mb)
    return CTCTask(model, cfg, CharTokenizer([BLANK, UNK, WORD_DELIMITER, *LETTERS]))


SIZES = {"waveform": [3200, 2400, 2900], "fbank": [60, 41, 52]}


@pytest.mark.parametrize("frontend", ["waveform", "fbank"])
def test_cached_latents_equal_the_feature_encoders_whatever_batch_an_utterance_was_first_seen_in(frontend):
    task = task_for(frontend, cache_mb=64)
    encoder = task.model.encoder
    n = SIZES[frontend]
    first = batch_of(["u1", "u2", "u3"], n, frontend)
    task.latents(task.model, first)  # fills the cache from a padded batch of three
    assert sorted(task.latent_caches["train"].store) == ["u1", "u2", "u3"]
    # u2 now with another neighbour, padded differently, served from the cache
    again = batch_of(["u4", "u2"], [n[0] + 160 if frontend == "waveform" else n[0] + 3, n[1]], frontend)
    z = task.latents(task.model, again)
    with torch.no_grad():
        alone = encoder.latents(again.inputs[1:2, : n[1]], again.lengths[1:2])
        direct = encoder.latents(again.inputs, again.lengths)
    frames = int(encoder.output_lengths(torch.tensor([n[1]]))[0])
    assert z.shape == direct.shape
    torch.testing.assert_close(z[1, :, :frames], alone[0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(z[0], direct[0], rtol=1e-5, atol=1e-5)
    assert z[1, :, frames:].abs().sum() == 0  # padding is zero
    cache = task.latent_caches["train"]
    assert (cache.hits, cache.misses) == (1, 4)
    assert "latent cache (train): 4 utterances" in cache.summary()


@pytest.mark.parametrize("frontend", ["waveform", "fbank"])
def test_a_training_step_from_the_cache_gives_the_loss_and_gradients_of_one_without(frontend):
    batch = batch_of(["u1", "u2", "u3"], SIZES[frontend], frontend)
    results = []
    for mb in (0, 64):
        task = task_for(frontend, cache_mb=mb)
        task.model.train()
        if mb:
            task.latents(task.model, batch_of(["u3", "u1", "u2"], [SIZES[frontend][i] for i in (2, 0, 1)],
                                                frontend))  # warm, in another order
        torch.manual_seed(123)  # same masks and dropout
        out = task.step(batch, num_updates=10)
        out.loss.backward()
        grads = {k: p.grad.clone() for k, p in task.model.named_parameters() if p.grad is not None}
        results.append((float(out.loss.detach()), grads))
    (loss0, grads0), (loss1, grads1) = results
    assert loss0 == pytest.approx(loss1, rel=1e-5)
    assert grads0.keys() == grads1.keys() and not any("feature_encoder" in k for k in grads0)
    for k in grads0:
        torch.testing.assert_close(grads0[k], grads1[k], rtol=1e-4, atol=1e-5)


def test_a_full_cache_computes_the_rest_and_an_unfrozen_feature_encoder_is_never_cached():
    task = task_for("waveform", cache_mb=0.03)  # ~31 kB: room for one utterance's latents (~20 kB)
    batch = batch_of(["u1", "u2", "u3"], SIZES["waveform"], "waveform")
    z = task.latents(task.model, batch)
    with torch.no_grad():
        direct = task.model.encoder.latents(batch.inputs, batch.lengths)
    torch.testing.assert_close(z, direct)
    cache = task.latent_caches["train"]
    assert 0 < len(cache.store) < 3 and cache.bytes <= cache.max_bytes

    unfrozen = CTCModel(CTCConfig(3 + len(LETTERS), "wav2vec2", wav2vec2=micro("waveform")))
    assert not LatentCache.applies_to(unfrozen.encoder)
    task.model = unfrozen
    assert task.latents(unfrozen, batch) is None


def test_validation_uses_its_own_cache():
    task = task_for("waveform", cache_mb=64)
    batch = batch_of(["u1", "u2"], SIZES["waveform"][:2], "waveform")
    task.model.eval()
    task.latents(task.model, batch)
    task.model.train()
    assert "u1" not in task.latent_caches.get("train", LatentCache(1)).store
    assert sorted(task.latent_caches["valid"].store) == ["u1", "u2"]
