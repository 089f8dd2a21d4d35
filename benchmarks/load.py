"""Load test: N concurrent sessions against ``streamlit run app.py`` on this machine.

For each N, the script starts a fresh server on 127.0.0.1 (a free port, loopback only; or
``--processes P`` servers, the sessions dealt round-robin as a sticky load balancer would),
waits for ``/_stcore/health``, then opens N sessions at once. Each session runs the sample
pipeline and a plan change:

1. open the app (the Data page reads the 2,000-account sample),
2. go to *Team plan* (verticals, customer types, profiles and the plan are computed),
3. change a playbook value (the field line: deal size above which accounts go to field sales)
   and wait for the re-plan.

Sessions are either Streamlit's own WebSocket protocol (``--client websocket``, the default:
the browser's protobuf messages, no rendering, so the figures are the server's) or Chromium
pages driven by Playwright (``--client browser``: Debian's ``/usr/bin/chromium`` with
``--no-sandbox --disable-gpu --disable-background-networking --disable-component-update``,
one browser context per session).

It prints, per N, the completion times (median, p95, max; seconds from opening the session to
the re-plan finished), the failures, the server's CPU time and peak memory (``VmHWM`` of its
process in ``/proc``; RSS sampled every 0.2 s as a cross-check) and its RSS once the sessions
have closed. Everything is bounded: at most 100 sessions and 8 servers, a time limit per
session and per round; the servers are stopped at the end of each round, whatever happens.

    python benchmarks/load.py --sessions 10 25 50
    python benchmarks/load.py --processes 2 --sessions 10 25 50
    python benchmarks/load.py --client browser --sessions 1 10 --json results.json

Results and the deployment advice they lead to: ``benchmarks/LOAD.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
MAX_SESSIONS = 100
FIELD_RULE = "rule_motion_field_min"
"""Key of the playbook input changed in step 3 (``segmentation.ui.edits.rule_input``)."""

# Record when a script run starts and ends (stApp's data-test-script-state), so a session waits
# for exactly the run its action caused (as tests/test_browser.py does).
WATCH_RUNS = """
() => {
  window.__runStarted = false; window.__runDone = false;
  const app = document.querySelector('[data-testid="stApp"]');
  if (window.__runObserver) window.__runObserver.disconnect();
  window.__runObserver = new MutationObserver(() => {
    const s = app.getAttribute('data-test-script-state');
    if (s === 'running') window.__runStarted = true;
    else if (window.__runStarted && s === 'notRunning') window.__runDone = true;
  });
  window.__runObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}
"""


@dataclass
class SessionResult:
    """One session's timings (seconds from its start) or its failure."""

    index: int
    opened: float | None = None
    planned: float | None = None
    replanned: float | None = None
    error: str | None = None


@dataclass
class RoundResult:
    """One round: N sessions against a fresh server."""

    client: str
    processes: int
    sessions: int
    wall: float
    completed: int
    failures: int
    median: float | None
    p95: float | None
    max: float | None
    median_first_plan: float | None
    server_peak_rss_mb: float
    server_peak_rss_sampled_mb: float
    server_start_rss_mb: float
    server_cpu_s: float
    server_rss_after_mb: float
    load_before: float
    errors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``streamlit run app.py`` on 127.0.0.1, with its memory watched through /proc."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.peak_sampled_kb = 0
        self._stop = threading.Event()
        self._log = None
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:  # noqa: PYI034
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.address", "127.0.0.1", "--server.port", str(self.port),
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--server.runOnSave", "false", "--server.fileWatcherType", "none",
            ],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"streamlit did not start; see {self.log_path}")
            time.sleep(0.3)
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def rss_kb(self, key: str = "VmRSS") -> int:
        """A memory figure of the server process (and any children) from /proc, in kB."""
        total = 0
        for pid in self._pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(f"{key}:"):
                        total += int(line.split()[1])
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        clock = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self._pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / clock  # utime, stime
            except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
                continue
        return total

    def _pids(self) -> list[int]:
        if self.process is None:
            return []
        pids = [self.process.pid]
        try:
            children = Path(
                f"/proc/{self.process.pid}/task/{self.process.pid}/children"
            ).read_text()
            pids += [int(p) for p in children.split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
        return pids

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_sampled_kb = max(self.peak_sampled_kb, self.rss_kb())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # our own process group only
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        if self._log is not None:
            self._log.close()


# --------------------------------------------------------------------------- one session


async def _act(page, action, timeout_ms: int) -> None:
    """Do ``action`` and wait until the script run it causes has finished."""
    await page.evaluate(WATCH_RUNS)
    await action()
    await page.wait_for_function("() => window.__runDone", timeout=timeout_ms, polling=100)


async def run_session(browser, url: str, index: int, timeout_s: float) -> SessionResult:
    result = SessionResult(index)
    timeout_ms = int(timeout_s * 1000)
    start = time.perf_counter()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        page.set_default_timeout(timeout_ms)

        async def work() -> None:
            await page.goto(url)
            await page.get_by_text("Column mapping").first.wait_for()
            await page.locator(
                '[data-testid="stApp"][data-test-script-state="notRunning"]'
            ).wait_for()
            result.opened = time.perf_counter() - start

            link = page.locator('[data-testid="stSidebarNav"]').get_by_text("Team plan", exact=True)
            await _act(page, link.click, timeout_ms)
            await page.get_by_text("Recommendation per segment").first.wait_for()
            result.planned = time.perf_counter() - start

            field_line = page.locator(f".st-key-{FIELD_RULE} input")
            await field_line.fill("1000000000")
            await _act(page, lambda: field_line.press("Enter"), timeout_ms)
            errors = await page.locator(
                '[data-testid="stException"], [data-testid="stAlertContentError"]'
            ).count()
            if errors:
                raise RuntimeError("the page shows an error")
            result.replanned = time.perf_counter() - start

        await asyncio.wait_for(work(), timeout=timeout_s)
    except Exception as error:  # noqa: BLE001 - a failed session is a result, not a crash
        result.error = (
            f"{type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}"
        )
    finally:
        await context.close()
    return result


class _WsSession:
    """A Streamlit session over the WebSocket, speaking the browser's protobuf protocol."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.pages: dict[str, str] = {}  # url pathname -> page script hash
        self.widgets: dict[str, object] = {}  # user key -> element proto
        self.errors: list[str] = []

    async def rerun(self, page_hash: str = "", widget_states=()) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = page_hash
        for state in widget_states:
            msg.rerun_script.widget_states.widgets.append(state)
        await self.ws.send(msg.SerializeToString())
        await self._until_finished()

    async def _until_finished(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                for page in msg.navigation.app_pages:
                    self.pages[page.url_pathname] = page.page_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    self.errors.append(f"exception: {element.exception.type}")
                elif which == "alert" and element.alert.format == 1:  # ERROR
                    self.errors.append("error message shown")
                elif which is not None:
                    widget_id = getattr(getattr(element, which), "id", "")
                    if isinstance(widget_id, str) and widget_id.startswith("$$ID"):
                        self.widgets[widget_id.rsplit("-", 1)[-1]] = getattr(element, which)
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise RuntimeError("the app failed to compile")
                if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    return


async def run_ws_session(url: str, index: int, timeout_s: float) -> SessionResult:
    """One session over the WebSocket: the same three steps, no browser rendering."""
    import websockets
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    result = SessionResult(index)
    start = time.perf_counter()
    stream = url.replace("http://", "ws://") + "/_stcore/stream"

    async def work() -> None:
        async with websockets.connect(
            stream, subprotocols=["streamlit"], origin=url, max_size=None, open_timeout=timeout_s
        ) as ws:
            session = _WsSession(ws)
            await session.rerun()  # the default page: Data, which reads the sample
            result.opened = time.perf_counter() - start
            plan_page = session.pages.get("team_plan")
            if plan_page is None:
                raise RuntimeError(f"no team_plan page among {sorted(session.pages)}")
            await session.rerun(plan_page)
            result.planned = time.perf_counter() - start
            widget = session.widgets.get(FIELD_RULE)
            if widget is None:
                raise RuntimeError(f"no {FIELD_RULE} input on the Team plan page")
            state = WidgetState(id=widget.id)
            if widget.data_type == widget.INT:
                state.int_value = 1_000_000_000
            else:
                state.double_value = 1e9
            await session.rerun(plan_page, [state])
            if session.errors:
                raise RuntimeError("; ".join(sorted(set(session.errors))))
            result.replanned = time.perf_counter() - start

    try:
        await asyncio.wait_for(work(), timeout=timeout_s)
    except Exception as error:  # noqa: BLE001 - a failed session is a result, not a crash
        result.error = (
            f"{type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}"
        )
    return result


# --------------------------------------------------------------------------- one round


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[rank]


async def run_round(
    n: int, timeout_s: float, log_dir: Path, client: str, processes: int = 1
) -> RoundResult:
    """N sessions spread round-robin over ``processes`` servers (a sticky load balancer)."""
    load_before = os.getloadavg()[0]
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(Server(free_port(), log_dir / f"server-{client}-{n}-{p}.log"))
            for p in range(processes)
        ]
        start_rss = sum(s.rss_kb() for s in servers)
        start_cpu = sum(s.cpu_seconds() for s in servers)
        urls = [servers[i % processes].url for i in range(n)]
        began = time.perf_counter()
        if client == "browser":
            from playwright.async_api import async_playwright

            async with async_playwright() as driver:
                browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    began = time.perf_counter()
                    sessions = (run_session(browser, urls[i], i, timeout_s) for i in range(n))
                    results = await asyncio.wait_for(
                        asyncio.gather(*sessions), timeout=timeout_s + 120
                    )
                finally:
                    await browser.close()
        else:
            sessions = (run_ws_session(urls[i], i, timeout_s) for i in range(n))
            results = await asyncio.wait_for(asyncio.gather(*sessions), timeout=timeout_s + 120)
        wall = time.perf_counter() - began
        await asyncio.sleep(10)  # sessions closed: what the servers keep afterwards
        after = sum(s.rss_kb() for s in servers)
        peak = sum(s.rss_kb("VmHWM") for s in servers)
        sampled = sum(s.peak_sampled_kb for s in servers)
        cpu = sum(s.cpu_seconds() for s in servers) - start_cpu
    done = [r.replanned for r in results if r.replanned is not None]
    first_plan = [r.planned for r in results if r.planned is not None]
    errors = sorted({r.error for r in results if r.error})
    return RoundResult(
        client=client,
        processes=processes,
        sessions=n,
        wall=round(wall, 1),
        completed=len(done),
        failures=n - len(done),
        median=_round(statistics.median(done) if done else None),
        p95=_round(_percentile(done, 0.95)),
        max=_round(max(done) if done else None),
        median_first_plan=_round(statistics.median(first_plan) if first_plan else None),
        server_peak_rss_mb=round(peak / 1024, 0),
        server_peak_rss_sampled_mb=round(sampled / 1024, 0),
        server_start_rss_mb=round(start_rss / 1024, 0),
        server_cpu_s=round(cpu, 1),
        server_rss_after_mb=round(after / 1024, 0),
        load_before=round(load_before, 2),
        errors=errors,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sessions",
        type=int,
        nargs="+",
        default=[10, 25, 50],
        metavar="N",
        help="concurrent sessions per round (default: 10 25 50)",
    )
    parser.add_argument(
        "--client",
        choices=["websocket", "browser"],
        default="websocket",
        help="websocket: Streamlit's own protocol, no rendering (measures the "
        "server); browser: Chromium pages (adds rendering on this machine)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="P",
        help="servers to spread the sessions over, round-robin, as a sticky load "
        "balancer would (default 1; peak RSS and CPU are summed)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        metavar="SECONDS",
        help="give up on a session after this long (default 600)",
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=20,
        metavar="SECONDS",
        help="rest between rounds, so one round's tail does not load the next",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--logs",
        type=Path,
        default=Path("/tmp/segmentation-load"),
        metavar="DIR",
        help="server logs (default /tmp/segmentation-load)",
    )
    args = parser.parse_args(argv)  # fmt: skip
    if args.client == "browser" and not Path(CHROMIUM).exists():
        parser.error(f"{CHROMIUM} not found: apt-get install -y chromium")
    if any(n < 1 or n > MAX_SESSIONS for n in args.sessions):
        parser.error(f"--sessions must be between 1 and {MAX_SESSIONS}")
    if not 1 <= args.processes <= 8:
        parser.error("--processes must be between 1 and 8")
    args.logs.mkdir(parents=True, exist_ok=True)

    print(f"# {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"client: {args.client}, server processes: {args.processes}")  # fmt: skip
    print(f"{'N':>4} {'median':>7} {'p95':>7} {'max':>7} {'1st plan':>8} {'failed':>6} "
          f"{'peak RSS':>9} {'after':>7} {'CPU':>6} {'wall':>6} {'load':>5}")  # fmt: skip
    rounds = []
    for i, n in enumerate(args.sessions):
        if i:
            time.sleep(min(args.pause, 300))
        result = asyncio.run(run_round(n, args.timeout, args.logs, args.client, args.processes))
        rounds.append(result)
        print(
            f"{n:>4} {_fmt(result.median):>7} {_fmt(result.p95):>7} {_fmt(result.max):>7} "
            f"{_fmt(result.median_first_plan):>8} {result.failures:>6} "
            f"{result.server_peak_rss_mb:>6.0f} MB {result.server_rss_after_mb:>4.0f} MB "
            f"{result.server_cpu_s:>5.0f}s "
            f"{result.wall:>5.0f}s {result.load_before:>5.1f}",
            flush=True,
        )
        for error in result.errors:
            print(f"     failure: {error}")
    print("times in seconds from opening a session to its re-plan being drawn; "
          "1st plan = to the first plan; peak RSS = server VmHWM; after = server RSS 10 s after "
          "the sessions closed; CPU = server CPU time; "
          "load = 1-minute load average before the round (other work on the machine)")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rounds], indent=2) + "\n")
    return 0 if all(r.failures == 0 for r in rounds) else 1


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    sys.exit(main())
