"""Shared test set-up: the spec-built seal helper is importable as `specseal`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
