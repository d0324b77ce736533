"""What the operators saw vs what happened: the same services, scraped two ways.

Prometheus's job ``operator-view`` scrapes the services through the proxy, across the same
device as the clients, and stores the samples as ``operator_view:<name>``; job ``services``
scrapes them out of band (ground truth). In a storm the operators' scrapes queue behind the
clients' connections, miss their timeout and are lost: their panels go blank while the
ground truth beside them shows the outage.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from grafana.model import BAD, CAPACITY, GOOD, LOAD, RATE, Dashboard, Panel, Row, Series, State, Variable
from stormlab_common import metric_names as m
from stormlab_common.queries import BY_NAME

ROOT = Path(__file__).resolve().parents[1]
OPERATOR_JOB, GROUND_TRUTH_JOB = "operator-view", "services"
OPERATOR_PREFIX = "operator_view:"  # prometheus/prometheus.yml's metric_relabel_configs
SERVICE = '{service=~"$service"}'
# The operators' line in orange, not red: at 100% it is the healthy state.
OPERATORS, GROUND_TRUTH = "operators (through the device)", "ground truth (out of band)"
SCRAPES_COLOURS = ((OPERATORS, "orange"), (GROUND_TRUTH, "green"))


def operator_scrape_config() -> dict:
    config = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == OPERATOR_JOB]
    return job


def operator_targets() -> tuple[tuple[str, str], ...]:
    """Each operator scrape target (``proxy:9101``) and the service it reaches through the
    proxy's link on that port, so panels say "api", not a port number."""
    links = yaml.safe_load((ROOT / "proxy/config.yml").read_text())["links"]
    upstream_by_port = {link["listen_port"]: link["upstream"].split(":")[0] for link in links.values()}
    targets = [t for group in operator_scrape_config()["static_configs"] for t in group["targets"]]
    return tuple((t, f"{upstream_by_port[int(t.rsplit(':', 1)[1])]} (via {t})") for t in targets)


def operator_scrape_timeout_seconds() -> float:
    timeout = operator_scrape_config()["scrape_timeout"]
    if timeout.endswith("ms"):
        return float(timeout[:-2]) / 1000
    return float(timeout.removesuffix("s"))


def last_success_age(job: str) -> str:
    """Seconds since each target's last successful scrape: a failed scrape marks its series
    stale at once, so the age comes from ``up`` over a subquery at the scrape interval."""
    return f'time() - max_over_time(timestamp(up{{job="{job}"}} == 1)[5m:])'


def scrapes() -> tuple[Panel, ...]:
    names = operator_targets()
    return (
        Panel(
            "Scrapes arriving: operators vs ground truth",
            "Could anyone see the services? Share of scrape targets answering, for the operators'"
            " monitoring (through the device) and for ground truth (out of band). In a storm the"
            " first falls while the second stays at 100%.",
            (
                Series(BY_NAME["operator_view_up"].expression(RATE), OPERATORS),
                Series(BY_NAME["ground_truth_up"].expression(RATE), GROUND_TRUTH),
            ),
            name_colours=SCRAPES_COLOURS,
            unit="percentunit",
            min=0,
            max=1,
        ),
        Panel(
            "Each operator scrape: arrived or lost",
            "Which of the operators' scrape targets answered, scrape by scrape. Red is a scrape"
            " that did not cross the device within its timeout: the operators saw nothing.",
            (Series(f'up{{job="{OPERATOR_JOB}"}}', "{{instance}}"),),
            unit="short",
            kind="state-timeline",
            states=(State(0, "lost", "red"), State(1, "arrived", "green")),
            rename=names,
        ),
        Panel(
            "How old is the operators' picture?",
            "Seconds since each operator target was last scraped successfully, against the"
            " stalest ground-truth target. A rising line is a dashboard frozen in the past.",
            (
                Series(last_success_age(OPERATOR_JOB), "{{instance}}", BAD),
                Series(f"max({last_success_age(GROUND_TRUTH_JOB)})", "ground truth (stalest target)", GOOD),
            ),
            unit="s",
            min=0,
            rename=names,
        ),
        Panel(
            "Scrape duration vs the operators' timeout",
            "How long each scrape took. The operators' scrapes queue in the device with the"
            " clients' connections; past the timeout (dashed) they are abandoned.",
            (
                Series(f'scrape_duration_seconds{{job="{OPERATOR_JOB}"}}', "{{instance}}", LOAD),
                Series(
                    f'max(scrape_duration_seconds{{job="{GROUND_TRUTH_JOB}"}})',
                    "ground truth (slowest target)",
                    GOOD,
                ),
                Series(
                    f"vector({operator_scrape_timeout_seconds():g})", "operators' scrape timeout", CAPACITY
                ),
            ),
            unit="s",
            min=0,
            rename=names,
        ),
    )


def side_by_side(
    title: str, question: str, unit: str, promql: Callable[[str], str], legend: str, role: str | None
) -> tuple[Panel, Panel]:
    """The same series twice: as the operators' monitoring recorded it, and as it was."""
    return (
        Panel(
            f"Operators saw: {title}",
            f"{question} As the operators' monitoring recorded it, through the device: a gap is"
            " a scrape that never arrived.",
            (Series(promql(OPERATOR_PREFIX), legend, role),),
            unit=unit,
            height=7,
            min=0,
        ),
        Panel(
            f"Ground truth: {title}",
            f"{question} As it was, scraped out of band.",
            (Series(promql(""), legend, role),),
            unit=unit,
            height=7,
            min=0,
        ),
    )


def same_series() -> tuple[Panel, ...]:
    return (
        *side_by_side(
            "requests handled per second",
            "How many requests each service answered, whatever the outcome.",
            "reqps",
            lambda p: f"sum by (service) (rate({p}{m.SERVICE_REQUESTS}{SERVICE}[{RATE}]))",
            "{{service}}",
            LOAD,
        ),
        *side_by_side(
            "requests shed per second",
            "Requests each service refused with a 503 (queue full, admission control, deadline).",
            "reqps",
            lambda p: f"sum by (service) (rate({p}{m.SERVICE_REJECTED}{SERVICE}[{RATE}]))",
            "{{service}}",
            BAD,
        ),
        *side_by_side(
            "queued requests",
            "Requests waiting for a worker at each service.",
            "short",
            lambda p: f"sum by (service) ({p}{m.SERVICE_QUEUED}{SERVICE})",
            "{{service}}",
            LOAD,
        ),
        *side_by_side(
            "work wasted on abandoned requests",
            "Workers busy on requests whose client had already given up.",
            "short",
            lambda p: f"sum by (service) (rate({p}{m.SERVICE_WASTED_WORK}{SERVICE}[{RATE}]))",
            "{{service}}",
            BAD,
        ),
        *side_by_side(
            "p99 request duration",
            "How long the slowest 1% of requests took at each service, queueing included.",
            "s",
            lambda p: (
                f"histogram_quantile(0.99, sum by (le, service) "
                f"(rate({p}{m.SERVICE_REQUEST_DURATION}_bucket{SERVICE}[{RATE}])))"
            ),
            "{{service}}",
            None,
        ),
    )


def dashboard() -> Dashboard:
    return Dashboard(
        uid="stormlab-operators",
        title="What the operators saw vs what happened",
        description="The operators' monitoring crosses the congested device and goes blind;"
        " ground truth, scraped out of band, shows what really happened.",
        items=(
            Row("Can the operators see?"),
            *scrapes(),
            Row("The same series: what the operators saw (left) and what happened (right)"),
            *same_series(),
        ),
        variables=(Variable("service", "Service", m.SERVICE_LIMIT_WORKERS),),
    )
