import math

import pytest

from asrkit.config import ConfigError
from asrkit.train import LRSchedule, ScheduleConfig


def test_polynomial_warms_up_linearly_then_decays_to_end_scale():
    s = LRSchedule(ScheduleConfig(name="polynomial", warmup_updates=10, power=2.0, end_lr_scale=0.1), 110)
    assert s(1) == pytest.approx(0.1)
    assert s(5) == pytest.approx(0.5)
    assert s(10) == pytest.approx(1.0)
    assert s(60) == pytest.approx(0.1 + 0.9 * 0.5**2)
    assert s(110) == pytest.approx(0.1)
    assert s(500) == pytest.approx(0.1)


def test_linear_ignores_power_and_warmup_ratio_sets_warmup():
    s = LRSchedule(ScheduleConfig(name="linear", warmup_ratio=0.25, power=3.0), 100)
    assert s.warmup == 25
    assert s(25) == pytest.approx(1.0)
    assert s(62) == pytest.approx(1 - 37 / 75)
    assert s(100) == pytest.approx(0.0)


def test_constant_is_one_after_warmup():
    s = LRSchedule(ScheduleConfig(name="constant", warmup_updates=4), 50)
    assert [s(k) for k in (1, 2, 4, 5, 50)] == pytest.approx([0.25, 0.5, 1, 1, 1])
    assert LRSchedule(ScheduleConfig(name="constant"), 5)(1) == 1.0


def test_tri_stage_has_warmup_hold_and_exponential_decay():
    cfg = ScheduleConfig(name="tri_stage", phase_ratio=(0.1, 0.4, 0.5), init_lr_scale=0.01,
                         final_lr_scale=0.05)
    s = LRSchedule(cfg, 1000)
    assert s(0) == pytest.approx(0.01)
    assert s(50) == pytest.approx(0.01 + 0.99 * 0.5)
    assert s(100) == s(300) == s(499) == 1.0
    assert s(750) == pytest.approx(math.sqrt(0.05))  # half-way through the decay, in log space
    assert s(1000) == pytest.approx(0.05)
    assert s(2000) == pytest.approx(0.05)
    values = [s(k) for k in range(0, 1001)]
    peak = values.index(1.0)
    assert all(a <= b for a, b in zip(values[:peak], values[1 : peak + 1]))
    assert all(a >= b for a, b in zip(values[peak:], values[peak + 1 :]))


@pytest.mark.parametrize(
    "cfg, message",
    [
        (ScheduleConfig(name="tri_stage", phase_ratio=(0.5, 0.4, 0.5)), "summing to 1"),
        (ScheduleConfig(name="polynomial", warmup_updates=100), "leaves no room"),
        (ScheduleConfig(name="tri_stage", final_lr_scale=0.0), "final_lr_scale"),
    ],
)
def test_impossible_schedules_are_config_errors(cfg, message):
    with pytest.raises(ConfigError, match=message):
        LRSchedule(cfg, 100)
