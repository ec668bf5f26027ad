"""The shared stage fixtures (tests/stage_fixtures.py): ``stages``, ``stage_kit``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "asrkit_tests_stage_fixtures"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).parents[1] / "stage_fixtures.py")
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_NAME])

stages = sys.modules[_NAME].stages
stage_kit = sys.modules[_NAME].stage_kit
_venv_on_path = sys.modules[_NAME]._venv_on_path
_one_thread = sys.modules[_NAME]._one_thread
