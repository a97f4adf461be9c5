"""Apache Kafka for the dev stack and the tests: a pinned broker from Maven Central, run as a
single-node KRaft server (combined controller and broker).

The jars are fetched once by `mvn dependency:copy-dependencies` (dev/apache-kafka/pom.xml)
into .dev/kafka/<version>/libs, with Maven's own repository in .dev/m2; later runs reuse them.
Each stack formats its own log directory and writes its own server.properties:

    <state>/kafka/server.properties   <state>/kafka/data/   <state>/logs/kafka.log

With `tls` it also opens a SASL_SSL listener (SCRAM, the same principals and ACLs) whose
certificate is given as PEM files: the production protocol, for a test that proves it.

Nothing in shared/ or services/ knows about this module: they read EGOV_KAFKA_BOOTSTRAP.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dev import kafka_security

KAFKA_VERSION = "4.1.1"
HERE = Path(__file__).resolve().parent / "apache-kafka"
REPO_ROOT = HERE.parents[1]
CACHE = REPO_ROOT / ".dev" / "kafka" / KAFKA_VERSION
MAVEN_REPO = REPO_ROOT / ".dev" / "m2"
HEAP = ("-Xms256m", "-Xmx768m")
FETCH_TIMEOUT_S = 900.0


class BrokerUnavailable(RuntimeError):
    """Apache Kafka cannot run here (no JDK, or no jars and no Maven to fetch them)."""


def java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def missing_tools() -> list[str]:
    """What this machine lacks to run the broker: [] when it can."""
    missing = [] if java() else ["a JDK (java)"]
    if not (CACHE / "libs" / ".complete").exists() and shutil.which("mvn") is None:
        missing.append("Maven (mvn), to fetch the broker's jars once")
    return missing


def libs(log: Callable[[str], None] = print) -> Path:
    """The broker's jar directory, fetched from Maven Central the first time."""
    target = CACHE / "libs"
    if (target / ".complete").exists():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerUnavailable("Maven (mvn) is needed once to fetch Apache Kafka's jars")
    staging = CACHE / f"libs.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        mvn, "-B", "-q", "-f", str(HERE / "pom.xml"), f"-Dkafka.version={KAFKA_VERSION}",
        f"-Dmaven.repo.local={MAVEN_REPO}", "dependency:copy-dependencies",
        "-DincludeScope=runtime", f"-DoutputDirectory={staging}",
    ]  # fmt: skip
    log(f"fetching Apache Kafka {KAFKA_VERSION} from Maven Central into {target} (once)")
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S)
    except subprocess.TimeoutExpired as error:
        raise BrokerUnavailable(f"`mvn` took over {FETCH_TIMEOUT_S:.0f} s") from error
    if result.returncode != 0 or not any(staging.glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise BrokerUnavailable(f"`{' '.join(command)}` failed (exit {result.returncode}):\n{tail}")
    (staging / ".complete").write_text(KAFKA_VERSION + "\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def server_properties(data: Path, ports: Ports, tls_keystore: Path | None = None) -> str:
    """A combined controller+broker with the settings a one-node test cluster needs: the
    harness listener (PLAINTEXT, a super user), the services' listener (SASL/SCRAM, ACLs
    enforced, see dev/kafka_security.py), with `tls_keystore` (the broker's key and
    certificate chain, PEM) the same behind TLS (SASL_SSL), and the controller's."""
    listeners = {"PLAINTEXT": ports.harness, "SASL_PLAINTEXT": ports.sasl}
    if tls_keystore is not None:
        if ports.tls is None:
            raise ValueError("a TLS listener needs a port (ports_for(..., tls=True))")
        listeners["SASL_SSL"] = ports.tls
    listeners["CONTROLLER"] = ports.controller  # last: not advertised
    urls = ",".join(f"{name}://127.0.0.1:{port}" for name, port in listeners.items())
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{ports.controller}",
        "listeners": urls,
        "advertised.listeners": urls.rpartition(",")[0],
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": ",".join(
            f"{name}:{'PLAINTEXT' if name == 'CONTROLLER' else name}" for name in listeners
        ),
        "sasl.enabled.mechanisms": kafka_security.MECHANISM,
        **{
            f"listener.name.{name.lower()}.{kafka_security.MECHANISM.lower()}.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            )
            for name in listeners
            if name.startswith("SASL_")
        },
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        # The harness and controller listeners are anonymous; only they are super users.
        "super.users": "User:ANONYMOUS",
        "allow.everyone.if.no.acl.found": "false",
        "log.dirs": str(data),
        # Topics are created from the contracts registry (`egov topics ensure`), never by use.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        "group.initial.rebalance.delay.ms": "0",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "log.flush.interval.messages": "9223372036854775807",
    }
    if tls_keystore is not None:  # Kafka reads PEM itself: no conversion, no store password
        settings |= {
            "listener.name.sasl_ssl.ssl.keystore.type": "PEM",
            "listener.name.sasl_ssl.ssl.keystore.location": str(tls_keystore),
        }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _jvm() -> list[str]:
    jvm = [java() or "java", *HEAP, "-cp", f"{CACHE / 'libs'}/*"]
    return jvm + [f"-Dlog4j2.configurationFile={HERE / 'log4j2.properties'}"]


def argv(state_dir: Path) -> list[str]:
    """The broker's command line (run `prepare` first)."""
    return [*_jvm(), "kafka.Kafka", str(state_dir / "kafka" / "server.properties")]


@dataclass(frozen=True)
class Ports:
    harness: int  # PLAINTEXT, super user: tests and the operator's tools
    sasl: int  # SASL_PLAINTEXT with SCRAM: the services, each as its own principal
    controller: int
    tls: int | None = None  # SASL_SSL with SCRAM, when the broker has a certificate


@dataclass(frozen=True)
class TlsFiles:
    """The TLS listener's certificate, as PEM files."""

    certfile: Path  # the broker's certificate (then any intermediates), for 127.0.0.1
    keyfile: Path  # its private key, unencrypted
    cafile: Path  # what clients trust: the CA that signed certfile


def ports_for(
    state_dir: Path, harness: int, *, keep_data: bool, free: Callable[[], int], tls: bool = False
) -> Ports:
    """The broker's ports: a durable broker restarts on the ports it had (clients and the
    principals' identities know them); otherwise new free ones beside `harness`."""
    saved = state_dir / "kafka" / "ports.json"
    known = json.loads(saved.read_text()) if keep_data and saved.exists() else {}
    sasl, controller = int(known.get("sasl") or free()), int(known.get("controller") or free())
    tls_port = int(known.get("tls") or free()) if tls else None
    ports = Ports(harness, sasl, controller, tls_port)
    saved.parent.mkdir(parents=True, exist_ok=True)
    kept = {"sasl": sasl, "controller": controller} | ({"tls": tls_port} if tls else {})
    saved.write_text(json.dumps(kept) + "\n")
    return ports


def prepare(state_dir: Path, ports: Ports, *, keep_data: bool, tls: TlsFiles | None = None) -> None:
    """Fetch the jars if needed, write the configuration and the principals' passwords, format
    the log directory if new (with every principal's SCRAM credential). With `tls` the broker
    also listens on ports.tls with SASL_SSL."""
    if java() is None:
        raise BrokerUnavailable("Apache Kafka needs a JDK (java on PATH or JAVA_HOME)")
    libs()
    home = state_dir / "kafka"
    data = home / "data"
    if not keep_data:
        shutil.rmtree(data, ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    keystore = None
    if tls is not None:
        keystore = home / "tls-keystore.pem"
        keystore.touch(mode=0o600)
        keystore.write_text(tls.keyfile.read_text() + tls.certfile.read_text())
    config = home / "server.properties"
    config.write_text(server_properties(data, ports, keystore))
    over_tls = (f"127.0.0.1:{ports.tls}", tls.cafile) if tls is not None and ports.tls else None
    identities = kafka_security.make_identities(state_dir, f"127.0.0.1:{ports.sasl}", over_tls)
    if (data / "meta.properties").exists():
        return
    # A one-shot tool: the client compiler alone saves a second or two of its run; not for the
    # broker, whose throughput the benchmarks measure.
    fmt = [*_jvm(), "-XX:TieredStopAtLevel=1", "kafka.tools.StorageTool", "format"]
    fmt += ["-t", _cluster_id()]
    fmt += kafka_security.scram_arguments(identities)
    result = subprocess.run([*fmt, "-c", str(config)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        output = result.stdout + result.stderr
        raise BrokerUnavailable(f"formatting {data} failed (exit {result.returncode}):\n{output}")


def _cluster_id() -> str:
    """A new cluster id in Kafka's format (URL-safe base64 of 16 random bytes, no padding).
    Never one that starts with "-": `kafka-storage format -t -x...` reads it as an option and
    fails (one stack in 64); Kafka's own Uuid.randomUuid() skips those too."""
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not candidate.startswith("-"):
            return candidate


def label() -> str:
    return f"Apache Kafka {KAFKA_VERSION}"


def transactional_batches(state_dir: Path, topic: str) -> tuple[int, int]:
    """(transactional, all) record batches of a topic on a stopped or running broker of the
    stack, read from its log segments with the broker's own DumpLogSegments tool."""
    data = state_dir / "kafka" / "data"
    segments = sorted(str(f) for f in data.glob(f"{topic}-[0-9]*/*.log"))
    if not segments:
        return 0, 0
    tool = [*_jvm(), "kafka.tools.DumpLogSegments", "--files", ",".join(segments)]
    out = subprocess.run(tool, capture_output=True, text=True, check=True, timeout=300).stdout
    flags = re.findall(r"isTransactional: (true|false)", out)
    return flags.count("true"), len(flags)
