import pytest

from asrkit.config import ConfigError, load
from asrkit.train import TrainConfig


def test_train_config_loads_from_yaml_with_overrides(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text(
        "optim: {lr: 1e-4, betas: [0.9, 0.999]}\n"
        "schedule: {name: tri_stage, phase_ratio: [0.1, 0.4, 0.5]}\n"
        "data: {batch_bins: 3200000, max_length: 250000}\n"
        "accum_grad: 4\namp: bf16\n"
    )
    cfg = load(TrainConfig, path, ["optim.weight_decay=0.0", "data.num_workers=0"])
    assert cfg.optim.lr == 1e-4 and cfg.optim.betas == (0.9, 0.999)
    assert cfg.schedule.phase_ratio == (0.1, 0.4, 0.5) and cfg.accum_grad == 4
    assert cfg.optim.weight_decay == 0.0 and cfg.data.num_workers == 0
    cfg.check()


def test_typos_and_impossible_values_are_config_errors(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("optim: {learning_rate: 1e-4}\n")
    with pytest.raises(ConfigError, match="optim.learning_rate"):
        load(TrainConfig, path)
    with pytest.raises(ConfigError, match="bf16"):
        load(TrainConfig, None, ["amp=float16"])
    with pytest.raises(ConfigError, match="accum_grad"):
        load(TrainConfig, None, ["accum_grad=0"]).check()
    with pytest.raises(ConfigError, match="keep one"):
        load(TrainConfig, None, ["data.max_duration=200"]).check()
