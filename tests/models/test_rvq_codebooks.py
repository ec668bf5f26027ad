"""RVQ codebooks: dead codes replaced within the configured window; DDP init from real frames."""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from asrkit.models.rvq import ResidualVQ, RVQConfig


def _live_and_dead(window: int, threshold: float = 0.0):
    """One level of 8 codes after its first batch; codes 0-2 sent far from the data, codes
    3-7 each with a tight cluster of frames (so exactly three codes go unused)."""
    torch.manual_seed(0)
    rvq = ResidualVQ(4, RVQConfig(num_levels=1, codebook_size=8, dead_code_window=window,
                                  dead_code_threshold=threshold)).train()
    rvq(torch.randn(1, 64, 4))
    vq = rvq.levels[0]
    live = vq.embed[3:].clone()
    x = (live[torch.arange(64) % 5] + 0.01 * torch.randn(64, 4))[None]
    with torch.no_grad():
        vq.embed[:3] = 1e3
        vq.embed_sum[:3] = 1e3
        vq.unused.zero_()
    return rvq, vq, x


def test_dead_codes_are_replaced_after_the_configured_window_of_updates():
    rvq, vq, x = _live_and_dead(window=5)
    for _ in range(4):
        out = rvq(x)
        assert out.replaced[0].item() == 0
        assert vq.embed[:3].abs().min() > 100  # still dead, still far away
    out = rvq(x)  # the fifth update without a frame
    assert out.replaced[0].item() == 3
    assert vq.embed[:3].abs().max() < 10  # re-seeded from frames of the batch
    assert vq.unused[:3].eq(0).all()
    assert rvq(x).replaced[0].item() == 0


def test_the_former_cluster_size_threshold_alone_had_not_fired_after_fifty_updates():
    rvq, vq, x = _live_and_dead(window=0, threshold=1e-3)  # the old default rule
    replaced = sum(rvq(x).replaced[0].item() for _ in range(50))
    assert replaced == 0 and vq.embed[:3].abs().min() > 100


def test_the_default_window_is_a_hundred_updates_and_evaluation_replaces_nothing():
    assert RVQConfig().dead_code_window == 100 and RVQConfig().dead_code_threshold == 0.0
    rvq, vq, x = _live_and_dead(window=1)
    rvq.eval()
    assert rvq(x).replaced[0].item() == 0 and vq.embed[:3].abs().min() > 100


def test_the_window_counter_is_not_saved_so_old_checkpoints_load():
    rvq = ResidualVQ(4, RVQConfig(num_levels=2, codebook_size=8))
    assert not any(key.endswith("unused") for key in rvq.state_dict())


# ---------------------------------------------------------------------------- DDP init


SCENARIOS = {"both": -1, "idle": 1}  # rank 1 all padding in the second


def _init_worker(rank: int, rendezvous: str, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{rendezvous}", rank=rank, world_size=2)
    try:
        for name, idle_rank in SCENARIOS.items():
            torch.manual_seed(0)  # the same model on both ranks
            vq = ResidualVQ(4, RVQConfig(num_levels=1, codebook_size=16)).levels[0].train()
            gen = torch.Generator().manual_seed(10 + rank)
            frames = torch.randn(40, 4, generator=gen) + (100.0 if rank == 0 else -100.0)
            weight = torch.zeros(40) if rank == idle_rank else torch.ones(40)
            torch.manual_seed(1 + rank)  # each rank draws its own frames
            vq._init_from(frames, weight)
            torch.save({"frames": frames, "embed": vq.embed.clone()}, f"{out}/{name}{rank}.pt")
    finally:
        dist.destroy_process_group()


def _owners(tmp_path, name: str) -> list[int]:
    """The rank whose frame each code is; fails on a code that is no frame of any rank."""
    ranks = [torch.load(tmp_path / f"{name}{r}.pt") for r in range(2)]
    embed = ranks[0]["embed"]
    assert torch.equal(embed, ranks[1]["embed"])  # one codebook on every rank
    owners = []
    for code in embed:
        matches = [r for r, rank in enumerate(ranks) if (rank["frames"] == code).all(-1).any()]
        assert matches, f"{name}: code {code.tolist()} is no frame of any rank (an average?)"
        owners.append(matches[0])
    return owners


def test_under_ddp_every_code_starts_as_a_real_frame_of_some_rank(tmp_path):
    mp.spawn(_init_worker, args=(str(tmp_path / "rendezvous"), str(tmp_path)), nprocs=2)
    assert set(_owners(tmp_path, "both")) == {0, 1}  # the ranks take turns
    assert set(_owners(tmp_path, "idle")) == {0}  # padding is never a code
