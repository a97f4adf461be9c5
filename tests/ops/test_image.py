"""The container image, without a Docker engine: the Dockerfile's rules, and the project built
from exactly the build context as the image's `pip install .` builds it (a wheel that must
carry every data file the services read at run time)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from shared.documents.fonts import CJK_FONTS

pytestmark = pytest.mark.ops

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
SERVICES = ("intake", "approval", "monitor", "notify", "credit")


def _stages() -> list[str]:
    return re.split(r"(?m)^FROM ", DOCKERFILE)[1:]


def _context_entries() -> list[str]:
    """What .dockerignore lets into the build context (it ignores ** then re-includes)."""
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "**", "the context must start from nothing and list what it admits"
    return [line[1:].rstrip("/") for line in lines if line.startswith("!")]


def test_the_base_image_is_a_pinned_python_3_11_slim() -> None:
    default = re.search(r"(?m)^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE)
    assert default is not None
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", default.group(1))
    stages = _stages()
    assert len(stages) == 2
    assert all(stage.startswith("${PYTHON_IMAGE} AS ") for stage in stages)


def test_the_runtime_stage_is_non_root_without_build_tools() -> None:
    runtime = _stages()[-1]
    assert "build-essential" in _stages()[0]
    assert not re.search(r"build-essential|gcc|pip install", runtime)
    # The one package the runtime installs: the CJK font the issued PDFs draw Chinese with.
    installed = [
        word
        for line in re.findall(r"apt-get install ([^\n\\&]*)", runtime)
        for word in line.split()
        if not word.startswith("-")
    ]
    assert installed == ["fonts-wqy-microhei"]
    assert "wqy/wqy-microhei.ttc" in CJK_FONTS[0]  # the first font shared/documents looks for
    assert "rm -rf /var/lib/apt/lists/*" in runtime
    user = re.search(r"(?m)^USER (\d+):(\d+)$", runtime)
    assert user is not None and int(user.group(1)) >= 10000
    assert "COPY --from=build /opt/egov /opt/egov" in runtime
    assert re.search(r'(?m)^ENTRYPOINT \["egov"\]$', runtime)


def test_every_service_is_chosen_by_the_command() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert scripts["egov"] == "services.cli:app"
    for name in SERVICES:
        assert (ROOT / "services" / name / "__main__.py").exists(), name
    from services.cli import SERVICES as SERVABLE

    assert set(SERVABLE) == set(SERVICES)


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    admitted = set(_context_entries())
    copied = set()
    for line in re.findall(r"(?m)^COPY (?!--from)(.+)$", DOCKERFILE):
        copied.update(part.rstrip("/") for part in line.split()[:-1])
    assert copied == admitted


def test_the_project_built_from_the_context_carries_every_data_file(tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    for entry in _context_entries():
        source = ROOT / entry
        if source.is_dir():
            shutil.copytree(source, context / entry, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, context / entry)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path / "out"),
            str(context),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if built.returncode != 0 and "No matching distribution found for setuptools" in built.stderr:
        pytest.skip("no package index reachable to fetch the build backend")
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "out").glob("egov_platform-*.whl")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    data = {
        str(p.relative_to(context))
        for p in context.rglob("*")
        if p.is_file()
        and p.suffix != ".py"
        and p.parts[len(context.parts)] in ("shared", "services")
    }
    assert data, "expected data files (calendar, catalog, templates)"
    assert data - in_wheel == set(), "data files the image would lack (package-data in pyproject)"
    assert "shared/calendar/data/2026.json" in in_wheel
