"""The alert rules shipped with the stack, read from their files, and when each fired in a run:
Prometheus's ALERTS series over the run, fabricated here as query_range answers, turned into
first-firing times, recorded in run.json and rendered as the report's Alerts section."""

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from experiments import alerts
from experiments.alerts import Rule, Times, alert_times, alerts_seen, loaded_alerts, recorded, shipped_rules
from experiments.alerts_report import alerts_section
from experiments.recording import STEP_SECONDS, series_range
from experiments.report_text import table
from experiments.run_record import AlertSeen, AlertsSeen, load_record, save_record
from stormlab_common.model import dump, problems_of
from tests.unit.experiments_support import RUN, STARTED_WALL, partial_run

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["RetryAmplificationAbove2", "DeviceConnectionSetupsAtLimit", "GoodputBelowHalfOfHourLevel",
           "OperatorViewLosingScrapes"]
RULES = [Rule("Slow", "warning", "1m"), Rule("Quick", "critical", "10s"), Rule("Quiet", "warning", "20s")]
FILES = ("prometheus/rules/stormlab.rules.yml",)


def series(name: str, state: str, seconds, **labels) -> dict:
    """One ALERTS series as query_range answers it: a sample every step it was in that state."""
    metric = {"__name__": "ALERTS", "alertname": name, "alertstate": state, "severity": "warning", **labels}
    return {"metric": metric, "values": [[STARTED_WALL + t, "1"] for t in seconds]}


# --- the rules files -------------------------------------------------------------------------

def test_the_shipped_alerts_are_read_from_the_rules_files_in_their_order():
    rules = shipped_rules(alerts.rule_files())
    assert [rule.name for rule in rules] == SHIPPED
    assert {rule.name: rule.for_duration for rule in rules}["RetryAmplificationAbove2"] == "1m"
    assert all(rule.severity in ("warning", "critical") for rule in rules)


def test_every_shipped_alert_says_what_it_means_and_prometheus_loads_the_same_files():
    for path in alerts.rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]
                    assert "for" in rule and "severity" in rule["labels"], rule["alert"]
    config = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    assert config["rule_files"] == [f"rules/{alerts.RULES_PATTERN}"]  # relative to prometheus.yml
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "./prometheus:/etc/prometheus:ro" in compose["services"]["prometheus"]["volumes"]


def test_docs_alerts_has_a_row_for_every_rule_shipped_and_no_other():
    shipped = {rule.get("alert") or rule.get("record") for path in alerts.rule_files()
               for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]}
    documented = set(re.findall(r"^\| `([A-Za-z][\w:]*)` \|", (ROOT / "docs/alerts.md").read_text(), re.M))
    assert shipped == documented


def test_recording_rules_and_files_without_alerts_add_no_alert(tmp_path):
    (tmp_path / "a.rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [
        {"record": "x:y:rate10s", "expr": "sum(rate(y[10s]))"},
        {"alert": "Bare", "expr": "x:y:rate10s > 1"}]}]}))
    (tmp_path / "empty.rules.yml").write_text("")
    assert shipped_rules(alerts.rule_files(tmp_path)) == [Rule("Bare", "", "0s")]


# --- ALERTS as first-firing times --------------------------------------------------------------

def test_the_first_firing_is_the_page_and_pending_is_when_the_condition_began():
    result = [series("Slow", "pending", range(35, 95)), series("Slow", "firing", range(95, 121))]
    assert alert_times(result, STARTED_WALL) == {"Slow": Times(first_firing=95.0, first_pending=35.0)}


def test_an_alert_of_several_series_fires_when_the_first_of_them_does():
    result = [series("Quick", "firing", range(70, 100), device="border"),
              series("Quick", "firing", range(52, 60), device="dns-path"),
              series("Quick", "pending", range(42, 52), device="dns-path")]
    assert alert_times(result, STARTED_WALL)["Quick"] == Times(first_firing=52.0, first_pending=42.0)


def test_firing_from_before_the_run_is_no_page_unless_it_clears_and_fires_again():
    left_over = [series("Slow", "firing", range(0, 20))]
    assert alert_times(left_over, STARTED_WALL) == {"Slow": Times(firing_at_start=True)}
    again = [series("Slow", "firing", [*range(0, 20), *range(80, 90)]), series("Slow", "pending", range(20, 80))]
    assert alert_times(again, STARTED_WALL) == {"Slow": Times(80.0, 20.0, True)}


def test_no_alerts_series_and_foreign_series_give_no_times():
    assert alert_times([], STARTED_WALL) == {}
    odd = [{"metric": {"alertstate": "firing"}, "values": [[STARTED_WALL, "1"]]},
           {"metric": {"alertname": "X", "alertstate": "inactive"}, "values": [[STARTED_WALL + 5, "1"]]}]
    assert alert_times(odd, STARTED_WALL) == {}


# --- fired, did not fire, or rules not loaded ----------------------------------------------------

def states(seen: AlertsSeen) -> dict[str, str]:
    return {alert.name: alert.state for alert in seen.alerts}


def test_what_prometheus_lists_as_loaded_tells_silence_from_absence():
    times = {"Slow": Times(95.0, 35.0)}
    seen = alerts_seen(RULES, times, {"Slow", "Quick"}, FILES)
    assert seen.confirmed_by == "rules_api"
    assert states(seen) == {"Slow": "fired", "Quick": "did_not_fire", "Quiet": "rules_not_loaded"}
    assert seen.alerts[0] == AlertSeen("Slow", "warning", "1m", "fired", 95.0, 35.0)
    pending_only = alerts_seen(RULES, {"Quiet": Times(first_pending=40.0)}, set(), FILES)
    assert states(pending_only)["Quiet"] == "did_not_fire"  # pending proves its rule is loaded


def test_without_the_rules_api_the_alerts_series_are_the_evidence():
    inferred = alerts_seen(RULES, {"Quick": Times(first_firing=52.0)}, None, FILES)
    assert inferred.confirmed_by == "alerts_series"
    assert states(inferred) == {"Slow": "did_not_fire", "Quick": "fired", "Quiet": "did_not_fire"}
    blind = alerts_seen(RULES, {}, None, FILES)
    assert blind.confirmed_by == "unconfirmed"
    assert set(states(blind).values()) == {"rules_not_loaded"}
    assert states(alerts_seen(RULES, {"Slow": Times(firing_at_start=True)}, set(), FILES))["Slow"] == \
        "already_firing"


def test_the_rules_api_answer_names_the_alerting_rules_only():
    data = {"groups": [{"name": "stormlab", "file": "/etc/prometheus/rules/stormlab.rules.yml", "rules": [
        {"name": "stormlab:client_attempts:rate10s", "type": "recording"},
        {"name": "RetryAmplificationAbove2", "type": "alerting", "state": "inactive"}]}]}
    assert loaded_alerts(data) == {"RetryAmplificationAbove2"}
    assert loaded_alerts({"groups": []}) == set()


class FakePrometheus:
    def __init__(self, result=(), rules=None, failing=()):
        self.result, self.rules_data, self.failing, self.asked = list(result), rules, failing, []

    def query_range(self, promql, start, end, step):
        self.asked.append((promql, start, end, step))
        if "query_range" in self.failing:
            raise RuntimeError("GET /api/v1/query_range answered 503")
        return self.result

    def rules(self):
        if "rules" in self.failing:
            raise RuntimeError("GET /api/v1/rules answered 404")
        return self.rules_data


def test_the_runner_reads_alerts_over_the_series_range_and_the_rules_it_ships():
    firing = [series("RetryAmplificationAbove2", "firing", range(95, 104))]
    listed = {"groups": [{"rules": [{"name": name, "type": "alerting"} for name in SHIPPED]}]}
    prometheus, notes = FakePrometheus(firing, listed), []
    seen = recorded(prometheus, STARTED_WALL, 100.0, notes)
    assert notes == []
    assert prometheus.asked == [("ALERTS", *series_range(STARTED_WALL, 100.0), STEP_SECONDS)]
    assert seen.rules_files == FILES and seen.confirmed_by == "rules_api"
    assert states(seen) == {"RetryAmplificationAbove2": "fired", "DeviceConnectionSetupsAtLimit": "did_not_fire",
                            "GoodputBelowHalfOfHourLevel": "did_not_fire", "OperatorViewLosingScrapes": "did_not_fire"}


def test_an_unanswered_rules_api_is_a_note_and_unanswered_alerts_no_record():
    notes = []
    seen = recorded(FakePrometheus(failing=("rules",)), STARTED_WALL, 100.0, notes)
    assert seen.confirmed_by == "unconfirmed" and set(states(seen).values()) == {"rules_not_loaded"}
    assert notes == ["alert rules not confirmed loaded (Prometheus's rules API): GET /api/v1/rules answered 404"]
    notes = []
    assert recorded(FakePrometheus(failing=("query_range",)), STARTED_WALL, 100.0, notes) is None
    assert notes == ["alerts not recorded: GET /api/v1/query_range answered 503"]


# --- run.json and the report ------------------------------------------------------------------

SEEN = AlertsSeen(FILES, "rules_api", (
    AlertSeen("RetryAmplificationAbove2", "warning", "1m", "did_not_fire", first_pending_seconds=36.0),
    AlertSeen("DeviceConnectionSetupsAtLimit", "warning", "10s", "fired", 47.0, 36.5),
    AlertSeen("GoodputBelowHalfOfHourLevel", "critical", "20s", "fired", 63.0, 42.0, firing_at_start=True),
    AlertSeen("OperatorViewLosingScrapes", "critical", "10s", "already_firing", firing_at_start=True),
))


def test_the_alerts_are_kept_in_run_json_and_checked_for_sense(tmp_path):
    save_record(tmp_path, replace(RUN, alerts=SEEN))
    assert load_record(tmp_path).alerts == SEEN
    assert load_record(tmp_path) == replace(RUN, alerts=SEEN)
    data = dump(replace(RUN, alerts=SEEN))
    data["alerts"]["alerts"][0]["first_firing_seconds"] = 12.0
    data["alerts"]["alerts"][3]["firing_at_start"] = False
    assert problems_of(type(RUN), data) == [
        "alerts.alerts.0.first_firing_seconds: expected null in state did_not_fire, got 12.0",
        "alerts.alerts.3.firing_at_start: expected True in state already_firing, got False"]


def test_the_report_gives_each_alert_its_page_against_the_trigger_and_the_phase():
    md = alerts_section(replace(RUN, alerts=SEEN))
    assert md.startswith("## Alerts\n\nWhen each alert rule shipped with the stack (prometheus/rules/stormlab.rules.yml")
    rows = [
        ["RetryAmplificationAbove2", "warning", "1m", "did not fire", "—", "—", "t+36 s"],
        ["DeviceConnectionSetupsAtLimit", "warning", "10s", "t+47 s", "+17 s", "after the trigger", "t+36 s"],
        ["GoodputBelowHalfOfHourLevel", "critical", "20s",
         "t+63 s (firing at the start too: it cleared and fired again)", "+33 s", "after move-dns", "t+42 s"],
        ["OperatorViewLosingScrapes", "critical", "10s", "already firing at the start (paged before the run)",
         "—", "—", "—"],
    ]
    header = ["alert", "severity", "for", "first firing (the page)", "from the trigger", "phase", "pending from"]
    assert table(header, rows) in md
    assert md.endswith("one it did not list reads \"rules not loaded\".")


@pytest.mark.parametrize("confirmed_by, says", [
    ("alerts_series", "the rules count as loaded because ALERTS series of them exist"),
    ("unconfirmed", "whether the rules were loaded cannot be told"),
])
def test_the_report_says_how_it_knows_the_rules_were_loaded(confirmed_by, says):
    unsure = AlertsSeen(FILES, confirmed_by, (AlertSeen("Quiet", "warning", "20s", "rules_not_loaded"),))
    md = alerts_section(replace(RUN, alerts=unsure))
    assert "| Quiet | warning | 20s | rules not loaded | — | — | — |" in md and says in md


def test_a_run_without_alerts_recorded_says_so():
    for record in (RUN, partial_run()):
        assert alerts_section(record).startswith("## Alerts\n\n_No alerts recorded: the run predates the alert rules")
    no_rules = alerts_section(replace(RUN, alerts=AlertsSeen(FILES, "rules_api")))
    assert no_rules.endswith("_The rules files hold no alerting rules._")
