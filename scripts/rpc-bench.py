#!/usr/bin/env python3
"""pp/tg speed of a model split over the local CPU and two loopback RPC servers, ggml4j against llama.cpp.

    scripts/rpc-bench.py MODEL [--rounds 3] [--threads 2] [--ngl 99] [--ts 1/1] [-p 512] [-n 128]

Starts two RPC servers on 127.0.0.1, ggml4j's (./ggml4j rpc-server) and llama.cpp's (ggml-rpc-server of the
pinned tree), then runs, interleaved round by round: ggml4j bench and llama-bench locally, then both with
--rpc over the two servers (same -ngl and -ts). Each tool runs in a process of its own (a ggml RPC server serves
one client at a time). Prints each round and the medians; compare ratios within one run only.
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def reference_bin():
    props = os.path.join(ROOT, "build/native/lib/ggml4j-natives.properties")
    with open(props) as f:
        for line in f:
            if line.startswith("reference.bin.dir="):
                return line.split("=", 1)[1].strip()
    sys.exit("no reference.bin.dir in " + props + ": build the natives with the reference tools")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(proc, port, what):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(what + " exited with " + str(proc.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(what + " did not listen on " + str(port))


def ggml4j_bench(a, rpc):
    cmd = [os.path.join(ROOT, "ggml4j"), "bench", "-m", a.model, "-p", str(a.p), "-n", str(a.n), "-r", str(a.reps),
           "-t", str(a.threads)]
    if rpc:
        cmd += ["--rpc", rpc, "-ngl", str(a.ngl), "-ts", a.ts]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=1800).stdout
    rates = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 8 and cells[0] == "ggml4j":
            rates[cells[6]] = float(cells[7].split()[0])
    return rates


def llama_bench(a, bindir, rpc):
    cmd = [os.path.join(bindir, "llama-bench"), "-m", a.model, "-p", str(a.p), "-n", str(a.n), "-r", str(a.reps),
           "-t", str(a.threads), "-o", "jsonl"]
    cmd += ["--rpc", rpc, "-ngl", str(a.ngl), "-ts", a.ts] if rpc else ["-ngl", "0"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=1800).stdout
    rates = {}
    for line in out.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            test = "pp%d" % r["n_prompt"] if r["n_gen"] == 0 else "tg%d" % r["n_gen"]
            rates[test] = r["avg_ts"]
    return rates


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ngl", type=int, default=99)
    ap.add_argument("--ts", default="1/1")
    ap.add_argument("-p", type=int, default=512)
    ap.add_argument("-n", type=int, default=128)
    a = ap.parse_args()
    bindir = reference_bin()
    p1, p2 = free_port(), free_port()
    servers = [
        subprocess.Popen([os.path.join(ROOT, "ggml4j"), "rpc-server", "--port", str(p1), "-t", str(a.threads)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([os.path.join(bindir, "ggml-rpc-server"), "-p", str(p2), "-t", str(a.threads)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        wait_listening(servers[0], p1, "ggml4j rpc-server")
        wait_listening(servers[1], p2, "ggml-rpc-server")
        rpc = "127.0.0.1:%d,127.0.0.1:%d" % (p1, p2)
        runs = {}
        for r in range(a.rounds):
            for name, fn in (("ggml4j local", lambda: ggml4j_bench(a, None)),
                             ("llama.cpp local", lambda: llama_bench(a, bindir, None)),
                             ("ggml4j rpc", lambda: ggml4j_bench(a, rpc)),
                             ("llama.cpp rpc", lambda: llama_bench(a, bindir, rpc))):
                rates = fn()
                print("round %d %-16s %s" % (r + 1, name, rates), flush=True)
                for test, v in rates.items():
                    runs.setdefault((name, test), []).append(v)
        tests = sorted({t for (_, t) in runs})
        print()
        print("split: -ngl %d -ts %s over ggml4j rpc-server :%d and ggml-rpc-server :%d, %d threads each, "
              "medians of %d interleaved rounds" % (a.ngl, a.ts, p1, p2, a.threads, a.rounds))
        print("| test  | ggml4j local | llama.cpp local | ggml4j rpc | llama.cpp rpc | rpc ggml4j/llama.cpp | ggml4j rpc/local |")
        print("| ----- | -----------: | --------------: | ---------: | ------------: | -------------------: | ---------------: |")
        for t in tests:
            m = {k: statistics.median(runs[(k, t)]) for k in ("ggml4j local", "llama.cpp local", "ggml4j rpc",
                                                              "llama.cpp rpc") if (k, t) in runs}
            print("| %-5s | %12.2f | %15.2f | %10.2f | %13.2f | %20.3f | %16.3f |" % (
                t, m["ggml4j local"], m["llama.cpp local"], m["ggml4j rpc"], m["llama.cpp rpc"],
                m["ggml4j rpc"] / m["llama.cpp rpc"], m["ggml4j rpc"] / m["ggml4j local"]))
    finally:
        for s in servers:
            s.terminate()
            try:
                s.wait(20)
            except subprocess.TimeoutExpired:
                s.kill()


if __name__ == "__main__":
    main()
