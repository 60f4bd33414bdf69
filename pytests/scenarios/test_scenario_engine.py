"""`berth scenario run` with containers on real machines: the library's
quickstart.yaml and etcd-partition.yaml must pass end to end, and a scenario
built to fail must exit 1 naming its failing check in the summary and in
junit.xml. Boots 3 + 3 + 1 machines; about 5 minutes on a 2-core TCG host."""
import json
import os
import time
import xml.etree.ElementTree as ET

from berthlab import Lab, virsh

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_scenario(tmp_path, path, expect):
    """Runs one scenario in its own home; returns (result.json, report dir, output)."""
    lab = Lab("scn")
    try:
        report = tmp_path / "report"
        start = time.monotonic()
        r = lab.run("scenario", "run", path, "--report", str(report), check=False, timeout=900)
        took = time.monotonic() - start
        out = r.stdout + r.stderr
        assert r.returncode == expect, out
        result = json.loads((report / "result.json").read_text())
        assert result["lab"] == "libvirt", out
        # Everything the scenario created is gone.
        assert all(c.startswith("removed machine ") for c in result["cleanup"]), result["cleanup"]
        machines = os.path.join(lab.home, "machines")
        assert not os.path.exists(machines) or os.listdir(machines) == [], os.listdir(machines)
        doms = virsh("list", "--all", "--name").stdout
        assert result["scenario"]["name"] + "-" not in doms, doms
        t = result["timing"]
        print("%s: %.1f s end to end (build %.1f, run %.1f, teardown %.1f)" % (
            result["scenario"]["name"], took, t["build_s"], t["run_s"], t["teardown_s"]))
        return result, report, out
    finally:
        lab.close()


def history_of(report):
    return [json.loads(l) for l in (report / "history.jsonl").read_text().splitlines()]


def test_quickstart_passes(tmp_path):
    result, report, out = run_scenario(tmp_path, os.path.join(ROOT, "scenarios", "quickstart.yaml"), 0)
    assert result["verdict"] == "PASSED", out
    assert all(c["passed"] for c in result["checks"]), result["checks"]
    ops = [e for e in history_of(report) if e["f"] == "get" and e["type"] in ("ok", "fail")]
    # Every machine answered from its container, and web2 failed while it was down.
    for m in ("web1", "web2", "web3"):
        assert any(e["type"] == "ok" and e["value"]["target"] == m + ":8080" for e in ops), m
    assert any(e["type"] == "fail" and e["value"]["target"] == "web2:8080" for e in ops)
    steps = {s["name"]: s for s in result["steps"]}
    assert steps["kill web2"]["ok"] and steps["start web2"]["ok"], steps


def test_etcd_partition_passes(tmp_path):
    result, report, out = run_scenario(
        tmp_path, os.path.join(ROOT, "scenarios", "etcd-partition.yaml"), 0)
    assert result["verdict"] == "PASSED", out
    history = history_of(report)
    acked = [e for e in history if e["f"] == "put" and e["type"] == "ok"]
    assert len(acked) > 100, len(acked)
    final = [e for e in history if e["f"] == "final-read"]
    assert final and final[0]["value"]["lost"] == [] and final[0]["value"]["acknowledged_keys"] > 100


def test_scenario_built_to_fail_exits_1(tmp_path):
    path = os.path.join(ROOT, "tests", "scenarios", "data", "real-must-fail.yaml")
    result, report, out = run_scenario(tmp_path, path, 1)
    assert result["verdict"] == "FAILED", out
    checks = {c["name"]: c for c in result["checks"]}
    assert not checks["web never fails"]["passed"] and checks["web answers again"]["passed"], checks
    assert "web never fails" in out and "FAILED" in out, out
    suite = ET.parse(report / "junit.xml").getroot()
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["web never fails"].find("failure") is not None
    assert cases["web answers again"].find("failure") is None
