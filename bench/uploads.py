"""Upload and verification throughput: MB/s of intake's upload flow (slot from intake, the
browser's PUT to the pre-signed URL, intake's verification reading the object back: hash, size
and kind) for a few file sizes, next to a bare S3 PUT and GET of the same bytes to the same
s3rver in the same run (the bound: the flow moves every byte in and out once).

    .venv/bin/python -m bench.uploads --write-docs           # on a private stack it starts
    EGOV_KAFKA_BOOTSTRAP=... EGOV_MONGO_URI=... EGOV_OBJECT_STORE_URL=... \\
        .venv/bin/python -m bench.uploads --use-env          # on a running one

Intake runs as a subprocess (uvicorn, one worker); the files are one-page PDFs padded to size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.intake_bench import DOCS, cpu_seconds, wait_ready  # noqa: E402
from bench.report import markers, write_section  # noqa: E402
from demo.uploads import put_bytes, request_slot, sample_pdf, verify  # noqa: E402
from dev import devstack  # noqa: E402
from shared.identifiers import make_resident_id  # noqa: E402
from shared.objectstore import material_key  # noqa: E402
from shared.objectstore.s3 import S3ObjectStore  # noqa: E402
from shared.objectstore.settings import ObjectStoreSettings  # noqa: E402
from shared.settings import ServiceSettings  # noqa: E402
from tests.support.processes import free_port  # noqa: E402
from tests.support.tokens import applicant_token  # noqa: E402

START, END = markers("uploads-bench")
SIZES = {"100 KB": 100_000, "1 MB": 1_000_000, "10 MB": 10_000_000}
ITEM, MATERIAL = "500000-SCJ-001", "articles"


def padded_pdf(size: int, n: int) -> bytes:
    """A PDF of exactly ``size`` bytes (trailing comment bytes after %%EOF, as scanners add)."""
    head = sample_pdf(f"bench upload {n}")
    return head + b"\n%" + bytes(48 + (i * 7 + n) % 64 for i in range(size - len(head) - 2))


async def timed(rounds: int, op: Callable[[int], Awaitable[None]]) -> float:
    await op(-1)  # warm-up: connections, the catalog cache
    started = time.perf_counter()
    for i in range(rounds):
        await op(i)
    return time.perf_counter() - started


async def flow_seconds(
    intake: str, data: dict[int, bytes], size: int, rounds: int, pid: int
) -> tuple[float, float]:
    """Seconds for ``rounds`` uploads through intake, and intake's CPU seconds meanwhile."""
    person = make_resident_id("500103", date(1990, 1, 1), 7)
    token = applicant_token(ServiceSettings(), id_number=person, name="压测用户")
    me = {"Authorization": f"Bearer {token}"}
    slot_body = {"item_code": ITEM, "material_code": MATERIAL, "file_type": "pdf", "size": size}
    async with httpx.AsyncClient(timeout=120) as http:

        async def flow(i: int) -> None:
            slot = await request_slot(http, intake, me, slot_body)
            await put_bytes(http, slot, data[i])
            done = await verify(http, intake, me, slot)
            assert done["status"] == "verified" and done["size"] == size, done

        cpu = cpu_seconds(pid) or 0.0
        seconds = await timed(rounds, flow)
        return seconds, (cpu_seconds(pid) or 0.0) - cpu


async def bare_seconds(
    objects: S3ObjectStore, data: dict[int, bytes], size: int, rounds: int
) -> dict[str, float]:
    """Seconds for ``rounds`` S3 PUTs (the client; a browser's PUT to a pre-signed URL) and
    GETs of the same bytes."""
    keys = {i: material_key(f"up-bench-{uuid.uuid4().hex}") for i in data}
    signed = {i: material_key(f"up-bench-{uuid.uuid4().hex}") for i in data}
    async with httpx.AsyncClient(timeout=120) as http:

        async def put(i: int) -> None:
            await objects.put(keys[i], data[i], content_type="application/pdf")

        async def signed_put(i: int) -> None:
            url = await objects.presign_put(
                signed[i], size=size, content_type="application/pdf", expires=timedelta(minutes=5)
            )
            resp = await http.put(url, content=data[i], headers={"Content-Type": "application/pdf"})
            assert resp.status_code in (200, 204), resp.text

        async def get(i: int) -> None:
            got = 0
            async for chunk in objects.read(keys[i]):
                got += len(chunk)
            assert got == size

        times = {
            "put": await timed(rounds, put),
            "signed_put": await timed(rounds, signed_put),
            "get": await timed(rounds, get),
        }
    for key in [*keys.values(), *signed.values()]:
        await objects.delete(key)
    return times


async def bench_size(
    label: str, size: int, rounds: int, intake: str, objects: S3ObjectStore, pid: int
) -> dict[str, Any]:
    data = {i: padded_pdf(size, i) for i in range(-1, rounds)}
    flow_s, cpu_s = await flow_seconds(intake, data, size, rounds, pid)
    bare = await bare_seconds(objects, data, size, rounds)
    mb = size * rounds / 1e6
    return {
        "label": label,
        "rounds": rounds,
        "flow": mb / flow_s,
        "flow_ms": flow_s / rounds * 1000,
        "intake_cpu": cpu_s / flow_s,
        "put": mb / bare["put"],
        "signed_put": mb / bare["signed_put"],
        "get": mb / bare["get"],
        "bound": mb / (bare["signed_put"] + bare["get"]),
    }


async def run(args: argparse.Namespace, env: dict[str, str]) -> list[dict[str, Any]]:
    port = free_port()
    run_id = uuid.uuid4().hex[:8]
    sub_env = {
        **os.environ,
        **env,
        "EGOV_HTTP_PORT": str(port),
        "EGOV_MONGO_DB": f"uploads_bench_{run_id}",
        "EGOV_CONSUMER_GROUP": f"uploads-bench-{run_id}",
        "EGOV_LOG_LEVEL": "WARNING",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.intake",
        cwd=ROOT,
        env=sub_env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    objects = S3ObjectStore(ObjectStoreSettings())
    try:
        await wait_ready(url, proc)
        results = []
        for label, size in SIZES.items():
            rounds = max(2, args.megabytes * 1_000_000 // size)
            results.append(await bench_size(label, size, rounds, url, objects, proc.pid))
            print(describe(results[-1]), flush=True)
        return results
    finally:
        await objects.aclose()
        proc.terminate()
        await proc.wait()


def describe(r: dict[str, Any]) -> str:
    return (
        f"{r['label']} x{r['rounds']}: intake flow {r['flow']:.1f} MB/s "
        f"({r['flow_ms']:.0f} ms each, intake {r['intake_cpu']:.0%} of a core); bare S3 put "
        f"{r['put']:.1f} MB/s, pre-signed put {r['signed_put']:.1f} MB/s, get {r['get']:.1f} "
        f"MB/s, bound (pre-signed put + get) {r['bound']:.1f} MB/s"
    )


def render(results: list[dict[str, Any]], command: str, load: str, stack: str) -> str:
    lines = [
        START,
        "## Uploads: slot, PUT and verification",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} "
        f"({os.cpu_count()} CPUs, shared with other work; {load} before the run), "
        f"{stack}; intake as a subprocess (uvicorn, one worker); files are PDFs padded to size, "
        "sent one after another.",
        "",
        "| size | files | intake: slot + PUT + verify MB/s | ms per file | intake CPU | "
        "bare S3 PUT (client) MB/s | PUT to a pre-signed URL MB/s | bare S3 GET MB/s | "
        "bound: pre-signed PUT + GET MB/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['label']} | {r['rounds']} | {r['flow']:.1f} | {r['flow_ms']:.0f} | "
            f"{r['intake_cpu']:.0%} | {r['put']:.1f} | {r['signed_put']:.1f} | {r['get']:.1f} | "
            f"{r['bound']:.1f} |"
        )
    lines += [
        "",
        "The bound moves each file's bytes once into the store and once out, as the flow must "
        "(the browser's PUT, intake's read to hash, measure and sniff the object); the flow adds "
        "two requests to intake (the slot, pre-signed; the verification, which records the "
        "upload in MongoDB) and intake's SHA-256 over the bytes. "
        f"Small files pay a fixed cost per upload ({results[0]['flow_ms']:.0f} ms for "
        f"{results[0]['label']}, intake's process busy "
        f"{results[0]['intake_cpu']:.0%} of that time, waiting the rest); large ones approach the "
        f"bound ({results[-1]['flow'] / results[-1]['bound']:.0%} of it at {results[-1]['label']}).",
        "",
        "Command:",
        "",
        "```",
        command,
        "```",
        END,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=20, help="MB sent per file size")
    parser.add_argument(
        "--use-env", action="store_true", help="the stack of EGOV_* instead of a private one"
    )
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    load = "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(load)
    command = ".venv/bin/python -m bench.uploads " + " ".join(sys.argv[1:])
    if args.use_env:
        results = asyncio.run(run(args, {}))
        stack = "the stack of the environment"
    else:
        with tempfile.TemporaryDirectory(prefix="egov-uploads-bench-") as tmp:
            info = devstack.start_stack(
                Path(tmp), kafka_port=0, mongo_port=0, memory_db=True, objects=True
            )
            try:
                env = info.env()
                os.environ.update(env)
                devstack.ensure_topics(env)
                results = asyncio.run(run(args, env))
            finally:
                devstack.stop_stack(Path(tmp))
        stack = f"a private stack ({info.broker_label}, SecantusDB in memory, s3rver 3.7)"
    if args.write_docs:
        write_section("uploads-bench", render(results, command, load, stack))
        print(f"wrote {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
