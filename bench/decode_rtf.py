"""Stage 5 real-time factor on CPU: the acoustic model's forward pass plus each search.

What ``asrkit-decode`` does per job, piece by piece, on ~1.5 minutes of audio: utterances
batched by length (``asrkit.decode.batches_by_length``) through
``asrkit.decode.Recognizer.log_probs`` (the wav2vec 2.0 CTC model's forward pass, chunking
included), timed with the stage's default ``batch_bins`` and with one utterance per batch
(``--batch-bins``: padding costs more than batching gains on a CPU), then the posteriors of
the first through each decoder of ``asrkit.decoding.build_decoder``: greedy, beam 20 and 50
without an LM, and beam 50 with a word 3-gram (lexicon decoder) and with a character 6-gram
(lexicon-free), both trained by ``asrkit.lm`` (built-in modified Kneser-Ney) on sentences
from the English generator of the synthesized corpus (:mod:`asrkit.corpora.sentences`); the
character vocabulary comes from the same text. Reading the dump from disk is not included.

The model has random weights (RTF does not depend on what the weights learned) and the
audio is noise of utterance lengths drawn from 2-15 s (a random model's forward pass costs
the same on speech). Its posteriors are flat, which is the worst case for beam search:
every token stays within the beam threshold on every frame. A trained model's posteriors
are peaky (blank near-certain on most frames) and prune far more; ``bench/decode_speed.py``
measures the searches on such posteriors.

RTF = processing time / audio duration, wall clock and CPU time (one thread: CPU time is
what the run would take on an idle core); each component is timed ``--reps`` times and the
median is reported; "total" = forward (first ``--batch-bins``) + search.

    tools/venv/bin/python bench/decode_rtf.py                       # tiny and base, 1 thread
    tools/venv/bin/python bench/decode_rtf.py --sizes base --threads 2 --minutes 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parent / "out"
RATE = 16000


def lm_texts(sentences: int, seed: int) -> list[str]:
    """Normalized English sentences from the synthesized corpus' generator."""
    from asrkit.corpora.sentences import generate, words

    return [" ".join(words(s)) for s in generate("en", sentences, seed)]


def train_lms(texts: list[str], work: Path, char_order: int) -> dict[str, Path]:
    from asrkit.lm import train_lm

    (work / "lm.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    word, char = work / "word" / "lm.arpa", work / "char" / "lm.arpa"
    train_lm(work / "lm.txt", word, order=3, backend="builtin")
    train_lm(work / "lm.txt", char, order=char_order, backend="builtin", unit="char")
    return {"word": word, "char": char}


def decoders(tok, lms: dict[str, Path], lm_weight: float) -> dict[str, object]:
    """The searches to time, by name (``asrkit.decoding`` defaults otherwise: threshold 25,
    every token tried per frame)."""
    from asrkit.decoding import build_decoder

    return {
        "greedy": build_decoder(tok, "greedy"),
        "beam 20": build_decoder(tok, "beam", beam_size=20),
        "beam 50": build_decoder(tok, "beam", beam_size=50),
        "beam 50 + word 3-gram": build_decoder(tok, "beam", lm=lms["word"], beam_size=50,
                                               lm_weight=lm_weight),
        "beam 50 + char LM": build_decoder(tok, "beam", lm=lms["char"], beam_size=50,
                                           lm_weight=lm_weight),
    }


def utterances(minutes: float, seed: int) -> list[torch.Tensor]:
    """Noise waveforms of 2-15 s adding up to about ``minutes``."""
    rng = np.random.default_rng(seed)
    waves, total = [], 0.0
    while total < minutes * 60:
        seconds = float(rng.uniform(2.0, 15.0))
        waves.append(torch.from_numpy(rng.normal(0, 0.1, int(seconds * RATE)).astype(np.float32)))
        total += seconds
    return waves


def median_time(fn, reps: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``reps`` calls (CPU time is what a loaded machine
    does not inflate)."""
    walls, cpus = [], []
    for _ in range(reps):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def batched(waves: list[torch.Tensor], batch_bins: int, chunk: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Padded batches as ``asrkit-decode`` forms them (``asrkit.decode.batches_by_length``)."""
    from asrkit.decode import batches_by_length

    lengths = [len(w) for w in waves]
    out = []
    for group in batches_by_length(lengths, batch_bins, chunk):
        lens = torch.tensor([lengths[i] for i in group])
        inputs = torch.zeros(len(group), int(lens.max()))
        for row, i in enumerate(group):
            inputs[row, : lengths[i]] = waves[i]
        out.append((inputs, lens))
    return out


def measure(size: str, tok, searches: dict, waves: list[torch.Tensor], reps: int,
            batchings: list[int]) -> dict:
    """Median (wall, CPU) seconds of the forward pass under each ``batch_bins`` of
    ``batchings``, and of each search over the posteriors of the first."""
    from asrkit.decode import DecodeStageConfig, Recognizer
    from asrkit.models import wav2vec2
    from asrkit.models.ctc import CTCConfig, CTCModel

    model = CTCModel(CTCConfig(tok.vocab_size, "wav2vec2", wav2vec2=wav2vec2.config_for(size))).eval()
    rec = Recognizer(model, None, torch.device("cpu"), RATE, DecodeStageConfig().chunk_seconds)
    audio_samples = sum(len(w) for w in waves)
    forward, posteriors = [], []
    for batch_bins in batchings:
        batches = batched(waves, batch_bins, rec.chunk)
        out: list = []

        def run(batches=batches, out=out):
            out[:] = [rec.log_probs(inputs, lens) for inputs, lens in batches]

        wall, cpu = median_time(run, reps)
        forward.append({"batch_bins": batch_bins, "batches": len(batches), "wall_s": wall, "cpu_s": cpu,
                        "padded_over_audio": sum(x.numel() for x, _ in batches) / audio_samples})
        posteriors = posteriors or out
    search = {name: median_time(lambda d=decoder: [d(lp, n) for lp, n in posteriors], reps)
              for name, decoder in searches.items()}
    return {"size": size, "params_m": sum(p.numel() for p in model.parameters()) / 1e6,
            "frames": sum(int(n.sum()) for _, n in posteriors), "forward": forward, "search": search}


def report(res: dict, audio: float) -> None:
    print(f"\n{res['size']} ({res['params_m']:.1f} M parameters, {res['frames']} frames); load average "
          f"{res['load_average'][0]:.1f} -> {res['load_average'][1]:.1f}")
    print("| forward pass | batches | padded input / audio | RTF | RTF (CPU time) |")
    print("|---|--:|--:|--:|--:|")
    for f in res["forward"]:
        how = f"batch_bins {f['batch_bins']:,}" if f["batches"] < len(res["utterances"]) else "one utterance per batch"
        print(f"| {how} | {f['batches']} | {f['padded_over_audio']:.2f} | {f['wall_s'] / audio:.4f} | "
              f"{f['cpu_s'] / audio:.4f} |")
    fwd = res["forward"][0]
    print("\n| search | search RTF | search RTF (CPU time) | total RTF | total RTF (CPU time) |")
    print("|---|--:|--:|--:|--:|")
    for name, (wall, cpu) in res["search"].items():
        print(f"| {name} | {wall / audio:.4f} | {cpu / audio:.4f} | {(fwd['wall_s'] + wall) / audio:.4f} | "
              f"{(fwd['cpu_s'] + cpu) / audio:.4f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="tiny,base")
    parser.add_argument("--minutes", type=float, default=1.5, help="audio to decode")
    parser.add_argument("--reps", type=int, default=3, help="timings per component (median)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (one decoding job)")
    parser.add_argument("--lm-sentences", type=int, default=20000, help="LM training sentences")
    parser.add_argument("--char-order", type=int, default=6)
    parser.add_argument("--lm-weight", type=float, default=0.5, help="as egs/*/conf/decode_beam.yaml")
    parser.add_argument("--batch-bins", type=int, nargs="+", default=[1, 4_000_000],
                        help="asrkit-decode batch_bins values to time the forward pass with (1: one "
                             "utterance per batch); totals use the first (default: the stage's CPU "
                             "default 1, then its GPU default 4,000,000)")
    parser.add_argument("--searches", default=None,
                        help="comma-separated subset of the searches to time (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    from asrkit.text.tokenizer import CharTokenizer

    texts = lm_texts(args.lm_sentences, args.seed)
    tok = CharTokenizer.train(texts)
    with tempfile.TemporaryDirectory(prefix="decode_rtf_") as work:  # decoders load the LMs
        searches = decoders(tok, train_lms(texts, Path(work), args.char_order), args.lm_weight)
    if args.searches:
        wanted = args.searches.split(",")
        unknown = [name for name in wanted if name not in searches]
        if unknown:
            parser.error(f"--searches: unknown {unknown}; choose from {', '.join(searches)}")
        searches = {name: searches[name] for name in wanted}
    waves = utterances(args.minutes, args.seed)
    audio = sum(len(w) for w in waves) / RATE
    lm_words = len({w for t in texts for w in t.split()})
    print(f"{len(waves)} utterances, {audio:.1f} s of audio; {tok.vocab_size} tokens; LMs on "
          f"{len(texts)} sentences ({lm_words} distinct words); {args.threads} thread(s)", flush=True)

    results = []
    for size in args.sizes.split(","):
        load_before = os.getloadavg()[0]
        res = measure(size, tok, searches, waves, args.reps, args.batch_bins)
        res.update(audio_s=audio, threads=args.threads, utterances=[len(w) / RATE for w in waves],
                   load_average=[load_before, os.getloadavg()[0]])
        results.append(res)
        report(res, audio)
    OUT.mkdir(exist_ok=True)
    path = OUT / f"decode_rtf_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"lm_sentences": len(texts), "lm_words": lm_words,
                                "vocab": tok.vocab_size, "results": results}, indent=1))
    print(f"\nraw results: {path}")


if __name__ == "__main__":
    main()
