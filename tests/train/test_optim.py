import torch
from torch import nn

from asrkit.train import OptimConfig
from asrkit.train.optim import build_optimizer, no_decay_names, set_lr


def model():
    return nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 2, bias=False))


def test_norms_and_biases_get_no_weight_decay():
    m = model()
    assert no_decay_names(m) == {"0.bias", "1.weight", "1.bias"}
    opt = build_optimizer(m, OptimConfig(weight_decay=0.1))
    decay = {id(p) for g in opt.param_groups if g["weight_decay"] > 0 for p in g["params"]}
    assert decay == {id(m[0].weight), id(m[2].weight)}
    assert opt.defaults["betas"] == (0.9, 0.98) and opt.defaults["eps"] == 1e-6


def test_task_groups_scale_lr_and_extra_no_decay_patterns_apply():
    m = model()
    opt = build_optimizer(m, OptimConfig(lr=1.0, no_decay=["2."]), [{"params": ["2.weight"], "lr_scale": 0.1}])
    set_lr(opt, 2.0)
    by_param = {id(p): g for g in opt.param_groups for p in g["params"]}
    assert by_param[id(m[2].weight)]["lr"] == 0.2 and by_param[id(m[2].weight)]["weight_decay"] == 0
    assert by_param[id(m[0].weight)]["lr"] == 2.0
    assert sum(len(g["params"]) for g in opt.param_groups) == len(list(m.parameters()))
    assert isinstance(opt, torch.optim.AdamW)
