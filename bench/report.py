#!/usr/bin/env python3
"""Turns the raw benchmark lines (key=value fields, one run per `run=` tag)
into a markdown table of medians and ratios afdio/baseline, and a gnuplot
chart. Usage: report.py <latest.txt> <table.md> <chart.png>"""
import os
import statistics
import subprocess
import sys
from collections import OrderedDict, defaultdict

PLATFORMS = {"linux": "Linux (native)", "wine": "Windows build under Wine",
             "windows": "Windows"}


def parse(path):
    rows = []
    with open(path, "rb") as f:  # Wine's output ends lines with CRLF
        text = f.read().decode(errors="replace").replace("\r", "")
    for line in text.split("\n"):
        if line.startswith("bench="):
            rows.append(dict(kv.split("=", 1) for kv in line.split() if "=" in kv))
    return rows


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    r = a / b
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def group(rows, bench, config_key, value_key):
    """{platform: {config: {backend: [values]}}}, in order of appearance."""
    out = OrderedDict()
    for r in rows:
        if r.get("bench") != bench:
            continue
        plat = out.setdefault(r["platform"], OrderedDict())
        cfg = plat.setdefault(r[config_key], OrderedDict())
        cfg.setdefault(r["backend"], []).append(num(r.get(value_key)))
    return out


def rt_table(rows, bench, config_key, label, lines, chart):
    data = group(rows, bench, config_key, "rt_per_s")
    allocs = defaultdict(list)
    for r in rows:
        if r.get("bench") == bench and r["backend"] == "afdio":
            allocs[(r["platform"], r[config_key])].append(num(r.get("allocs_per_wait")))
    for plat, cfgs in data.items():
        backends = list(OrderedDict.fromkeys(b for c in cfgs.values() for b in c))
        baselines = [b for b in backends if not b.startswith("afdio")]
        lines.append(f"### {bench}: {PLATFORMS.get(plat, plat)}, round trips/s (median)\n")
        # afdio (edge) against every baseline; its other modes against the
        # first baseline (raw epoll natively, WSAPoll under Wine).
        ratios = [("afdio", b) for b in baselines]
        ratios += [(a, baselines[0]) for a in backends
                   if a.startswith("afdio-") and baselines]
        head = [label] + backends + [f"{a}/{b}" for a, b in ratios] + ["afdio allocs/wait"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join("---:" for _ in head) + "|")
        for cfg, per in cfgs.items():
            med = {b: median(per.get(b, [])) for b in backends}
            cells = [cfg] + [fmt(med[b]) for b in backends]
            cells += [ratio(med.get(a), med[b]) for a, b in ratios]
            cells.append(fmt(median(allocs.get((plat, cfg), [])), 3))
            lines.append("| " + " | ".join(cells) + " |")
            for b in backends:
                chart[(bench, plat)].setdefault(b, []).append((cfg, med[b]))
        lines.append("")


def op_table(lines, title, ops, extra_head=(), extra_cells=None):
    """One table of medians per operation and backend, with the ratios
    afdio/baseline; extra_cells(backends, op) adds columns."""
    backends = list(OrderedDict.fromkeys(b for o in ops.values() for b in o))
    baselines = [b for b in backends if not b.startswith("afdio")]
    lines.append(f"### {title}\n")
    head = ["op"] + backends + [f"afdio/{b}" for b in baselines] + \
        [h.format(b) for h in extra_head for b in backends]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join("---:" for _ in head) + "|")
    for op, per in ops.items():
        med = {b: median(per.get(b, [])) for b in backends}
        cells = [op] + [fmt(med[b]) for b in backends]
        cells += [ratio(med.get("afdio"), med[b]) for b in baselines]
        if extra_cells is not None:
            cells += extra_cells(backends, op)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return backends


def churn_table(rows, lines):
    handles = defaultdict(list)
    for r in rows:
        if r.get("bench") == "churn":
            handles[(r["platform"], r["backend"], r["op"])].append(
                (r.get("handles_before"), r.get("handles_after")))
    for plat, ops in group(rows, "churn", "op", "cycles_per_s").items():
        def cells(backends, op):
            hs = [handles.get((plat, b, op)) for b in backends]
            return [f"{h[-1][0]}→{h[-1][1]}" if h else "n/a" for h in hs]
        op_table(lines, f"churn: {PLATFORMS.get(plat, plat)}, cycles/s (median)",
                 ops, ["{} handles before→after (last run)"], cells)


def timers_table(rows, lines):
    """afdio's timers against libuv's uv_timer_t: operations per second."""
    allocs = defaultdict(list)
    for r in rows:
        if r.get("bench") == "timers" and r.get("op") == "arm_disarm":
            allocs[(r["platform"], r["backend"])].append(num(r.get("allocs_per_op")))
    for plat, ops in group(rows, "timers", "op", "per_s").items():
        backends = op_table(
            lines, f"timers: {PLATFORMS.get(plat, plat)}, per second (median)", ops)
        lines.append("arm_disarm allocations per operation: " + ", ".join(
            f"{b} {fmt(median(allocs.get((plat, b), [])), 3)}" for b in backends) + "\n")


def http_table(rows, lines):
    """bench/http_wine.sh: requests/s of http_hello (afdio) and its WSAPoll
    twin under wrk, per variant (plain, idle connections held open)."""
    data = OrderedDict()
    for r in rows:
        if r.get("bench") == "http":
            per = data.setdefault((r["variant"], r.get("idle", "0")), defaultdict(list))
            per[r["server"]].append(r)
    if not data:
        return
    lines.append("### http: http_hello.exe (afdio) vs http_wsapoll.exe under Wine, wrk requests/s (median)\n")
    lines.append("| variant | idle connections | afdio | wsapoll | afdio/wsapoll | wrk time-outs + errors (afdio, wsapoll) |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for (variant, idle), per in data.items():
        med = {s: median([num(r.get("rps")) for r in per.get(s, [])]) for s in ("afdio", "wsapoll")}
        bad = {s: sum(int(r.get("timeouts", 0)) + int(r.get("errors", 0)) + int(r.get("non2xx", 0))
                      for r in per.get(s, [])) for s in ("afdio", "wsapoll")}
        lines.append(f"| {variant} | {idle} | {fmt(med['afdio'])} | {fmt(med['wsapoll'])} | "
                     f"{ratio(med['afdio'], med['wsapoll'])} | {bad['afdio']}, {bad['wsapoll']} |")
    lines.append("")


def plot(chart, png):
    panels = [k for k in chart if chart[k]]
    if not panels:
        return
    tmp = os.path.dirname(os.path.abspath(png))
    script = [
        "set terminal pngcairo size 1400,%d font ',10'" % (450 * ((len(panels) + 1) // 2)),
        f"set output '{png}'",
        "set multiplot layout %d,2" % ((len(panels) + 1) // 2),
        "set termoption noenhanced", "set logscale y", "set grid ytics", "set key outside right",
        "set ylabel 'round trips/s'", "set style data linespoints",
    ]
    for i, (bench, plat) in enumerate(panels):
        series = chart[(bench, plat)]
        plots = []
        for j, (backend, pts) in enumerate(series.items()):
            dat = os.path.join(tmp, f".chart_{i}_{j}.dat")
            with open(dat, "w") as f:
                for k, (cfg, v) in enumerate(pts):
                    f.write(f"{k} {v if v is not None else 'NaN'} {cfg}\n")
            plots.append(f"'{dat}' using 1:2:xtic(3) title '{backend}' lw 2")
        xl = {"pingpong": "pairs", "pipe_pingpong": "pipes"}.get(bench, "idle sockets")
        script += [f"set title '{bench}: {PLATFORMS.get(plat, plat)}'",
                   f"set xlabel '{xl}'", "plot " + ", ".join(plots)]
    script.append("unset multiplot")
    try:
        subprocess.run(["gnuplot"], input="\n".join(script), text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report: no chart ({e})", file=sys.stderr)
    for name in os.listdir(tmp):
        if name.startswith(".chart_"):
            os.remove(os.path.join(tmp, name))


def main():
    raw, table, png = sys.argv[1:4]
    rows = parse(raw)
    runs = len({r.get("run") for r in rows})
    lines = [f"## afdio benchmarks ({runs} run(s), medians; ratios are afdio / baseline, "
             "higher is better for afdio)\n"]
    chart = defaultdict(OrderedDict)
    rt_table(rows, "pingpong", "pairs", "pairs", lines, chart)
    rt_table(rows, "idle_scale", "idle", "idle sockets", lines, chart)
    rt_table(rows, "pipe_pingpong", "pipes", "pipes", lines, chart)
    churn_table(rows, lines)
    http_table(rows, lines)
    timers_table(rows, lines)
    with open(table, "w") as f:
        f.write("\n".join(lines) + "\n")
    plot(chart, png)


if __name__ == "__main__":
    main()
