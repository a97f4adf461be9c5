"""Notify integration fixtures: sample builders shared with the unit tests, real receivers."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "unit" / "notify"))
