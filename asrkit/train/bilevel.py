"""BL-JUST's training plan (METHODS.md §4): three phases, the penalty weight γ, and their cost.

A run of ``E + J + F`` updates::

    updates [0, E)        exploration  L_SSL only, unlabeled batches      1 pass per micro-batch
    updates [E, E+J)      joint        L_CTC + γ·L_SSL, one batch of each  2 passes per micro-batch
    updates [E+J, E+J+F)  final        L_CTC only at a low lr             1 pass per micro-batch

Each phase has its own lr factor (``lr_scale`` × ``train.optim.lr``) and schedule, counted
from the phase's first update. γ rises from ``gamma.start`` to ``gamma.max`` over the joint
phase, linearly or in steps, per update or per epoch of the labeled set. Everything here is a
pure function of the update number, so a resumed run continues the same plan.

The penalty form ``γ·(L_SSL − v*)`` has a constant ``v*`` (the lower level's optimum): it
changes no gradient, only the logged value. Set ``v_star`` to an estimate (e.g. stage 3's
final loss) to log the gap ``L_SSL − v*``; it is logged only then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from asrkit.config import ConfigError
from asrkit.train.config import ScheduleConfig
from asrkit.train.schedules import LRSchedule

PHASES = ("explore", "joint", "final")
#: forward/backward passes of one micro-batch in each phase (a joint one runs SSL and CTC)
PASSES = {"explore": 1, "joint": 2, "final": 1}


@dataclass
class PhaseConfig:
    updates: int = 0  # 0 leaves the phase out
    lr_scale: float = 1.0  # the phase's peak lr, as a factor of train.optim.lr
    schedule: ScheduleConfig = field(default_factory=lambda: ScheduleConfig(name="constant"))


@dataclass
class GammaConfig:
    """The penalty weight γ over the joint phase."""

    start: float = 0.0  # γ_0, at the joint phase's first update
    max: float = 1.0  # γ_max
    shape: Literal["linear", "step"] = "linear"
    unit: Literal["update", "epoch"] = "update"  # epoch: γ moves once per labeled epoch
    # units (updates or epochs) of the joint phase after which γ = γ_max; null: the last one
    rise: int | None = None
    steps: int = 4  # shape step: equal steps up to γ_max


@dataclass
class BilevelConfig:
    """The ``bljust:`` section of a BL-JUST config."""

    explore: PhaseConfig = field(default_factory=lambda: PhaseConfig(updates=0))
    joint: PhaseConfig = field(default_factory=lambda: PhaseConfig(updates=1000))
    final: PhaseConfig = field(default_factory=lambda: PhaseConfig(updates=0, lr_scale=0.1))
    gamma: GammaConfig = field(default_factory=GammaConfig)
    v_star: float | None = None  # an estimate of min L_SSL per masked frame: logs L_SSL − v*


class Plan:
    """The phases of a run and γ at every update; ``updates_per_epoch``: labeled batches per
    epoch over ``accum_grad`` (what a γ per epoch counts)."""

    def __init__(self, cfg: BilevelConfig, updates_per_epoch: int = 1):
        self.cfg = cfg
        for name in PHASES:
            phase = getattr(cfg, name)
            if phase.updates < 0:
                raise ConfigError(f"bljust.{name}.updates must be >= 0, got {phase.updates}")
            if phase.lr_scale <= 0:
                raise ConfigError(f"bljust.{name}.lr_scale must be positive, got {phase.lr_scale}")
        if cfg.joint.updates < 1:
            raise ConfigError("bljust.joint.updates must be at least 1: the joint phase is the method")
        g = cfg.gamma
        if g.start < 0 or g.max < g.start:
            raise ConfigError(f"bljust.gamma: need 0 <= start <= max, got start {g.start}, max {g.max}")
        if g.steps < 1:
            raise ConfigError(f"bljust.gamma.steps must be at least 1, got {g.steps}")
        if g.rise is not None and g.rise < 1:
            raise ConfigError(f"bljust.gamma.rise must be at least 1 (or null), got {g.rise}")
        self.updates_per_epoch = max(1, updates_per_epoch)
        self.starts = {}
        start = 0
        for name in PHASES:
            self.starts[name] = start
            start += getattr(cfg, name).updates
        self.total = start
        self._schedules = {name: LRSchedule(getattr(cfg, name).schedule, getattr(cfg, name).updates)
                           for name in PHASES if getattr(cfg, name).updates > 0}

    def phase_at(self, num_updates: int) -> str:
        """The phase of the update that follows ``num_updates`` finished ones."""
        for name in reversed(PHASES):
            if getattr(self.cfg, name).updates and num_updates >= self.starts[name]:
                return name
        return "joint"

    def _units(self, joint_update: int) -> int:
        """Units (updates or epochs) of the joint phase before its update ``joint_update``."""
        return joint_update if self.cfg.gamma.unit == "update" else joint_update // self.updates_per_epoch

    @property
    def rise(self) -> int:
        """Units after which γ reaches γ_max (as configured, or the joint phase's last unit)."""
        if self.cfg.gamma.rise is not None:
            return self.cfg.gamma.rise
        return max(1, self._units(self.cfg.joint.updates - 1))

    def gamma_at(self, num_updates: int) -> float:
        """γ of the update that follows ``num_updates`` finished ones (γ_0 before the joint
        phase, γ_max after it)."""
        g = self.cfg.gamma
        joint = num_updates - self.starts["joint"]
        if joint < 0:
            return g.start
        progress = min(1.0, self._units(min(joint, self.cfg.joint.updates - 1)) / self.rise)
        if g.shape == "step":
            progress = math.floor(progress * g.steps + 1e-9) / g.steps
        return g.start + (g.max - g.start) * progress

    def lr_factor(self, update: int) -> float:
        """The lr factor of update ``update`` (1-based): its phase's scale × schedule."""
        name = self.phase_at(update - 1)
        phase = getattr(self.cfg, name)
        return phase.lr_scale * self._schedules[name](update - self.starts[name])

    def passes(self, accum_grad: int = 1) -> int:
        """Forward/backward passes of the whole run (a joint micro-batch counts 2)."""
        return accum_grad * sum(PASSES[n] * getattr(self.cfg, n).updates for n in PHASES)

    def warnings(self) -> list[str]:
        """What in the plan will not do what its config suggests."""
        out = []
        g = self.cfg.gamma
        reached = self.gamma_at(self.starts["joint"] + self.cfg.joint.updates - 1)
        if reached < g.max - 1e-9:
            unit = "updates" if g.unit == "update" else "epochs"
            have = self._units(self.cfg.joint.updates - 1) + 1
            out.append(
                f"γ never reaches γ_max={g.max:g} within the run: it rises over {self.rise} {unit}, "
                f"but the joint phase has {have} {unit} ({self.cfg.joint.updates} updates), so γ ends "
                f"at {reached:.3g}. Lower bljust.gamma.rise or lengthen bljust.joint.updates")
        return out

    def describe(self) -> str:
        """One line per phase, for logs and summary.md."""
        g = self.cfg.gamma
        lines = []
        for name in PHASES:
            phase = getattr(self.cfg, name)
            if not phase.updates:
                lines.append(f"{name}: off")
                continue
            first = self.starts[name]
            text = (f"{name}: updates {first + 1}-{first + phase.updates} ({phase.updates}), lr × "
                    f"{phase.lr_scale:g}, {phase.schedule.name} schedule")
            if name == "joint":
                text += (f"; γ {g.start:g} -> {g.max:g} ({g.shape} per {g.unit}, γ_max after "
                         f"{self.rise} {g.unit}s)")
            lines.append(text)
        return "; ".join(lines)
