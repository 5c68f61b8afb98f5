#!/usr/bin/env python3
"""Counts Wine server requests between the marks a bench program makes
(bench_mark() in bench/plat_win.c, with AFDIO_BENCH_MARKS=1), from the trace
of a wine server run with WINEDEBUG=+server, and prints them per round trip
(pingpong, idle_scale) or per cycle (churn). Used by bench/wine_requests.sh.

A mark is a create_event request for an event named
"afdio-bench-mark:<label>"; the same label marks the start and the end of a
measured phase, made by one thread. Only that thread's requests between the
two marks count: set-up, warm-up and other processes (services.exe and the
like) stay out, so one run is enough. The close_handle of the opening mark's
event falls inside and is taken off.

Usage:
  wine_trace.py single OUT TRACE BENCH BACKEND CONFIG
      one phase, the breakdown by request type (the classic output)
  wine_trace.py table PINGPONG_OUT PINGPONG_TRACE CHURN_OUT CHURN_TRACE
                      CHURN_RATE_OUT IDLE_OUT
      the table of bench/wine_requests.sh --table
"""
import collections
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in bench/ from the import below
from report import num, parse as bench_lines  # noqa: E402 (the key=value lines)

MARK = re.compile(r'^([0-9a-f]+): create_event\(.*name=L"afdio-bench-mark:([^"]*)"')
REQUEST = re.compile(r"^([0-9a-f]+): ([a-z_]+)\(")


def segments(trace):
    """{label: Counter(request -> count)}, phases with one label summed."""
    out = collections.defaultdict(collections.Counter)
    open_marks = {}  # thread -> label of the phase it is in
    with open(trace, errors="replace") as f:
        for line in f:
            m = MARK.match(line)
            if m:
                tid, label = m.groups()
                if open_marks.get(tid) == label:
                    del open_marks[tid]
                    out[label]["close_handle"] -= 1  # the opening mark's
                else:
                    open_marks[tid] = label
                    out[label]  # a phase with no request still shows
                continue
            m = REQUEST.match(line)
            if m and ") = " not in line:  # the request, not its reply
                label = open_marks.get(m.group(1))
                if label is not None:
                    out[label][m.group(2)] += 1
    return out


def pp_label(r):
    return f"{r['bench']}:{r['backend']}:{r['pairs']}:{r['idle']}"


def per_unit(counts, units):
    total = sum(v for v in counts.values() if v > 0)
    return total / units if units else None


def single(out, trace, bench, backend, config):
    segs = segments(trace)
    for r in bench_lines(out):
        if r["bench"] != bench or r["backend"] != backend:
            continue
        if bench == "churn":
            if r["op"] != config:
                continue
            label, units, what = f"churn:{backend}:{config}", num(r.get("cycles")), "cycle"
        else:
            if config not in (r["pairs"], str(int(r["idle"]) + 1)):
                continue
            label, units, what = pp_label(r), num(r.get("round_trips")), "round trip"
        c = segs.get(label)
        if c is None or not units:
            sys.exit(f"wine_trace: no marked phase or no {what}s for {label}")
        total = per_unit(c, units)
        extra = f" (per event: {total / 2:.1f})" if what == "round trip" else ""
        print(f"server requests per {what}: {total:.1f}{extra}  "
              f"[{backend}, {label}, {units:.0f} {what}s]")
        for k, v in sorted(c.items(), key=lambda kv: -kv[1]):
            if v / units >= 0.05:
                print(f"  {k:28s} {v / units:6.2f}")
        return
    sys.exit(f"wine_trace: no line for {bench} {backend} {config} in {out}")


def cell(v, digits=1, suffix=""):
    return "n/a" if v is None else f"{v:,.{digits}f}{suffix}"


def table(pp_out, pp_trace, churn_out, churn_trace, churn_rate_out, idle_out):
    segs = segments(pp_trace)
    rows = bench_lines(pp_out)
    pairs = list(dict.fromkeys(r["pairs"] for r in rows))
    backends = list(dict.fromkeys(r["backend"] for r in rows))
    req, epw = {}, {}
    problems = []
    for r in rows:
        c, rt = segs.get(pp_label(r)), num(r.get("round_trips"))
        req[(r["backend"], r["pairs"])] = per_unit(c, rt) if c is not None else None
        epw[(r["backend"], r["pairs"])] = num(r.get("events_per_wait"))
        if req[(r["backend"], r["pairs"])] is None:
            problems.append(f"  {r['backend']} at {r['pairs']} pairs: "
                            f"{r.get('error') or r.get('reason') or 'no round trip measured'}")
    w = 15
    print("Wine server requests per round trip, pingpong (lower is better; "
          "one traced run, all backends)")
    print(f"{'backend':{w}s}" + "".join(f"{'pairs=' + p:>12s}" for p in pairs)
          + "".join(f"{'/wsapoll@' + p:>14s}" for p in pairs)
          + f"{'ev/wait@' + pairs[0]:>12s}")
    for b in backends:
        line = f"{b:{w}s}" + "".join(f"{cell(req.get((b, p))):>12s}" for p in pairs)
        for p in pairs:
            base, v = req.get(("wsapoll", p)), req.get((b, p))
            line += f"{cell(v / base if v and base else None, 2, 'x'):>14s}"
        line += f"{cell(epw.get((b, pairs[0])), 2):>12s}"
        print(line)
    if problems:
        print("n/a:\n" + "\n".join(problems))

    csegs = segments(churn_trace)
    traced = {(r["backend"], r["op"]): r for r in bench_lines(churn_out)}
    rate = {(r["backend"], r["op"]): r for r in bench_lines(churn_rate_out)}
    print("\nchurn: cycles/s (untraced run) and server requests per cycle "
          "(traced run)")
    print(f"{'backend':{w}s}{'op':>13s}{'cycles/s':>12s}{'req/cycle':>11s}"
          f"{'handles before->after':>24s}")
    for key, r in rate.items():
        t = traced.get(key)
        c = csegs.get(f"churn:{key[0]}:{key[1]}")
        per = per_unit(c, num(t.get("cycles"))) if t and c is not None else None
        hb = f"{r.get('handles_before')}->{r.get('handles_after')}"
        print(f"{key[0]:{w}s}{key[1]:>13s}{cell(num(r.get('cycles_per_s')), 0):>12s}"
              f"{cell(per):>11s}{hb:>24s}")

    print("\nidle_scale: 1 active pair + 10,000 idle sockets (untraced run)")
    print(f"{'backend':{w}s}{'set-up us/socket':>18s}{'register ms':>13s}"
          f"{'round trips/s':>15s}{'teardown ms':>13s}")
    for r in bench_lines(idle_out):
        if "error" in r or "reason" in r:
            print(f"{r['backend']:{w}s}  {r.get('error', r.get('reason'))}")
            continue
        print(f"{r['backend']:{w}s}{cell(num(r.get('register_us_per_socket'))):>18s}"
              f"{cell(num(r.get('register_ms')), 0):>13s}"
              f"{cell(num(r.get('rt_per_s')), 0):>15s}"
              f"{cell(num(r.get('teardown_ms')), 0):>13s}")


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "single":
        single(*sys.argv[2:])
    elif len(sys.argv) == 8 and sys.argv[1] == "table":
        table(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
