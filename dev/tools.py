"""Small helpers for scripts and tests that need an operating-system package (kcat, promtool,
kubectl, the CJK font the issued PDFs draw with)."""

from __future__ import annotations

import os
import shutil
import subprocess


def apt_install(package: str) -> bool:
    """Install ``package`` with apt-get when running as root on Debian/Ubuntu (``apt-get update``
    and a second try if the first fails). False when it cannot be tried here."""
    apt = shutil.which("apt-get")
    if apt is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "-q", package]
    done = subprocess.run(install, env=env, capture_output=True, check=False, timeout=900)  # noqa: S603
    if done.returncode != 0:
        subprocess.run(
            [apt, "update", "-q"], env=env, capture_output=True, check=False, timeout=900
        )  # noqa: S603
        subprocess.run(install, env=env, capture_output=True, check=False, timeout=900)  # noqa: S603
    return True


def ensure_apt_tool(binary: str, package: str) -> str | None:
    """Path of ``binary``, installing ``package`` when it is missing and that can be done here.
    None when it is still missing (the caller skips or fails)."""
    found = shutil.which(binary)
    if found:
        return found
    apt_install(package)
    return shutil.which(binary)
