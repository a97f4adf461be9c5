"""`make demo`: make sure an accelerated local platform runs, then play a simulated day on it.

When no platform runs, one is started in the background with the accelerated clock and left
running afterwards so you can look around (`make stop` ends it). When one already runs, the
demo uses it (and warns if it runs on the real clock).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))

from dev import devstack  # noqa: E402
from dev.run_platform import PLATFORM, PROCESSES, STATE_DIR  # noqa: E402


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback
            return bool(resp.status == 200)
    except OSError:
        return False


def ensure_platform(speed: float) -> None:
    if devstack.running_pid(STATE_DIR, PLATFORM) is not None:
        print("using the platform that is already running")
        return
    log = STATE_DIR / "logs" / "platform.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"starting the platform with the accelerated clock ({speed:g}x); log: {log}")
    with log.open("ab") as out:
        subprocess.Popen(  # noqa: S603 - our own script
            [
                sys.executable,
                "-m",
                "dev.run_platform",
                "start",
                "--speed",
                str(speed),
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    services = [p for p in PROCESSES if p.health_path and (REPO / (p.requires or "")).exists()]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if all(healthy(p.url + (p.health_path or "")) for p in services):
            print("platform ready")
            return
        time.sleep(1)
    sys.exit(f"the platform did not come up within 180 s; see {log}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--speed", type=float, default=2400.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    ensure_platform(args.speed)
    return subprocess.call(demo_command(args.cases, args.seed), cwd=REPO)  # noqa: S603


def demo_command(cases: int, seed: int) -> list[str]:
    """The day itself: `python -m demo` (the demo is its own package, not an `egov` command)."""
    return [sys.executable, "-m", "demo", "--cases", str(cases), "--seed", str(seed)]


if __name__ == "__main__":
    sys.exit(main())
