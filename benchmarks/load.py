"""Many people at once: concurrent clients over the portal's public mix, against a running server.

Run::

    .venv/bin/python -m benchmarks.load http://127.0.0.1:8000/ [--clients 50] [--duration 60]

What it does:

1. Learns the portal from the server itself: the guides' codes, page paths and situation
   questions from the streamed feed export (``/api/v1/guides.ndjson``, at most ``--max-guides``
   records), so it runs against any portal without access to its database.
2. Starts ``--clients`` threads, each with its own keep-alive connection (reconnecting when the
   server closes it, as gunicorn's sync workers do after every response), each sending one GET
   after another for ``--duration`` seconds, chosen at random (``--seed``) by the weights of
   ``MIX``: guide pages with and without situation answers, the hall kiosk, searches (words of
   guide names and colloquial phrases), search-box suggestions, the intake feed (list, record,
   checklist) and the printed sheets that a publish renders (citizen sheet, counter checklist,
   complete sets of answers; run ``manage.py render_pdfs --all`` first, as a production
   deployment renders them when guides are published, or the first requests of each sheet wait
   for its render). ``--warmup`` seconds of the same load run first, untimed.
3. Prints requests/s (all, and successful: 2xx and 3xx), p50/p95/p99 latency (from sending the
   request to the last byte of the body) overall and per kind, counts by status, and the speed
   probe of ``benchmarks.common`` beside the figures.

The client measures itself: its own CPU time per request, hence the rate one core of this machine
could drive at most, and the share of a core it used; if that share nears 100 % the client, not
the server, set the pace. With ``--server-pid`` (a server on the same machine: runserver, or
gunicorn's master), the server's CPU time per request too, and the rate this machine's cores
would serve if nothing else ran: on a shared machine, requests/s measure the neighbours as much
as the portal.

The feed answers a client that exceeds ``FEED_RATE_LIMIT`` with 429: counted by status, neither a
success nor a failure. Exit status: 1 if any response was a 5xx or any request failed without a
response (connection refused or reset, timeout), else 0. Targets of issue 14, with the production
server (2 workers on the 2-core machine): 0 5xx, ≥ 300 successful requests/s, p95 ≤ 250 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from benchmarks.common import percentile, speed_probe

TARGET_RPS = 300
TARGET_P95_SECONDS = 0.250

# Kinds of request and their share of the load: mostly citizens reading guides (on their
# phones, at the kiosks) and searching, a counter's intake system polling the feed, and sheets.
MIX = {
    "guide page": 27,
    "guide page with answers": 15,
    "kiosk guide": 6,
    "search": 20,
    "suggest": 17,
    "feed API": 11,
    "PDF": 4,
}
# What citizens type besides words of item names (search relevance is not measured here: these
# make the server analyse colloquial, pinyin and typo queries as it does all day).
COLLOQUIAL_QUERIES = [
    "开奶茶店要办什么证", "身份证丢了", "yyzz", "营业执照", "开饭店", "居住证", "社保", "公积金提取",
    "户口迁移", "结婚登记", "餐饮许可", "个体户注册", "护照", "驾驶证", "不动产登记", "施工许可",
]
SUGGEST_PREFIXES = ["y", "yy", "yyz", "sp", "jz", "gs", "hk", "sb", "营", "营业", "食", "食品", "户", "居住"]
YES, NO = "是", "否"


# --- the portal -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guide:
    code: str
    path: str
    name: str
    situations: tuple[tuple[str, tuple[str, ...]], ...]  # (key, possible answers)


@dataclass
class Server:
    scheme: str
    host: str
    port: int
    prefix: str

    @classmethod
    def from_url(cls, url: str) -> Server:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SystemExit(f"not an http(s) URL: {url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return kind(self.host, self.port, timeout=timeout)


def discover(server: Server, max_guides: int, timeout: float) -> list[Guide]:
    """Up to ``max_guides`` live guides, from the first lines of the streamed feed export."""
    connection = server.connection(timeout)
    try:
        connection.request("GET", server.prefix + "/api/v1/guides.ndjson")
        response = connection.getresponse()
        if response.status != 200:
            raise SystemExit(f"GET /api/v1/guides.ndjson answered {response.status}: {response.read(500)!r}")
        guides = []
        while len(guides) < max_guides:
            line = response.readline()
            if not line:
                break
            if not line.strip():
                continue
            record = json.loads(line)
            situations = tuple(
                (s["key"], (YES, NO) if len(s["options"]) == 1 else tuple(s["options"]))
                for s in record.get("situations") or ()
                if s.get("key") and s.get("options")
            )
            path = urlsplit(record.get("url") or "").path
            if path:
                guides.append(Guide(record["code"], path, record.get("name", ""), situations))
    finally:
        connection.close()  # a longer export is abandoned here
    if not guides:
        raise SystemExit("the portal lists no live guides (GET /api/v1/guides.ndjson)")
    return guides


class Workload:
    """Chooses each client's next request: (kind, path)."""

    def __init__(self, guides: list[Guide], prefix: str):
        self.guides = guides
        self.with_situations = [g for g in guides if g.situations] or guides
        self.prefix = prefix
        self.kinds = list(MIX)
        self.weights = [MIX[kind] for kind in self.kinds]
        names = [g.name for g in guides if len(g.name) >= 2]
        # Words of guide names as citizens type them: two to four characters from the start.
        self.queries = COLLOQUIAL_QUERIES + sorted({name[: n] for name in names for n in (2, 4)})
        self.prefixes = SUGGEST_PREFIXES + sorted({name[:1] for name in names})

    @staticmethod
    def answers(guide: Guide, rng: random.Random, *, every: bool = False) -> str:
        """Answers to some of the guide's questions (a citizen answering on the page), or to
        ``every`` one."""
        count = len(guide.situations) if every else rng.randint(1, len(guide.situations)) if guide.situations else 0
        chosen = rng.sample(guide.situations, count)
        return urlencode({key: rng.choice(options) for key, options in chosen})

    def next(self, rng: random.Random) -> tuple[str, str]:
        kind = rng.choices(self.kinds, self.weights)[0]
        guide = rng.choice(self.guides)
        code = quote(guide.code, safe="")
        if kind == "guide page":
            path = guide.path
        elif kind == "guide page with answers":
            guide = rng.choice(self.with_situations)
            path = f"{guide.path}?{self.answers(guide, rng)}"
        elif kind == "kiosk guide":
            guide = rng.choice(self.with_situations)
            answers = self.answers(guide, rng) if rng.random() < 0.5 else ""
            path = f"/kiosk/g/{quote(guide.code, safe='')}/" + (f"?{answers}" if answers else "")
        elif kind == "search":
            query = rng.choice(self.queries)
            path = ("/search/?" if rng.random() < 0.7 else "/api/v1/search/?") + urlencode({"q": query})
        elif kind == "suggest":
            path = "/api/v1/search/suggest/?" + urlencode({"q": rng.choice(self.prefixes)})
        elif kind == "feed API":
            path = rng.choice(
                ["/api/v1/guides/?limit=20", f"/api/v1/guides/{code}/", f"/api/v1/guides/{code}/checklist/"]
            )
        else:  # PDF
            # The sheets a publish renders (printing.cache.prerender): the citizen sheet, the
            # counter checklist and the sheet for each complete set of answers, as the kiosk
            # prints it once every question is answered.
            roll = rng.random()
            if roll < 0.8:
                path = f"/g/{code}/pdf/"
            elif roll < 0.9:
                guide = rng.choice(self.with_situations)
                path = f"/g/{quote(guide.code, safe='')}/pdf/?{self.answers(guide, rng, every=True)}"
            else:
                path = f"/g/{code}/counter.pdf"
        # Only the path of a guide's URL is used: the server may name itself otherwise than the
        # address it is reached at.
        return kind, self.prefix + path


# --- the clients ------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    status: int | str  # an HTTP status, or the name of the error for a request without response
    seconds: float
    size: int


@dataclass
class Client:
    server: Server
    workload: Workload
    rng: random.Random
    timeout: float
    samples: list[Sample] = field(default_factory=list)
    connection: http.client.HTTPConnection | None = None

    def fetch(self, kind: str, path: str) -> Sample:
        start = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = self.server.connection(self.timeout)
            # Accept-Encoding as browsers send it: the feed compresses what it sends.
            self.connection.request("GET", path, headers={"Accept-Encoding": "gzip", "User-Agent": "benchmarks.load"})
            response = self.connection.getresponse()
            body = response.read()
            if response.will_close:
                self.connection.close()
                self.connection = None
            return Sample(kind, response.status, time.perf_counter() - start, len(body))
        except (OSError, http.client.HTTPException) as error:
            if self.connection is not None:
                self.connection.close()
                self.connection = None
            return Sample(kind, type(error).__name__, time.perf_counter() - start, 0)

    def run(self, until: float, keep: bool) -> None:
        while time.perf_counter() < until:
            sample = self.fetch(*self.workload.next(self.rng))
            if keep:
                self.samples.append(sample)
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def run_clients(clients: list[Client], seconds: float, *, keep: bool) -> float:
    """Run every client for ``seconds``; return the wall time until the last one finished."""
    start = time.perf_counter()
    until = start + seconds
    threads = [threading.Thread(target=client.run, args=(until, keep), daemon=True) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


# --- the server's CPU time ---------------------------------------------------------------------


def process_tree_cpu(roots: list[int]) -> float:
    """CPU seconds (user and system) used so far by the processes ``roots`` and their living
    descendants (a server's workers), read from /proc on this machine."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    chosen = set(roots) & times.keys()
    while True:
        more = {pid for pid, parent in parents.items() if parent in chosen} - chosen
        if not more:
            return sum(times[pid] for pid in chosen)
        chosen |= more


# --- the report -------------------------------------------------------------------------------


def successful(status: int | str) -> bool:
    return isinstance(status, int) and 200 <= status < 400


def failed(status: int | str) -> bool:
    return not isinstance(status, int) or status >= 500


def summary(samples: list[Sample], elapsed: float, client_cpu: float) -> dict:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)

    def latency(group: list[Sample]) -> dict[str, float]:
        times = sorted(s.seconds for s in group)
        return {name: percentile(times, p) for name, p in (("p50", 50), ("p95", 95), ("p99", 99))}

    ok = sum(1 for s in samples if successful(s.status))
    return {
        "elapsed": elapsed,
        "requests": len(samples),
        "successful": ok,
        "failed": sum(1 for s in samples if failed(s.status)),
        "requests_per_second": len(samples) / elapsed,
        "successful_per_second": ok / elapsed,
        "latency": latency(samples) if samples else {},
        "statuses": dict(Counter(str(s.status) for s in samples).most_common()),
        "kinds": {
            kind: {
                "requests": len(group),
                "statuses": dict(Counter(str(s.status) for s in group).most_common()),
                "latency": latency(group),
                "mean_bytes": sum(s.size for s in group) / len(group),
            }
            for kind, group in sorted(by_kind.items(), key=lambda item: -len(item[1]))
        },
        "client_cpu_seconds": client_cpu,
        "client_cpu_per_request": client_cpu / len(samples) if samples else float("nan"),
        "client_core_share": client_cpu / elapsed,
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report(result: dict, args, probe: float) -> None:
    latency = result["latency"]
    print()
    print(f"{result['requests']:,} requests in {result['elapsed']:.1f} s by {args.clients} clients")
    print(
        f"requests/s: {result['requests_per_second']:.1f} (successful: {result['successful_per_second']:.1f}); "
        f"latency p50 {ms(latency['p50'])}, p95 {ms(latency['p95'])}, p99 {ms(latency['p99'])}"
    )
    print("by status: " + ", ".join(f"{status} ×{count:,}" for status, count in result["statuses"].items()))
    print()
    print(f"{'kind':<24} {'requests':>8} {'p50':>10} {'p95':>10} {'p99':>10} {'KiB':>6}  statuses")
    for kind, row in result["kinds"].items():
        statuses = ", ".join(f"{status} ×{count}" for status, count in row["statuses"].items())
        print(
            f"{kind:<24} {row['requests']:>8,} {ms(row['latency']['p50']):>10} {ms(row['latency']['p95']):>10} "
            f"{ms(row['latency']['p99']):>10} {row['mean_bytes'] / 1024:>6.1f}  {statuses}"
        )
    per_request = result["client_cpu_per_request"]
    print()
    print(
        f"client: {per_request * 1e6:.0f} µs CPU per request, so one core drives at most "
        f"{1 / per_request:,.0f} requests/s; it used {result['client_core_share']:.1%} of a core"
        + ("  (the client may have set the pace)" if result["client_core_share"] > 0.7 else "")
    )
    if "server_cpu_seconds" in result:
        server = result["server_cpu_seconds"] / max(1, result["requests"])
        print(
            f"server: {server * 1000:.2f} ms CPU per request, so {os.cpu_count()} idle cores would serve at most "
            f"{os.cpu_count() / server:,.0f} requests/s (it had {result['server_cpu_seconds'] / result['elapsed']:.2f} cores)"
        )
    print(f"speed probe: {probe * 1000:.1f} ms (benchmarks.common.speed_probe; compare runs only when probes agree)")
    rps_ok = result["successful_per_second"] >= TARGET_RPS
    p95_ok = latency["p95"] <= TARGET_P95_SECONDS
    print(
        f"targets (production server): 0 5xx: {'OK' if not result['failed'] else 'FAIL'} · "
        f"≥ {TARGET_RPS} successful requests/s: {'OK' if rps_ok else 'UNDER'} · "
        f"p95 ≤ {TARGET_P95_SECONDS * 1000:.0f} ms: {'OK' if p95_ok else 'OVER'}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the portal's address, e.g. http://127.0.0.1:8000/")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--warmup", type=float, default=0, help="seconds of untimed load first (default 0)")
    parser.add_argument("--max-guides", type=int, default=2000, help="guides learnt from the feed export (default 2000)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds a request may take (default 60)")
    parser.add_argument("--seed", type=int, default=14, help="seed of the random choices (default 14)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    parser.add_argument(
        "--server-pid", type=int, action="append", default=[], metavar="PID",
        help="a server process on this machine (with its workers): report its CPU time per request",
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.duration <= 0:
        parser.error("--clients must be at least 1 and --duration positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = Server.from_url(args.url)
    guides = discover(server, args.max_guides, args.timeout)
    workload = Workload(guides, server.prefix)
    print(
        f"Load: {args.clients} clients × {args.duration:g} s against {args.url} · {len(guides):,} guides "
        f"({len(workload.with_situations):,} with situations) · mix "
        + ", ".join(f"{kind} {share}%" for kind, share in MIX.items())
    )
    probe = speed_probe()
    clients = [Client(server, workload, random.Random(args.seed * 1000 + n), args.timeout) for n in range(args.clients)]
    if args.warmup:
        run_clients(clients, args.warmup, keep=False)
    server_start = process_tree_cpu(args.server_pid) if args.server_pid else 0.0
    cpu_start = time.process_time()
    elapsed = run_clients(clients, args.duration, keep=True)
    client_cpu = time.process_time() - cpu_start
    result = summary([sample for client in clients for sample in client.samples], elapsed, client_cpu)
    if args.server_pid:
        result["server_cpu_seconds"] = process_tree_cpu(args.server_pid) - server_start
    result["speed_probe_seconds"] = probe
    report(result, args, probe)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, ensure_ascii=False, indent=2)
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
