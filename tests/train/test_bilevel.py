"""BL-JUST's plan: phases, γ schedules, lr per phase, passes, and the warning for a γ that
never reaches γ_max."""

from __future__ import annotations

import pytest

from asrkit.config import ConfigError
from asrkit.train.bilevel import BilevelConfig, GammaConfig, PhaseConfig, Plan
from asrkit.train.config import ScheduleConfig


def plan(explore=2, joint=10, final=3, per_epoch=1, **gamma) -> Plan:
    return Plan(BilevelConfig(explore=PhaseConfig(explore, 10.0), joint=PhaseConfig(joint, 1.0),
                              final=PhaseConfig(final, 0.1), gamma=GammaConfig(**gamma)), per_epoch)


def test_phases_follow_each_other_and_each_has_its_own_lr():
    p = plan()
    assert [p.phase_at(n) for n in range(15)] == ["explore"] * 2 + ["joint"] * 10 + ["final"] * 3
    assert p.total == 15
    assert [p.lr_factor(k) for k in (1, 3, 13, 15)] == [10.0, 1.0, 0.1, 0.1]


def test_a_phase_schedule_counts_from_the_phase_start():
    cfg = BilevelConfig(joint=PhaseConfig(4, 1.0, ScheduleConfig(name="linear", warmup_updates=2)),
                        explore=PhaseConfig(2))
    p = Plan(cfg)
    assert [p.lr_factor(k) for k in range(1, 7)] == [1.0, 1.0, 0.5, 1.0, 0.5, 0.0]


def test_linear_gamma_per_update_reaches_gamma_max_at_the_last_joint_update():
    p = plan(start=0.0, max=1.0)
    gammas = [p.gamma_at(n) for n in range(15)]
    assert gammas[:3] == [0.0, 0.0, 0.0] and gammas[11] == 1.0 and gammas[14] == 1.0
    assert gammas[2:12] == pytest.approx([i / 9 for i in range(10)])
    assert p.warnings() == []


def test_step_gamma_per_epoch_moves_once_an_epoch():
    p = plan(explore=0, joint=12, final=0, per_epoch=3, shape="step", unit="epoch", steps=3, max=0.9)
    gammas = [round(p.gamma_at(n), 6) for n in range(12)]
    assert gammas == [0.0] * 3 + [0.3] * 3 + [0.6] * 3 + [0.9] * 3


def test_a_gamma_that_never_reaches_gamma_max_is_warned_about():
    # the reference code's schedule: +1/500 per epoch, 200 epochs
    p = plan(explore=0, joint=200, final=0, unit="epoch", rise=500, per_epoch=1)
    (warning,) = p.warnings()
    assert "never reaches γ_max=1" in warning and "ends at 0.398" in warning and "bljust.gamma.rise" in warning


def test_passes_count_a_joint_update_twice():
    assert plan().passes() == 2 + 2 * 10 + 3
    assert plan().passes(accum_grad=2) == 2 * (2 + 2 * 10 + 3)


@pytest.mark.parametrize("changes, message", [
    ({"joint": PhaseConfig(0)}, "joint.updates"),
    ({"gamma": GammaConfig(start=2.0, max=1.0)}, "start <= max"),
    ({"final": PhaseConfig(3, lr_scale=0.0)}, "final.lr_scale"),
])
def test_bad_plans_are_config_errors(changes, message):
    with pytest.raises(ConfigError, match=message):
        Plan(BilevelConfig(**changes))
