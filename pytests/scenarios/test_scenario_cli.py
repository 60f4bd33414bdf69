"""`berth scenario ls/validate/run` from the command line.

`run --dry-run` uses the simulated lab (no machines), so these tests check the
CLI wiring, exit codes and report files; the reports are read back with real
parsers (xml.etree for JUnit, json for the rest)."""
import glob
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LIBRARY = sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.yaml")))
DATA = os.path.join(ROOT, "tests", "scenarios", "data")


def run(berth, env, *args, timeout=120):
    return subprocess.run([berth, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_ls_lists_library_with_descriptions(berth, env):
    r = run(berth, env, "scenario", "ls")
    assert r.returncode == 0, r.stderr
    for name in ("quickstart", "etcd-partition", "slow-network", "random-faults-soak"):
        line = [l for l in r.stdout.splitlines() if l.startswith(name + " ")]
        assert line, r.stdout
        assert len(line[0].split(None, 1)[1]) > 20  # a real description
        assert "INVALID" not in line[0]
    r = run(berth, env, "scenario", "ls", "--format", "json")
    assert r.returncode == 0, r.stderr
    entries = json.loads(r.stdout)
    assert {e["name"] for e in entries} >= {"quickstart", "etcd-partition"}
    assert all(e["description"] and "error" not in e for e in entries)


def test_validate_every_library_scenario(berth, env):
    assert len(LIBRARY) >= 4
    r = run(berth, env, "scenario", "validate", *LIBRARY)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(": ok: ") == len(LIBRARY)


def test_validate_by_library_name(berth, env):
    r = run(berth, env, "scenario", "validate", "quickstart")
    assert r.returncode == 0, r.stderr
    assert "3 machines" in r.stdout


def test_invalid_file_reports_every_error_positioned(berth, env):
    path = os.path.join(DATA, "invalid.yaml")
    r = run(berth, env, "scenario", "validate", path)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 9, r.stderr
    for line in lines:
        assert re.match(re.escape(path) + r":\d+:\d+: error: .+", line), line
    assert "unknown key 'colour'" in r.stderr
    assert ":10:10: error:" in r.stderr and "'5x'" in r.stderr


def test_run_invalid_file_exits_2_and_creates_nothing(berth, env, tmp_path):
    report = tmp_path / "report"
    r = run(berth, env, "scenario", "run", os.path.join(DATA, "invalid.yaml"),
            "--report", str(report))
    assert r.returncode == 2
    assert "invalid.yaml:4:23: error:" in r.stderr
    assert "nothing was created" in r.stderr
    assert not report.exists()
    assert not os.path.exists(env["BERTH_HOME"])


def test_run_on_real_lab_refuses_what_it_cannot_do_before_creating(berth, env, tmp_path):
    # The real lab seeds only the images it can build (no registry yet).
    path = tmp_path / "nginx.yaml"
    path.write_text(
        "name: nginx\nlab: {machines: [{name: m1}]}\nimages: [nginx:latest]\n"
        "containers: [{name: web, machine: m1, image: nginx:latest}]\n")
    r = run(berth, env, "scenario", "run", str(path))
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert "image 'nginx:latest' cannot be seeded" in out and "busybox:latest" in out, out
    assert "Nothing was created" in out, out
    assert not os.path.exists(os.path.join(env["BERTH_HOME"], "machines"))


def test_dry_run_failing_scenario_exits_1_and_names_check(berth, env, tmp_path):
    report = tmp_path / "report"
    r = run(berth, env, "scenario", "run", "--dry-run", os.path.join(DATA, "must-fail.yaml"),
            "--report", str(report))
    assert r.returncode == 1, r.stdout + r.stderr
    row = [l for l in r.stdout.splitlines() if l.startswith("b never fails")]
    assert row and "FAILED" in row[0], r.stdout
    suite = ET.parse(report / "junit.xml").getroot().find("testsuite")
    assert suite.get("failures") == "1" and suite.get("tests") == "2"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["b never fails"].find("failure") is not None
    assert cases["a stays up"].find("failure") is None
    result = json.loads((report / "result.json").read_text())
    assert result["verdict"] == "FAILED" and result["exit_code"] == 1


def test_dry_run_quickstart_passes_with_full_report(berth, env, tmp_path):
    report = tmp_path / "report"
    r = run(berth, env, "scenario", "run", "--dry-run", "quickstart", "--report", str(report))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASSED" in r.stdout
    assert "step 'kill web2': machine.kill ok" in r.stderr
    suite = ET.parse(report / "junit.xml").getroot().find("testsuite")
    assert suite.get("failures") == "0" and int(suite.get("tests")) == 3
    result = json.loads((report / "result.json").read_text())
    assert result["verdict"] == "PASSED"
    assert 0 <= result["max_step_lateness_ms"] < 500  # 50 ms when idle; the suite runs loaded
    assert [s["name"] for s in result["steps"]] == [
        "kill web2", "start web2", "web2 answers", "settle"]
    events = [json.loads(l) for l in (report / "history.jsonl").read_text().splitlines()]
    assert {"time", "process", "kind", "type", "f", "value"} <= set(events[0])
    assert {e["type"] for e in events} >= {"invoke", "ok", "fail"}
    kills = [e for e in events if e["f"] == "machine.kill" and e["type"] == "ok"]
    assert kills and kills[0]["value"]["machine"] == "web2"
    html = (report / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "<script" not in html and "src=" not in html
    ET.fromstring(re.search(r"<svg.*?</svg>", html, re.S).group(0))  # well-formed SVG


def test_seed_override_changes_random_faults(berth, env, tmp_path):
    soak = tmp_path / "soak.yaml"
    text = open(os.path.join(ROOT, "scenarios", "random-faults-soak.yaml")).read()
    # Same shape, shorter: 1.5 s of chaos.
    text = text.replace("every: 10s", "every: 300ms").replace("for: 120s", "for: 1500ms")
    text = text.replace("recover_after: 4s", "recover_after: 100ms").replace("at: 5s", "at: 0s")
    text = text.replace("after: 20s", "after: 1s").replace("within: 20s", "within: 2s")
    soak.write_text(text)

    def faults(seed):
        rep = tmp_path / ("r%d" % seed)
        r = run(berth, env, "scenario", "run", "--dry-run", "-q", str(soak), "--seed", str(seed),
                "--report", str(rep))
        assert r.returncode in (0, 1), r.stdout + r.stderr
        result = json.loads((rep / "result.json").read_text())
        assert result["seed"] == seed
        return [(s["action"]) for s in result["steps"] if "#" in s["name"]]

    a, b, c = faults(11), faults(11), faults(12)
    assert len(a) == 10 and a == b
    assert a != c
