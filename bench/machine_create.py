#!/usr/bin/python3
"""Benchmark: machine creation against a bare QEMU boot of the same image.

In one run, so the ratios hold on a shared, noisy machine:
  1. baseline: images/measure-bare-boot (QEMU alone, no libvirt, no berth) —
     time until `ssh true` succeeds;
  2. `berth machine create` of one machine until it returns (SSH answers);
  3. `berth machine create` of three machines in parallel;
  4. idle resident memory (RSS) of each machine's QEMU process.
Prints a JSON object; docs/PERFORMANCE.md records the figures.

Usage: bench/machine_create.py [--runs N]   (needs a built berth: build/cli/berth)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pytests"))
from berthlab import Lab, qemu_pids_for  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed_create(lab, names):
    start = time.monotonic()
    lab.create(*names)
    return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    bare = json.loads(subprocess.run([str(ROOT / "images" / "measure-bare-boot"), str(args.runs)],
                                     check=True, capture_output=True, text=True).stdout)
    one, three, rss = [], [], []
    for i in range(args.runs):
        lab = Lab("bench")
        try:
            lab.create("warm")  # builds/validates the image cache outside the timing
            lab.run("machine", "rm", "-f", "warm")
            one.append(timed_create(lab, [f"one{i}"]))
            lab.run("machine", "rm", "-f", f"one{i}")
            three.append(timed_create(lab, [f"p{i}a", f"p{i}b", f"p{i}c"]))
            time.sleep(10)  # let the guests settle to idle
            for n in (f"p{i}a", f"p{i}b", f"p{i}c"):
                for pid in qemu_pids_for("berth-" + n):
                    rss.append(rss_mib(pid))
        finally:
            lab.close()
    base = bare["median_ssh_s"]
    result = {
        "runs": args.runs,
        "bare_qemu_boot_to_ssh_s": bare["ssh_s"],
        "bare_median_s": base,
        "create_one_s": [round(x, 2) for x in one],
        "create_one_median_s": round(statistics.median(one), 2),
        "create_three_parallel_s": [round(x, 2) for x in three],
        "create_three_median_s": round(statistics.median(three), 2),
        "ratio_one_vs_bare": round(statistics.median(one) / base, 2),
        "ratio_three_vs_bare": round(statistics.median(three) / base, 2),
        "idle_rss_mib_per_machine": round(statistics.median(rss), 1) if rss else None,
        "loadavg": os.getloadavg(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
