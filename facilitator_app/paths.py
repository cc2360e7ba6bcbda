"""One way to find shipped resources and the user's data folder, from source or a frozen bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "FacilitatorFieldKit"
APP_AUTHOR = "FacilitatorFieldKit"
DATA_DIR_ENV = "FFK_DATA_DIR"


def resources_dir() -> Path:
    """`resources/` beside the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def default_data_dir() -> Path:
    """`FFK_DATA_DIR` if set, else the platform's per-user data folder."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
