"""`berth scenario run` on the real lab: one libvirt machine driven through a
timeline of machine, disk and clock faults, without containers (so without
the engine: test_scenario_engine.py covers containers). Boots one VM twice;
about 1-3 minutes."""
import json
import os
import subprocess
import time

from berthlab import Lab, virsh
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCENARIO = os.path.join(ROOT, "tests", "scenarios", "data", "real-one-machine.yaml")


def test_real_machine_timeline_passes_and_cleans_up(tmp_path):
    lab = Lab("scenario")
    try:
        report = tmp_path / "report"
        start = time.monotonic()
        r = lab.run("scenario", "run", SCENARIO, "--report", str(report), check=False,
                    timeout=900)
        took = time.monotonic() - start
        out = r.stdout + r.stderr
        assert r.returncode == 0, out
        result = json.loads((report / "result.json").read_text())
        assert result["lab"] == "libvirt" and result["verdict"] == "PASSED", out
        steps = {s["name"]: s for s in result["steps"]}
        for name in ("pause", "resume", "skew", "fill", "filled", "kill", "start", "back"):
            assert steps[name]["ok"], steps[name]
        history = [json.loads(l) for l in (report / "history.jsonl").read_text().splitlines()]
        healed = {e["f"] for e in history
                  if e["type"] == "ok" and e["value"].get("step") == "final heal"}
        assert {"disk.free", "clock.reset"} <= healed, healed
        # Everything the scenario created is gone.
        assert result["cleanup"] == ["removed machine real-one-machine-m1"], result["cleanup"]
        machines = os.path.join(lab.home, "machines")
        assert not os.path.exists(machines) or os.listdir(machines) == []
        doms = virsh("list", "--all", "--name").stdout
        assert "real-one-machine-m1" not in doms
        print("real-one-machine: %.1f s (build %.1f, run %.1f, teardown %.1f)" % (
            took, result["timing"]["build_s"], result["timing"]["run_s"],
            result["timing"]["teardown_s"]))
    finally:
        lab.close()
