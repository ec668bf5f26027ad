"""A grid with BL-JUST arms next to scratch and ssl ones (the fake recipe of conftest.py): each
bljust arm runs ``--train-mode bljust`` from scratch, and the comparison states every arm's
forward/backward passes; ``equal_passes`` holds BL-JUST to pretraining + fine-tuning's compute."""

from __future__ import annotations

import yaml

from asrkit import experiment
from asrkit import grid as gridlib

CMD = ["--cmd", "asrkit-launch local"]


def write_configs(recipe, joint: int = 30) -> None:
    def put(name, data):
        (recipe / "conf" / f"{name}.yaml").write_text(yaml.safe_dump(data))

    put("pretrain_a", {"train": {"max_updates": 30, "accum_grad": 2}})  # 60 passes
    put("finetune_a", {"train": {"max_updates": 40}})  # 40 passes
    put("bljust_a", {"bljust": {"explore": {"updates": 20}, "joint": {"updates": joint},
                                "final": {"updates": 20}}})  # 20 + 2 x 30 + 20 = 100 passes


def rows(recipe) -> dict[tuple[str, str], list[str]]:
    text = (recipe / "exp" / "grid" / "comparison.md").read_text()
    cells = [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines()
             if line.startswith("| ") and not line.startswith("| decoding")]
    return {(r[0], r[1]): r for r in cells}


def test_bljust_arms_train_with_the_bljust_mode_and_the_table_states_passes(fake):
    write_configs(fake.recipe)
    grid = fake.write_grid(fake.recipe, inits=["scratch", "ssl", "bljust"], labeled_minutes=[5],
                           bljust=[{"config": "conf/bljust_a.yaml"}], equal_passes=True)
    assert experiment.main(["run", grid, *CMD]) == 0
    arms = [c for c in fake.calls() if c[3] == "6"]
    bl = [c for c in arms if "--train-mode" in c]
    assert len(arms) == 6 and len(bl) == 2  # 3 inits × 2 seeds
    for call in bl:
        opts = dict(zip(call[::2], call[1::2]))
        assert opts["--train-mode"] == "bljust" and opts["--init"] == "none"
        assert opts["--bljust-configs"] == "conf/bljust_a.yaml" and "--finetune-configs" not in opts
        assert opts["--bljust-opts"] in ("--set train.seed=1", "--set train.seed=2")
        assert "5min_bljust_bljust_a_seed" in opts["--expdir"]
    table = rows(fake.recipe)
    assert table["greedy", "scratch"][13] == "40"
    assert table["greedy", "ssl"][13] == "100" and table["greedy", "bljust"][13] == "100"
    cer = [fake.cer(5, False, s) - 10 for s in (1, 2)]
    assert table["greedy", "bljust"][8] == f"{sum(cer) / 2:.2f} ± 0.35"
    assert table["greedy", "bljust"][2] == "-"  # no pretraining
    relative = 100 * (sum(cer) / 2 - 58.25) / 58.25
    assert table["greedy", "bljust"][10] == f"{relative:+.1f}%"


def test_equal_passes_rejects_a_bljust_arm_with_other_compute_before_anything_runs(fake, capsys):
    write_configs(fake.recipe, joint=25)
    grid = fake.write_grid(fake.recipe, inits=["ssl", "bljust"], bljust=[{"config": "conf/bljust_a.yaml"}],
                           equal_passes=True)
    assert experiment.main(["run", grid, *CMD]) == 1
    err = capsys.readouterr().err
    assert "bljust bljust_a runs 90 forward/backward passes" in err and "run 100" in err and "+5" in err
    assert fake.calls() == []


def test_a_bljust_init_needs_a_bljust_config(fake):
    grid = gridlib.Grid(finetune=[gridlib.Variant("conf/finetune_a.yaml")],
                        decodings={"greedy": ["conf/decode_greedy.yaml"]}, inits=["scratch", "bljust"])
    assert "inits: bljust needs at least one bljust config" in gridlib.check(grid, fake.recipe)
