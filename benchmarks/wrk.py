"""HTTP load from ``wrk`` (Debian's package: ``apt-get install -y wrk``), a C load generator.

Two ways to load a URL, each a ``wrk`` process of its own with a Lua script written here:

- :func:`closed`: as many requests as ``connections`` keep-alive connections get through (one
  request in flight a connection), with wrk's own latency histogram: throughput, p50, p99.
- :func:`paced`: a fixed rate. wrk has no ``-R`` (that is wrk2, not in Debian), so the script
  paces it: one thread a connection, each with its share of the rate and a schedule of its own on
  ``CLOCK_MONOTONIC`` (LuaJIT's FFI), its first request offset so the connections interleave.
  ``delay()`` holds each request until its scheduled time (wrk's timers have a resolution of one
  millisecond). A latency runs from the request's write to its whole answer; a request sent
  more than a millisecond late because the previous answer on its connection came late counts
  from its scheduled time instead (coordinated omission, as wrk2 corrects it). The client's own
  lateness — how far each send was from its schedule — is reported beside the figures
  (``lag_p99_ms``): it shows the load generator kept its rate rather than the server.

Both return plain dicts: ``requests``, ``errors`` (connect, read, write, timeout, non-200),
``rps``, ``p50_ms``, ``p99_ms``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
from typing import Any

CLOSED_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write("BENCH ", string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max), "\\n")
end
"""

PACED_SCRIPT = """
local ffi = require("ffi")
ffi.cdef[[
struct bench_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock, struct bench_timespec *now);
]]
local ts = ffi.new("struct bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
setup = function(thread)
  table.insert(threads, thread)
  thread:set("index", #threads - 1)
end

local scheduled, sent = nil, nil
lat, lag, bad = {}, {}, 0

init = function(args)
  interval = tonumber(args[1])  -- microseconds between two requests of this connection
  count = tonumber(args[2])     -- connections (one a thread)
  scheduled = now_us() + interval * index / count
end

delay = function()
  local wait = (scheduled - now_us()) / 1000
  if wait > 0 then return math.floor(wait) end
  return 0
end

request = function()
  sent = now_us()
  return wrk.format()
end

response = function(status, headers, body)
  local t = now_us()
  local late = sent - scheduled
  lag[#lag + 1] = late
  local start = sent
  if late > 1000 then start = scheduled end
  lat[#lat + 1] = t - start
  if status ~= 200 then bad = bad + 1 end
  scheduled = scheduled + interval
end

done = function(summary, latency, requests)
  local e = summary.errors
  local parts = {}
  for _, thread in ipairs(threads) do
    parts[#parts + 1] = string.format('{"lat": [%s], "lag": [%s], "bad": %d}',
      table.concat(thread:get("lat"), ","), table.concat(thread:get("lag"), ","),
      thread:get("bad"))
  end
  io.write("BENCH ", string.format(
    '{"duration_us": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, '
    .. '"threads": [%s]}', summary.duration, e.connect, e.read, e.write, e.timeout,
    table.concat(parts, ",")), "\\n")
end
"""


def binary() -> str | None:
    """The ``wrk`` command, or None when it is not installed."""
    return shutil.which("wrk")


def _run(args: list[str], script: str, extra: list[str], timeout: float) -> dict[str, Any]:
    command = binary()
    if command is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        done = subprocess.run(
            [command, *args, "-s", lua.name, *(["--", *extra] if extra else [])],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line.removeprefix("BENCH "))
    raise RuntimeError(f"wrk printed no figures: {done.stdout}{done.stderr}")


def closed(url: str, seconds: float, connections: int = 32, threads: int = 1) -> dict[str, Any]:
    """As many requests as ``connections`` get through in ``seconds``; wrk's latencies."""
    raw = _run(
        [
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            url,
        ],
        CLOSED_SCRIPT,
        [],
        timeout=seconds + 60,
    )
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "connections": connections,
        "requests": raw["requests"],
        "errors": errors,
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 3),
        "p99_ms": round(raw["p99_us"] / 1000, 3),
        "max_ms": round(raw["max_us"] / 1000, 3),
    }


def paced(url: str, rate: float, seconds: float, connections: int = 8) -> dict[str, Any]:
    """``rate`` requests a second over ``connections`` for ``seconds`` (see the module doc)."""
    interval = connections / rate * 1e6
    raw = _run(
        [f"-t{connections}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
         "--timeout", "10s", url],
        PACED_SCRIPT,
        [str(interval), str(connections)],
        timeout=seconds + 60,
    )  # fmt: skip
    latencies = [v for t in raw["threads"] for v in t["lat"]]
    lags = [v for t in raw["threads"] for v in t["lag"]]
    bad = sum(t["bad"] for t in raw["threads"])
    errors = bad + sum(raw[k] for k in ("connect", "read", "write", "timeout"))
    if not latencies:
        raise RuntimeError(f"no request answered at {rate}/s: {raw}")
    return {
        "rate": rate,
        "connections": connections,
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(statistics.median(latencies) / 1000, 3),
        "p99_ms": round(nearest_rank(latencies, 0.99) / 1000, 3),
        "max_ms": round(max(latencies) / 1000, 3),
        "lag_p99_ms": round(nearest_rank(lags, 0.99) / 1000, 3),
    }


def nearest_rank(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


if __name__ == "__main__":  # a quick look: python benchmarks/wrk.py URL
    import sys

    print(closed(sys.argv[1], 2))
    print(paced(sys.argv[1], 200, 2))
