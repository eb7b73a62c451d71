"""Alerts: a failed DAG run, or curated data not ready in time, sent where operations look.

The channel is a setting (``RETAIL_FACTORY_ALERT_NOTIFIER``): ``log`` (default: an ERROR line
in the component's log), ``email`` (Airflow's SMTP notifier, through the connection named by
``RETAIL_FACTORY_ALERT_SMTP_CONN_ID``, to ``RETAIL_FACTORY_ALERT_EMAIL_TO``) or ``webhook``
(Airflow's HTTP notifier: a JSON POST through the HTTP connection named by
``RETAIL_FACTORY_ALERT_HTTP_CONN_ID``, which holds the URL and any credentials). Addresses and
secrets live in Airflow connections, never here.

* every factory DAG has :func:`failure_alert` as its ``on_failure_callback``;
* each landing DAG's ``publish`` task has :func:`nothing_delivered_alert` as its
  ``on_skipped_callback``: a source sent nothing at all for its date, so that date's chain waits;
* ``transform`` has :func:`curated_data_deadline`: an Airflow deadline alert that fires when the
  curated data of business date D is not built by the next day at ``RETAIL_FACTORY_CURATED_READY_BY``
  (local time, default 07:00), or, for a run that starts later than that (a re-run, a backfill),
  within ``RETAIL_FACTORY_CURATED_GRACE_HOURS`` (default 2) of its start.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from typing import Any

from airflow.sdk import BaseNotifier
from airflow.sdk.definitions.deadline import BaseDeadlineReference, deadline_reference

from retail_factory.config import ENV_PREFIX, get_settings

log = logging.getLogger(__name__)

CHANNELS = ("log", "email", "webhook")


@dataclass(frozen=True)
class AlertSettings:
    channel: str = "log"
    http_conn_id: str = "retail_factory_alerts"
    smtp_conn_id: str = "smtp_default"
    email_to: str = ""
    curated_ready_by: dt.time = dt.time(7, 0)
    grace: dt.timedelta = dt.timedelta(hours=2)


def alert_settings() -> AlertSettings:
    """Read from the environment when an alert is sent (not at DAG parse time)."""
    env = os.environ
    channel = env.get(f"{ENV_PREFIX}ALERT_NOTIFIER", "log")
    if channel not in CHANNELS:
        raise ValueError(f"{ENV_PREFIX}ALERT_NOTIFIER is {channel!r}; it must be one of {', '.join(CHANNELS)}")
    ready_by = env.get(f"{ENV_PREFIX}CURATED_READY_BY", "07:00")
    try:
        ready_time = dt.time.fromisoformat(ready_by)
    except ValueError:
        expected = "a time of day is expected, e.g. 07:00"
        raise ValueError(f"{ENV_PREFIX}CURATED_READY_BY is {ready_by!r}; {expected}") from None
    return AlertSettings(
        channel=channel,
        http_conn_id=env.get(f"{ENV_PREFIX}ALERT_HTTP_CONN_ID", "retail_factory_alerts"),
        smtp_conn_id=env.get(f"{ENV_PREFIX}ALERT_SMTP_CONN_ID", "smtp_default"),
        email_to=env.get(f"{ENV_PREFIX}ALERT_EMAIL_TO", ""),
        curated_ready_by=ready_time,
        grace=dt.timedelta(hours=float(env.get(f"{ENV_PREFIX}CURATED_GRACE_HOURS", "2"))),
    )


def alert_message(kind: str, dag_id: str, run_id: str, business_date: str | None, reason: str) -> dict[str, Any]:
    """What every channel sends: a one-line summary and the fields a receiver can route on."""
    day = f" for {business_date}" if business_date else ""
    return {
        "source": "retail-factory",
        "kind": kind,  # dag_run_failed, curated_data_late, nothing_delivered
        "dag_id": dag_id,
        "run_id": run_id,
        "business_date": business_date,
        "reason": reason,
        "text": f"[retail-factory] {dag_id}{day}: {reason} (run {run_id})",
    }


def _channel(message: dict[str, Any], settings: AlertSettings) -> BaseNotifier | None:
    """Airflow's own notifier for the channel; None for the log."""
    if settings.channel == "webhook":
        from airflow.providers.http.notifications.http import HttpNotifier

        # The message is sent as is: HttpNotifier renders its fields as templates, so braces in a
        # reason would be read as Jinja. Escaping is not needed: no field is rendered twice.
        return HttpNotifier(http_conn_id=settings.http_conn_id, endpoint="", method="POST", json=message)
    if settings.channel == "email":
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        if not settings.email_to:
            raise ValueError(f"{ENV_PREFIX}ALERT_EMAIL_TO is not set: the e-mail alert has no recipient")
        body = "<br>".join(f"<b>{key}</b>: {value}" for key, value in message.items() if key != "text")
        return SmtpNotifier(to=settings.email_to, smtp_conn_id=settings.smtp_conn_id, subject=message["text"],
                            html_content=body)  # fmt: skip
    return None


class FactoryAlert(BaseNotifier):
    """A DAG run failed: say which, for which business date, and what failed, on the configured channel."""

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Nothing to render: the message is built from the context (and under ``dag.test()`` the
        context's DAG is a serialized one, without the template environment the base class asks for)."""

    def message(self, context: Any) -> dict[str, Any]:
        return alert_message("dag_run_failed", *_describe_failure(context))

    def notify(self, context: Any) -> None:
        settings = alert_settings()
        message = self.message(context)
        log.error("%s", message["text"])
        notifier = _channel(message, settings)
        if notifier is not None:
            notifier.notify(context)


class NothingDelivered(FactoryAlert):
    """A landing run found no file at all for its date (none landed, none quarantined): its raw
    Asset is not emitted, so ``transform`` does not build that date until the source delivers."""

    def message(self, context: Any) -> dict[str, Any]:
        dag_id, run_id, day, _ = _describe_failure(context)
        domain = dag_id.removeprefix("land_")
        reason = (
            f"nothing delivered under drop/{domain}/<entity>/{day}/ (no file landed, none quarantined); raw_{domain}"
            " not emitted, so transform waits for this date: land it again once the files are there"
        )
        return alert_message("nothing_delivered", dag_id, run_id, day, reason)


def failure_alert() -> FactoryAlert:
    """The ``on_failure_callback`` of every factory DAG."""
    return FactoryAlert()


def nothing_delivered_alert() -> NothingDelivered:
    """The ``on_skipped_callback`` of the landing DAGs' ``publish`` task."""
    return NothingDelivered()


def _describe_failure(context: Any) -> tuple[str, str, str | None, str]:
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    dag_id = getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", "") or ""
    run_id = getattr(dag_run, "run_id", None) or context.get("run_id") or ""
    reason = str(context.get("reason") or "the run failed")
    last = context.get("ti") or context.get("task_instance")  # the task instance that decided the run's state
    if last is not None:
        reason += f"; task {last.task_id} {last.state or 'failed'}"
        if last.state == "upstream_failed":
            reason += " (a task before it failed)"
    return dag_id, run_id, _context_date(context), reason


def _context_date(context: Any) -> str | None:
    """The run's business date as its tasks read it (the ``date`` parameter first)."""
    from retail_factory.runs import business_date

    try:
        return business_date(context).isoformat()
    except ValueError:  # no date of any kind, or a malformed one: say what the run itself holds
        return _business_date(context.get("dag_run"))


def _business_date(dag_run: Any) -> str | None:
    key = getattr(dag_run, "partition_key", None) if dag_run is not None else None
    if key is None and isinstance(dag_run, dict):
        key = dag_run.get("partition_key")
    if key:
        return str(key)[:10]
    logical = getattr(dag_run, "logical_date", None) if dag_run is not None else None
    if not logical:
        return None
    import pendulum

    return pendulum.instance(logical).in_timezone(get_settings().timezone).date().isoformat()


async def curated_data_late(context: dict[str, Any] | None = None, **_: Any) -> str:
    """The deadline alert's callback (run by the triggerer): curated data for D is not ready yet.

    Returns the alert's line: Airflow stores a callback's result in its metadata database as text
    (a dict there makes the triggerer fail on the update and stop).
    """
    settings = alert_settings()
    dag_run = (context or {}).get("dag_run") or {}
    deadline = (context or {}).get("deadline") or {}
    message = alert_message(
        "curated_data_late",
        dag_run.get("dag_id", "transform"),
        dag_run.get("dag_run_id", ""),
        _business_date(dag_run),
        f"curated data not ready by {deadline.get('deadline_time', 'its deadline')}",
    )
    log.error("%s", message["text"])
    notifier = _channel(message, settings)
    if notifier is not None:
        await notifier.async_notify(context or {})
    return str(message["text"])


def curated_due(business_date: dt.date, created_at: dt.datetime, settings: AlertSettings, timezone: str) -> dt.datetime:
    """When the curated data of ``business_date`` is due: the next morning, or ``grace`` after a late start."""
    import pendulum

    next_day = business_date + dt.timedelta(days=1)
    morning = pendulum.datetime(next_day.year, next_day.month, next_day.day, settings.curated_ready_by.hour,
                                settings.curated_ready_by.minute, tz=timezone)  # fmt: skip
    return max(morning, created_at + settings.grace)


@deadline_reference
@dataclass
class CuratedDataDue(BaseDeadlineReference):
    """Deadline reference of a ``transform`` run: when its business date's curated data is due."""

    required_kwargs = frozenset({"dag_id", "run_id"})

    def _evaluate_with(self, *, session: Any, **kwargs: Any) -> dt.datetime | None:
        from airflow.models.dagrun import DagRun
        from sqlalchemy import select

        run = session.scalar(select(DagRun).where(DagRun.dag_id == kwargs["dag_id"], DagRun.run_id == kwargs["run_id"]))
        if run is None:
            return None
        day = _business_date(run)
        created = run.created_at or run.run_after
        if day is None or created is None:
            return None
        return curated_due(dt.date.fromisoformat(day), created, alert_settings(), get_settings().timezone)


def curated_data_deadline() -> Any:
    """The deadline alert of the ``transform`` DAG (the interval is in the reference: zero here)."""
    from airflow.sdk.definitions.callback import AsyncCallback
    from airflow.sdk.definitions.deadline import DeadlineAlert

    return DeadlineAlert(
        reference=CuratedDataDue(),
        interval=dt.timedelta(0),
        callback=AsyncCallback(curated_data_late),
        name="curated data ready",
    )
