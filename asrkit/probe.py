"""asrkit-probe: how much each layer of a frozen wav2vec 2.0 encoder knows about characters.

::

    asrkit-probe --init exp/pretraining/x/ssl_tiny/checkpoint_best.pt \\
        --train-data dump/fbank/train_10min --valid-data dump/fbank/dev --out exp/probe_x

A linear CTC probe, ``log softmax(W h_l + b)`` over the characters of the training text, is
trained on each hidden state h_0 (the Transformer's input) … h_L (the last layer, after the
final LayerNorm) of the frozen encoder, and scored by greedy CER on the dev set. The same
architecture with random weights (seeded) is probed alongside: the gap between the two is
what pretraining put into the representations, apart from how fine-tuning then uses them.
A probe that reads random features also shows how much a linear layer gets from the
front end's frames alone.

Writes ``probe.json`` (dev CER per encoder and layer, the settings), ``probe.md`` and
``probe.png`` into ``--out``. The probe sees dev only; it picks nothing that a test score
would report.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from asrkit.cli import run_cli
from asrkit.decoding.greedy import greedy_search
from asrkit.models.pretrained import load_encoder
from asrkit.models.wav2vec2 import Wav2Vec2Model
from asrkit.plots import plot_probe
from asrkit.progress import progress
from asrkit.text.normalize import TextNormalizer
from asrkit.text.tokenizer import CharTokenizer
from asrkit.train.datasets import FeatsDataset
from asrkit.wer import error_counts, error_rates_of

log = logging.getLogger("asrkit.probe")

# Frozen features as the encoder gives them without fine-tuning's regularisers.
INFERENCE = {"mask_time_prob": 0.0, "mask_channel_prob": 0.0, "dropout": 0.0,
             "attention_dropout": 0.0, "activation_dropout": 0.0, "dropout_input": 0.0,
             "layerdrop": 0.0}


@dataclass
class Features:
    """Every utterance's hidden states ``[L+1, T, D]`` (float16) and its target ids."""

    states: list[torch.Tensor]
    targets: list[torch.Tensor]


@torch.no_grad()
def extract(encoder: Wav2Vec2Model, data: FeatsDataset, desc: str) -> Features:
    encoder.eval()
    states, targets = [], []
    for i in progress(range(len(data)), desc=desc, unit="utt"):
        ex = data[i]
        out = encoder(ex.inputs[None], torch.tensor([ex.inputs.shape[0]]), return_hidden_states=True)
        layers = [*out.hidden_states[:-1], out.hidden]
        states.append(torch.stack([h[0] for h in layers]).half())
        targets.append(torch.as_tensor(ex.targets))
    return Features(states, targets)


def train_probe(train: Features, layer: int, vocab: int, epochs: int, lr: float, batch: int,
                seed: int) -> nn.Linear:
    """A linear CTC probe on ``layer``, trained with Adam on shuffled mini-batches."""
    gen = torch.Generator().manual_seed(seed)
    dim = train.states[0].shape[-1]
    probe = nn.Linear(dim, vocab)
    opt = torch.optim.Adam(probe.parameters(), lr=lr)
    ctc = nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    for _ in range(epochs):
        order = torch.randperm(len(train.states), generator=gen).tolist()
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            feats = nn.utils.rnn.pad_sequence([train.states[i][layer].float() for i in idx],
                                              batch_first=True)
            lengths = torch.tensor([train.states[i].shape[1] for i in idx])
            tgts = [train.targets[i] for i in idx]
            log_probs = probe(feats).log_softmax(-1).transpose(0, 1)
            loss = ctc(log_probs, torch.cat(tgts), lengths, torch.tensor([len(t) for t in tgts]))
            opt.zero_grad()
            (loss / sum(len(t) for t in tgts)).backward()
            opt.step()
    return probe


@torch.no_grad()
def score_probe(probe: nn.Linear, valid: Features, layer: int, tokenizer: CharTokenizer) -> float:
    refs, hyps = [], []
    for states, target in zip(valid.states, valid.targets):
        log_probs = probe(states[layer].float()[None]).log_softmax(-1)
        ids, _ = greedy_search(log_probs, torch.tensor([states.shape[1]]), tokenizer.blank_id)
        hyps.append(tokenizer.decode(ids[0]))
        refs.append(tokenizer.decode(target.tolist()))
    return 100 * error_rates_of(error_counts(refs, hyps))["cer"]


def probe_encoder(name: str, encoder: Wav2Vec2Model, train_data: FeatsDataset,
                  valid_data: FeatsDataset, tokenizer: CharTokenizer, args: argparse.Namespace
                  ) -> list[float]:
    train = extract(encoder, train_data, f"{name}: features of {train_data.name}")
    valid = extract(encoder, valid_data, f"{name}: features of {valid_data.name}")
    cers = []
    for layer in range(train.states[0].shape[0]):
        probe = train_probe(train, layer, tokenizer.vocab_size, args.epochs, args.lr, args.batch,
                            args.seed)
        cers.append(score_probe(probe, valid, layer, tokenizer))
        log.info("%s, layer %d: dev CER %.1f%%", name, layer, cers[-1])
    return cers


def write_report(out: Path, results: dict[str, list[float]], settings: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "probe.json").write_text(json.dumps({"dev_cer": results, "settings": settings},
                                               indent=2) + "\n", encoding="utf-8")
    layers = len(next(iter(results.values())))
    lines = ["# Linear CTC character probe: dev CER (%) per hidden state", "",
             f"Encoder `{settings['init']}`; probes trained on `{settings['train_data']}` "
             f"({settings['epochs']} epochs, Adam lr {settings['lr']}), scored greedily on "
             f"`{settings['valid_data']}`. Layer 0 is the Transformer's input.", "",
             "| encoder | " + " | ".join(f"h{layer}" for layer in range(layers)) + " |",
             "|---|" + "--:|" * layers]
    lines += [f"| {name} | " + " | ".join(f"{c:.1f}" for c in cers) + " |"
              for name, cers in results.items()]
    (out / "probe.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plot_probe(out / "probe.png", results)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asrkit-probe", description=__doc__.split("\n\n")[0])
    p.add_argument("--init", required=True,
                   help="the encoder: an asrkit checkpoint or experiment dir, or a Hugging Face dir")
    p.add_argument("--train-data", required=True, help="dump dir the probes are trained on")
    p.add_argument("--valid-data", required=True, help="dump dir they are scored on")
    p.add_argument("--out", required=True, help="output dir (probe.json, probe.md, probe.png)")
    p.add_argument("--no-random", action="store_true",
                   help="skip the random-weights encoder of the same architecture")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--batch", type=int, default=16, help="utterances per probe update")
    p.add_argument("--normalizer", default="default", help="text normalizer preset")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    return p


def probe(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    encoder, cfg, desc = load_encoder(args.init, INFERENCE)
    if encoder is None:
        raise ValueError("--init none has no pretrained encoder to probe; give a checkpoint "
                         "(the random baseline of its architecture is probed alongside)")
    log.info("probing %s", desc)
    norm = TextNormalizer.from_spec(args.normalizer)
    texts = dict(line.split(maxsplit=1) for line in
                 (Path(args.train_data) / "text").read_text(encoding="utf-8").splitlines()
                 if len(line.split(maxsplit=1)) == 2)
    tokenizer = CharTokenizer.train(texts, norm)

    def dataset(path: str) -> FeatsDataset:
        return FeatsDataset(path, to_ids=tokenizer.encode)

    train, valid = dataset(args.train_data), dataset(args.valid_data)
    encoders = {"pretrained": encoder}
    if not args.no_random:
        torch.manual_seed(args.seed)
        encoders["random"] = Wav2Vec2Model(cfg)
    results = {name: probe_encoder(name, enc, train, valid, tokenizer, args)
               for name, enc in encoders.items()}
    settings = {k: getattr(args, k) for k in ("init", "train_data", "valid_data", "epochs", "lr",
                                               "batch", "seed")}
    write_report(Path(args.out), results, settings)
    best = {name: min(cers) for name, cers in results.items()}
    log.info("best layer, dev CER: %s (report: %s)",
             ", ".join(f"{n} {c:.1f}%" for n, c in best.items()), Path(args.out) / "probe.md")
    return 0 if all(math.isfinite(c) for c in best.values()) else 1


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), probe, argv)


if __name__ == "__main__":
    raise SystemExit(main())
