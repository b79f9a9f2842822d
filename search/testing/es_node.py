"""Throw-away Elasticsearch (or OpenSearch) node for the test suite.

The node is the modules-only ``integ-test-zip`` distribution published on
Maven Central. It is fetched with Maven (``mvn``), unpacked once into
``<repo>/.cache/elasticsearch/`` and started on loopback with a small heap,
its data and logs in a temporary directory. Only the standard library is used,
so this module can be imported without Django.

Usage::

    with ElasticsearchNode() as node:
        print(node.url)

    with ElasticsearchCluster(2) as cluster:   # nodes that discover each other on loopback
        print(cluster.urls)

Command line::

    python -m search.testing.es_node fetch   # prefetch into the cache (CI)
    python -m search.testing.es_node run     # run a node in the foreground

What the distributions contain (checked for Elasticsearch 8.19 and 9.5, OpenSearch 3.8):
the Elasticsearch integ-test-zip ships only the ``transport-netty4``, ``x-pack-core``,
``x-pack-security`` and ``apm`` modules. There is no ``analysis-common`` (no
``whitespace``/``keyword``/``ngram`` tokenizers, no ``asciifolding``/``edge_ngram``
filters; built-in analyzers ``standard``, ``simple``, ``whitespace``, ``stop`` and
``keyword`` and the ``standard`` tokenizer with ``lowercase``/``stop``/``shingle`` filters
do work) and no ``rest-root`` (``GET /`` and ``HEAD /``, i.e. the clients' ``info()`` and
``ping()``, get HTTP 405). The OpenSearch integ-test-zip ships all its modules.

Environment variables (all optional):

``SEARCH_NODE_ENGINE``
    ``elasticsearch`` (default) or ``opensearch``.
``SEARCH_NODE_VERSION``
    Distribution version; defaults to the engine's pinned version.
``SEARCH_NODE_CACHE``
    Cache directory; defaults to ``<repo>/.cache/elasticsearch``.
``SEARCH_NODE_JAVA_HOME`` (or ``ES_JAVA_HOME`` / ``OPENSEARCH_JAVA_HOME``)
    JDK to run the node with; by default the newest JDK found among ``$JAVA_HOME``,
    ``java`` on ``PATH`` and ``/usr/lib/jvm/*`` (the distributions need Java 21+).
``SEARCH_NODE_USER``
    Account the node runs as when the tests run as root (Elasticsearch and
    OpenSearch refuse to start as root); defaults to ``nobody``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import ctypes.util
import fcntl
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import weakref
import zipfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE_DIR = REPO_ROOT / ".cache" / "elasticsearch"

# Pinned so that the Maven invocation does not depend on Maven's default plugin version.
MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

DEFAULT_HEAP_MIN = "256m"
DEFAULT_HEAP_MAX = "512m"
# C1-only JIT: roughly halves the CPU spent starting the node; plenty for tests.
DEFAULT_JVM_OPTIONS = ("-XX:TieredStopAtLevel=1",)
# A node starts in 20–40 s on a quiet 2-core machine; `make test` runs two passes at once, each
# with its own node, beside browsers and servers, so the wait before giving up is generous.
DEFAULT_STARTUP_TIMEOUT = 240.0
DEFAULT_STOP_TIMEOUT = 30.0
LOG_TAIL_LINES = 60


@dataclass(frozen=True)
class Engine:
    """How one search engine's integ-test-zip is named, laid out and launched."""

    name: str
    group_id: str
    artifact_id: str
    default_version: str
    script: str
    config_file: str
    env_prefix: str  # "ES" or "OPENSEARCH": <prefix>_JAVA_HOME, <prefix>_PATH_CONF, ...

    def coordinate(self, version: str) -> str:
        return f"{self.group_id}:{self.artifact_id}:{version}:zip"


# Default versions: the newest integ-test-zips served by Maven Central when pinned.
ENGINES: dict[str, Engine] = {
    "elasticsearch": Engine(
        name="elasticsearch",
        group_id="org.elasticsearch.distribution.integ-test-zip",
        artifact_id="elasticsearch",
        default_version="8.19.21",
        script="bin/elasticsearch",
        config_file="elasticsearch.yml",
        env_prefix="ES",
    ),
    "opensearch": Engine(
        name="opensearch",
        group_id="org.opensearch.distribution.integ-test-zip",
        artifact_id="opensearch",
        default_version="3.8.0",
        script="bin/opensearch",
        config_file="opensearch.yml",
        env_prefix="OPENSEARCH",
    ),
}
DEFAULT_ENGINE = "elasticsearch"


class NodeError(RuntimeError):
    """Base class for errors raised by this module."""


class DistributionError(NodeError):
    """The distribution could not be fetched or unpacked."""


class JavaNotFoundError(NodeError):
    """No JDK recent enough for the distribution was found."""


class NodeStartError(NodeError):
    """The node did not come up (the message ends with the tail of its log)."""


class NodeRequestError(NodeError):
    """An HTTP request to the node returned an error status."""

    def __init__(self, method: str, url: str, status: int, body: str):
        super().__init__(f"{method} {url} -> HTTP {status}: {body[:2000]}")
        self.status = status
        self.body = body


# --------------------------------------------------------------------------- helpers


def find_free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is currently free on ``host``."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines))
    except OSError as exc:
        return f"<could not read {path}: {exc}>"


def _java_major(version: str) -> int:
    """``"1.8.0_402"`` -> 8, ``"25.0.3"`` -> 25, ``"21"`` -> 21."""
    parts = re.findall(r"\d+", version)
    if not parts:
        raise ValueError(f"unparseable Java version {version!r}")
    major = int(parts[0])
    if major == 1 and len(parts) > 1:
        major = int(parts[1])
    return major


def java_home_version(home: Path) -> int | None:
    """Major version of the JDK at ``home``, or None if it is not a usable JDK."""
    java = home / "bin" / "java"
    if not os.access(java, os.X_OK):
        return None
    release = home / "release"
    if release.is_file():
        match = re.search(r'^JAVA_VERSION="([^"]+)"', release.read_text(errors="replace"), re.M)
        if match:
            return _java_major(match.group(1))
    try:
        result = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "([^"]+)"', result.stderr)
    return _java_major(match.group(1)) if match else None


def _candidate_java_homes(engine: Engine) -> list[Path]:
    candidates: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    java_on_path = shutil.which("java")
    if java_on_path:
        candidates.append(Path(os.path.realpath(java_on_path)).parent.parent)
    for pattern_root in (Path("/usr/lib/jvm"), Path("/opt/java"), Path("/usr/local/lib/jvm")):
        if pattern_root.is_dir():
            candidates.extend(sorted(p for p in pattern_root.iterdir() if p.is_dir()))
    unique: list[Path] = []
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved not in unique:
            unique.append(resolved)
    return unique


def find_java_home(required: int, engine: Engine) -> Path:
    """Pick a JDK whose major version is at least ``required``.

    ``SEARCH_NODE_JAVA_HOME`` (or ``ES_JAVA_HOME`` / ``OPENSEARCH_JAVA_HOME``) wins if
    set and must then be recent enough; otherwise the newest suitable JDK among the
    usual places is chosen.
    """
    for var in ("SEARCH_NODE_JAVA_HOME", f"{engine.env_prefix}_JAVA_HOME"):
        explicit = os.environ.get(var)
        if not explicit:
            continue
        version = java_home_version(Path(explicit))
        if version is None or version < required:
            raise JavaNotFoundError(
                f"{var}={explicit} is Java {version}; {engine.name} needs Java {required}+"
            )
        return Path(explicit)
    found = []
    for home in _candidate_java_homes(engine):
        version = java_home_version(home)
        if version is not None:
            found.append((version, home))
    suitable = [item for item in found if item[0] >= required]
    if not suitable:
        seen = ", ".join(f"{home} (Java {version})" for version, home in found) or "none"
        raise JavaNotFoundError(
            f"{engine.name} needs Java {required}+ but no such JDK was found "
            f"(found: {seen}). Install one or set SEARCH_NODE_JAVA_HOME."
        )
    return max(suitable, key=lambda item: item[0])[1]


def _set_parent_death_signal() -> None:  # pragma: no cover - runs in the child
    """Have the kernel SIGTERM the node if the test process dies (Linux only)."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(libc_name, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


# --------------------------------------------------------------------------- node


_LIVE_NODES: weakref.WeakSet[ElasticsearchNode] = weakref.WeakSet()


@atexit.register
def _stop_leftover_nodes() -> None:
    for node in list(_LIVE_NODES):
        with contextlib.suppress(Exception):
            node.stop(timeout=10)


@dataclass(frozen=True)
class ClusterPeers:
    """Where the members of one test cluster find each other: a transport port for each node
    name, chosen free when the cluster is made, so that every node can list them all in
    ``discovery.seed_hosts`` before any of them runs."""

    cluster_name: str
    transport_ports: dict[str, int]

    @property
    def seed_hosts(self) -> list[str]:
        return [f"127.0.0.1:{port}" for port in self.transport_ports.values()]


class ElasticsearchNode:
    """A single-node cluster on 127.0.0.1, started from the cached integ-test-zip (or, given
    ``peers``, one member of an :class:`ElasticsearchCluster`).

    ``stop()`` followed by ``start()`` brings the node back on the same port (so
    URLs handed to Django stay valid); pass ``keep_data=True`` to ``stop()`` (or
    use ``restart()``) to keep indices across the restart.
    """

    def __init__(
        self,
        engine: str | None = None,
        version: str | None = None,
        *,
        port: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        heap_min: str = DEFAULT_HEAP_MIN,
        heap_max: str = DEFAULT_HEAP_MAX,
        jvm_options: tuple[str, ...] | list[str] = DEFAULT_JVM_OPTIONS,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        settings: dict[str, object] | None = None,
        run_as: str | None = None,
        peers: ClusterPeers | None = None,
        node_name: str = "search-test-node",
    ):
        engine_name = engine or os.environ.get("SEARCH_NODE_ENGINE") or DEFAULT_ENGINE
        if engine_name not in ENGINES:
            raise ValueError(f"unknown engine {engine_name!r}; choose one of {sorted(ENGINES)}")
        self.engine = ENGINES[engine_name]
        self.version = (
            version or os.environ.get("SEARCH_NODE_VERSION") or self.engine.default_version
        )
        self.host = "127.0.0.1"
        self.cache_dir = Path(
            cache_dir or os.environ.get("SEARCH_NODE_CACHE") or DEFAULT_CACHE_DIR
        ).resolve()
        self.heap_min = heap_min
        self.heap_max = heap_max
        self.jvm_options = list(jvm_options)
        self.startup_timeout = startup_timeout
        self.extra_settings = dict(settings or {})
        self.run_as = run_as or os.environ.get("SEARCH_NODE_USER") or "nobody"

        self._port: int | None = port
        self._process: subprocess.Popen[bytes] | None = None
        self._console = None
        self._workdir: Path | None = None
        self.peers = peers
        self.node_name = node_name
        self._launched_at = 0.0
        self.cluster_name = peers.cluster_name if peers else f"search-test-{uuid.uuid4().hex[:8]}"
        # A cluster member bootstraps the cluster on its first start only: once it has joined,
        # the cluster's own state says who votes (and Elasticsearch warns about the setting).
        self._bootstrapped = False
        self.java_home: Path | None = None
        self.startup_seconds: float | None = None

    # ----------------------------------------------------------------- properties

    @property
    def coordinate(self) -> str:
        return self.engine.coordinate(self.version)

    @property
    def home(self) -> Path:
        """Unpacked distribution (ES_HOME / OPENSEARCH_HOME)."""
        return self.cache_dir / f"{self.engine.name}-{self.version}"

    @property
    def port(self) -> int:
        if self._port is None:
            raise NodeError("the node has not been started yet")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def workdir(self) -> Path | None:
        """Temporary directory holding config, data and logs of the running node."""
        return self._workdir

    @property
    def console_log(self) -> Path | None:
        return self._workdir / "console.log" if self._workdir else None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def modules(self) -> list[str]:
        """Names of the modules shipped in the distribution."""
        modules_dir = self.home / "modules"
        return sorted(p.name for p in modules_dir.iterdir()) if modules_dir.is_dir() else []

    def has_module(self, name: str) -> bool:
        return (self.home / "modules" / name).is_dir()

    def required_java_version(self) -> int:
        """Highest ``java.version`` declared by the distribution's modules."""
        required = 17
        for descriptor in (self.home / "modules").glob("*/plugin-descriptor.properties"):
            for line in descriptor.read_text(errors="replace").splitlines():
                if line.startswith("java.version="):
                    required = max(required, _java_major(line.split("=", 1)[1]))
        return required

    # ---------------------------------------------------------------- distribution

    def ensure_distribution(self) -> Path:
        """Fetch (with Maven) and unpack the distribution once; return its home."""
        if self._distribution_ready():
            return self.home
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(PermissionError):
            self.cache_dir.chmod(0o755)  # the node may run as another user (see run_as)
        with (self.cache_dir / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent test workers wait here
            if not self._distribution_ready():
                archive = self._fetch_archive()
                try:
                    self._unpack(archive)
                finally:
                    archive.unlink(missing_ok=True)
        return self.home

    def _distribution_ready(self) -> bool:
        return (self.home / self.engine.script).is_file()

    def _fetch_archive(self) -> Path:
        mvn = shutil.which("mvn")
        if mvn is None:
            raise DistributionError(
                "Maven ('mvn') is not on PATH. It is needed to fetch "
                f"{self.coordinate} from Maven Central into {self.cache_dir}. "
                "Install Maven (e.g. apt-get install maven) or run "
                "'python -m search.testing.es_node fetch' where Maven is available."
            )
        downloads = self.cache_dir / "downloads"
        downloads.mkdir(exist_ok=True)
        command = [
            mvn,
            "--batch-mode",
            "--quiet",
            "-Dstyle.color=never",
            f"{MAVEN_DEPENDENCY_PLUGIN}:copy",
            f"-Dartifact={self.coordinate}",
            f"-DoutputDirectory={downloads}",
        ]
        try:
            result = subprocess.run(
                command, cwd=downloads, capture_output=True, text=True, timeout=1800, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise DistributionError(f"Maven timed out fetching {self.coordinate}") from exc
        archive = downloads / f"{self.engine.artifact_id}-{self.version}.zip"
        if result.returncode != 0 or not archive.is_file():
            output = (result.stdout + result.stderr).strip()[-4000:]
            raise DistributionError(
                f"Maven could not fetch {self.coordinate} (exit {result.returncode}).\n"
                f"Command: {' '.join(command)}\n{output}"
            )
        return archive

    def _unpack(self, archive: Path) -> None:
        staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=self.cache_dir))
        try:
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    target = Path(zf.extract(info, staging))
                    mode = (info.external_attr >> 16) & 0o777
                    if info.is_dir():
                        target.chmod(0o755)
                    else:
                        # Keep executable bits; everything readable by the node's user.
                        target.chmod((mode | 0o644) & 0o755 if mode else 0o644)
            roots = [p for p in staging.iterdir() if p.is_dir()]
            if len(roots) != 1 or not (roots[0] / self.engine.script).is_file():
                raise DistributionError(f"unexpected layout in {archive.name}: {roots}")
            roots[0].chmod(0o755)
            roots[0].rename(self.home)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # -------------------------------------------------------------------- lifecycle

    def start(self) -> ElasticsearchNode:
        """Start the node and wait until the cluster is at least yellow."""
        if self.is_running():
            return self
        self.launch()
        return self.wait_until_ready()

    def launch(self) -> ElasticsearchNode:
        """Start the node's process without waiting for it. The members of a cluster are all
        launched before any is waited on: a lone member waits for its peers."""
        if self.is_running():
            return self
        self.ensure_distribution()
        self.java_home = find_java_home(self.required_java_version(), self.engine)
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix=f"{self.engine.name}-node-"))
            self._prepare_workdir()
        self._write_settings()
        self._launched_at = time.monotonic()
        self._launch()
        _LIVE_NODES.add(self)
        return self

    def wait_until_ready(self) -> ElasticsearchNode:
        """Wait until the launched node answers and its cluster is at least yellow."""
        try:
            self._wait_until_ready(self._launched_at + self.startup_timeout)
        except BaseException:
            self._terminate(timeout=10)
            _LIVE_NODES.discard(self)
            raise
        self.startup_seconds = time.monotonic() - self._launched_at
        self._bootstrapped = True
        return self

    def stop(self, *, keep_data: bool = False, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """Stop the node (SIGTERM to its process group, SIGKILL after ``timeout``).

        The temporary directory is removed unless ``keep_data`` is true. The port is
        remembered either way, so a later ``start()`` comes back on the same URL.
        """
        self._terminate(timeout=timeout)
        _LIVE_NODES.discard(self)
        if not keep_data and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def kill(self) -> None:
        """Stop the node abruptly (SIGKILL), keeping its data for a restart."""
        self._terminate(timeout=0)
        _LIVE_NODES.discard(self)

    def restart(self) -> ElasticsearchNode:
        """Stop and start again on the same port, keeping indices."""
        self.stop(keep_data=True)
        return self.start()

    def __enter__(self) -> ElasticsearchNode:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        log = self.console_log
        return _tail(log, lines) if log else ""

    # ---------------------------------------------------------------------- HTTP

    def request(
        self, method: str, path: str, body: object = None, *, timeout: float = 30.0
    ) -> object:
        """Send a JSON request to the node; return the decoded response.

        ``body`` may be a dict/list (sent as JSON) or a str (sent as is, e.g. NDJSON
        for ``_bulk``). HTTP errors raise :class:`NodeRequestError`.
        """
        url = self.url + (path if path.startswith("/") else "/" + path)
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            if isinstance(body, str):
                data = body.encode("utf-8")
                headers["Content-Type"] = "application/x-ndjson"
            else:
                data = json.dumps(body).encode("utf-8")
                headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, headers=headers, method=method.upper())
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                payload = response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            raise NodeRequestError(
                method.upper(), url, exc.code, exc.read().decode("utf-8", "replace")
            ) from exc
        return json.loads(payload) if payload else None

    # ------------------------------------------------------------------ internals

    def _node_account(self) -> pwd.struct_passwd | None:
        """The unprivileged account to run as, if we are root."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(self.run_as)
        except KeyError as exc:
            raise NodeStartError(
                f"running as root and user {self.run_as!r} does not exist; "
                "set SEARCH_NODE_USER to an unprivileged account"
            ) from exc

    def _prepare_workdir(self) -> None:
        assert self._workdir is not None
        workdir = self._workdir
        shutil.copytree(
            self.home / "config",
            workdir / "config",
            ignore=shutil.ignore_patterns("*.keystore"),
        )
        for name in ("data", "logs", "tmp"):
            (workdir / name).mkdir()
        self._rewrite_jvm_options(workdir / "config")
        account = self._node_account()
        if account is not None:
            for path in [workdir, *workdir.rglob("*")]:
                os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)

    def _rewrite_jvm_options(self, config: Path) -> None:
        """Drop the stock heap size and point relative paths into the workdir."""
        assert self._workdir is not None
        logs = self._workdir / "logs"
        jvm_options = config / "jvm.options"
        lines = []
        for line in jvm_options.read_text().splitlines():
            if re.match(r"^(\d+(-\d*)?:)?-Xm[sx]", line):
                continue
            line = line.replace("file=logs/", f"file={logs}/")
            line = line.replace("-XX:ErrorFile=logs/", f"-XX:ErrorFile={logs}/")
            line = line.replace("-XX:HeapDumpPath=data", f"-XX:HeapDumpPath={self._workdir}")
            lines.append(line)
        jvm_options.write_text("\n".join(lines) + "\n")
        options_d = config / "jvm.options.d"
        options_d.mkdir(exist_ok=True)
        options = [f"-Xms{self.heap_min}", f"-Xmx{self.heap_max}", *self.jvm_options]
        (options_d / "test-node.options").write_text("".join(f"{opt}\n" for opt in options))

    def _settings(self) -> dict[str, object]:
        assert self._workdir is not None
        # A remembered port (restart) is reused; otherwise the node binds port 0 and
        # reports the port it got through the ports file.
        settings: dict[str, object] = {
            "cluster.name": self.cluster_name,
            "node.name": self.node_name,
            "http.host": self.host,
            "http.port": self._port or 0,
            "transport.host": self.host,
            "transport.port": 0,
            "node.portsfile": True,
            "path.data": str(self._workdir / "data"),
            "path.logs": str(self._workdir / "logs"),
            "cluster.routing.allocation.disk.threshold_enabled": False,
            "action.destructive_requires_name": False,
        }
        if self.peers is None:
            settings["discovery.type"] = "single-node"
        else:
            settings["transport.port"] = self.peers.transport_ports[self.node_name]
            settings["discovery.seed_hosts"] = self.peers.seed_hosts
            if not self._bootstrapped:
                settings["cluster.initial_master_nodes"] = list(self.peers.transport_ports)
        # Only settings the distribution knows: unknown settings abort startup.
        if self.has_module("x-pack-security"):
            settings["xpack.security.enabled"] = False
        if self.has_module("x-pack-ml"):
            settings["xpack.ml.enabled"] = False
        if self.engine.name == "elasticsearch" and self.has_module("ingest-geoip"):
            settings["ingest.geoip.downloader.enabled"] = False
        settings.update(self.extra_settings)
        return settings

    def _write_settings(self) -> None:
        assert self._workdir is not None
        lines = [f"{key}: {json.dumps(value)}" for key, value in self._settings().items()]
        config_file = self._workdir / "config" / self.engine.config_file
        config_file.write_text("\n".join(lines) + "\n")
        ports_file = self._workdir / "logs" / "http.ports"
        ports_file.unlink(missing_ok=True)

    def _environment(self) -> dict[str, str]:
        assert self._workdir is not None and self.java_home is not None
        prefix = self.engine.env_prefix
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(f"{prefix}_")
            and key
            not in {"CLI_JAVA_OPTS", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"}
        }
        env.update(
            {
                f"{prefix}_JAVA_HOME": str(self.java_home),
                f"{prefix}_PATH_CONF": str(self._workdir / "config"),
                f"{prefix}_TMPDIR": str(self._workdir / "tmp"),
                "HOME": str(self._workdir),
                # Extra options for Elasticsearch's small launcher JVM.
                "CLI_JAVA_OPTS": " ".join(self.jvm_options),
            }
        )
        return env

    def _launch(self) -> None:
        assert self._workdir is not None
        account = self._node_account()
        self._console = (self._workdir / "console.log").open("ab")
        kwargs: dict[str, object] = {}
        if account is not None:
            kwargs.update(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
        if sys.platform.startswith("linux"):
            kwargs["preexec_fn"] = _set_parent_death_signal
        self._process = subprocess.Popen(
            [str(self.home / self.engine.script)],
            cwd=self._workdir,
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: launcher + server JVM
            **kwargs,
        )

    def _read_ports_file(self) -> int | None:
        assert self._workdir is not None
        ports_file = self._workdir / "logs" / "http.ports"
        try:
            content = ports_file.read_text()
        except OSError:
            return None
        for line in content.splitlines():
            host, _, port = line.strip().rpartition(":")
            if host == self.host and port.isdigit():
                return int(port)
        return None

    def _wait_until_ready(self, deadline: float) -> None:
        assert self._process is not None
        while True:
            if self._process.poll() is not None:
                raise NodeStartError(
                    f"{self.engine.name} {self.version} exited with code "
                    f"{self._process.returncode} during startup.\n"
                    f"--- {self.console_log} (tail) ---\n{self.log_tail()}"
                )
            if self._port is None:
                self._port = self._read_ports_file()
            if self._port is not None and self._cluster_is_up():
                return
            if time.monotonic() > deadline:
                raise NodeStartError(
                    f"{self.engine.name} {self.version} was not ready within "
                    f"{self.startup_timeout:.0f}s (url: "
                    f"{self.url if self._port else 'port not known yet'}).\n"
                    f"--- {self.console_log} (tail) ---\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def _cluster_is_up(self) -> bool:
        try:
            health = self.request(
                "GET", "/_cluster/health?wait_for_status=yellow&timeout=1s", timeout=5
            )
        except (NodeRequestError, OSError, ValueError):
            return False
        return isinstance(health, dict) and health.get("status") in ("yellow", "green")

    def _terminate(self, timeout: float) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM if timeout > 0 else signal.SIGKILL)
            try:
                process.wait(timeout=timeout if timeout > 0 else None)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # The server JVM is normally gone with the launcher; reap any straggler.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        self._process = None
        if self._console is not None:
            self._console.close()
            self._console = None
        if self._port is not None:
            # Wait until the port is released so a restart can bind it again.
            deadline = time.monotonic() + 10
            while port_is_open(self.host, self._port, timeout=0.2) and time.monotonic() < deadline:
                time.sleep(0.1)


class ElasticsearchCluster:
    """Several nodes of the same distribution that form one cluster on loopback: every node is
    master-eligible and holds data, finds the others through ``discovery.seed_hosts`` (transport
    ports chosen free at run time) and the first start bootstraps the cluster with all of them in
    ``cluster.initial_master_nodes``. No ``single-node`` discovery.

    Elasticsearch keeps an odd number of voters: of two master-eligible nodes only one holds the
    vote, and stopping that one stops the cluster (writes and elections) until it returns.
    :meth:`exclude_from_voting` moves the vote away from a node before it is stopped;
    :meth:`clear_voting_exclusions` gives it back once the node has returned.
    """

    def __init__(self, size: int = 2, **node_options: object):
        if size < 2:
            raise ValueError("a cluster has at least two nodes; use ElasticsearchNode for one")
        names = [f"search-test-node-{number}" for number in range(1, size + 1)]
        ports: dict[str, int] = {}
        for name in names:  # distinct even if the kernel hands out a port twice in a row
            port = find_free_port()
            while port in ports.values():
                port = find_free_port()
            ports[name] = port
        self.peers = ClusterPeers(f"search-test-{uuid.uuid4().hex[:8]}", ports)
        self.nodes = [ElasticsearchNode(peers=self.peers, node_name=name, **node_options) for name in names]

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> ElasticsearchCluster:
        """Launch every node, then wait for each and for the cluster to count them all."""
        try:
            for node in self.nodes:
                node.launch()
            for node in self.nodes:
                node.wait_until_ready()
            self.wait_for(nodes=len(self.nodes))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
            node._bootstrapped = False  # its data is gone: a later start bootstraps anew

    def __enter__(self) -> ElasticsearchCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------- queries

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def running(self) -> list[ElasticsearchNode]:
        return [node for node in self.nodes if node.is_running()]

    def node(self, name: str) -> ElasticsearchNode:
        return next(node for node in self.nodes if node.node_name == name)

    def request(self, method: str, path: str, body: object = None, *, timeout: float = 30.0) -> object:
        """A request to the first running node."""
        running = self.running()
        if not running:
            raise NodeError("no node of the cluster is running")
        return running[0].request(method, path, body, timeout=timeout)

    def health(self, **params: object) -> dict:
        query = "&".join(f"{key}={value}" for key, value in params.items())
        return self.request("GET", f"/_cluster/health?{query}", timeout=70)  # type: ignore[return-value]

    def wait_for(self, *, status: str = "yellow", nodes: int | None = None, timeout: str = "60s") -> dict:
        """Wait until the cluster reaches ``status`` (with ``nodes`` members); raise if not."""
        params: dict[str, object] = {"wait_for_status": status, "timeout": timeout}
        if nodes is not None:
            params["wait_for_nodes"] = nodes
        health = self.health(**params)
        if health.get("timed_out"):
            raise NodeError(f"the cluster did not reach {status} with {nodes} nodes: {health}")
        return health

    def master_name(self) -> str:
        state = self.request("GET", "/_cluster/state/master_node,nodes?filter_path=master_node,nodes.*.name")
        return state["nodes"][state["master_node"]]["name"]  # type: ignore[index]

    def voting_names(self) -> set[str]:
        """Names of the nodes in the cluster's committed voting configuration."""
        state = self.request(
            "GET",
            "/_cluster/state/metadata,nodes"
            "?filter_path=metadata.cluster_coordination.last_committed_config,nodes.*.name",
        )
        voters = state["metadata"]["cluster_coordination"]["last_committed_config"]  # type: ignore[index]
        names = {node_id: node["name"] for node_id, node in state["nodes"].items()}  # type: ignore[index]
        return {names.get(node_id, node_id) for node_id in voters}

    # ------------------------------------------------------------------- voting

    def exclude_from_voting(self, name: str) -> None:
        """Move the vote away from ``name`` (the call returns once it has moved)."""
        self.request("POST", f"/_cluster/voting_config_exclusions?node_names={name}&timeout=60s", timeout=70)

    def clear_voting_exclusions(self) -> None:
        """Let every node vote again (waits until the excluded nodes have left or returned)."""
        self.request("DELETE", "/_cluster/voting_config_exclusions?wait_for_removal=false", timeout=70)


# ----------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m search.testing.es_node",
        description="Fetch or run the throw-away search node used by the tests.",
    )
    parser.add_argument("command", choices=["fetch", "run"])
    parser.add_argument("--engine", choices=sorted(ENGINES), default=None)
    parser.add_argument("--version", dest="engine_version", default=None)
    parser.add_argument("--port", type=int, default=None, help="HTTP port (default: any free)")
    args = parser.parse_args(argv)

    node = ElasticsearchNode(args.engine, args.engine_version, port=args.port)
    try:
        if args.command == "fetch":
            home = node.ensure_distribution()
            print(f"{node.coordinate} -> {home}")
            print(f"modules: {', '.join(node.modules())}")
            return 0
        node.start()
    except NodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    def _handle_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _handle_signal)
    print(
        f"{node.engine.name} {node.version} running at {node.url} "
        f"(Java: {node.java_home}, started in {node.startup_seconds:.1f}s, "
        f"workdir: {node.workdir}). Ctrl-C to stop.",
        flush=True,
    )
    try:
        while node.is_running():
            time.sleep(1)
        print("node exited unexpectedly:\n" + node.log_tail(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        node.stop()


if __name__ == "__main__":
    sys.exit(main())
