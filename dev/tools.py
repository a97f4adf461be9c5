"""Small helpers for scripts and tests that need an operating-system tool (kcat, ...)."""

from __future__ import annotations

import os
import shutil
import subprocess


def ensure_apt_tool(binary: str, package: str) -> str | None:
    """Path of ``binary``; when missing and running as root on Debian/Ubuntu, install
    ``package`` with apt-get (``apt-get update`` and a second try if the first fails).
    None when it is missing and cannot be installed here (the caller skips or fails)."""
    found = shutil.which(binary)
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "-q", package]
    done = subprocess.run(install, env=env, capture_output=True, check=False)  # noqa: S603
    if done.returncode != 0:
        subprocess.run([apt, "update", "-q"], env=env, capture_output=True, check=False)  # noqa: S603
        subprocess.run(install, env=env, capture_output=True, check=False)  # noqa: S603
    return shutil.which(binary)
