"""Periodic jobs the worker runs. Apps register theirs in AppConfig.ready, so the outbox imports none of them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    run: Callable[[], object]
    every: timedelta
    last_run: datetime | None = None

    def due(self, now: datetime) -> bool:
        return self.last_run is None or now - self.last_run >= self.every


JOBS: dict[str, Job] = {}


def register_job(name: str, run: Callable[[], object], *, every: timedelta) -> None:
    """Register (or replace) a job; it runs in every worker, so it must be safe to run twice."""
    JOBS[name] = Job(name, run, every)


def run_due_jobs(
    *, now: datetime | None = None, force: bool = False, should_stop: Callable[[], bool] | None = None
) -> list[str]:
    """Run each job that is due (every job with `force`); a failing job is logged and tried next time.

    `should_stop` is asked before each job: a stopping worker finishes the job it runs and starts no other.
    """
    now = now or timezone.now()
    ran = []
    for job in list(JOBS.values()):
        if should_stop is not None and should_stop():
            break
        if not (force or job.due(now)):
            continue
        job.last_run = now
        try:
            job.run()
        except Exception:
            logger.exception("periodic job %s failed", job.name)
            continue
        ran.append(job.name)
    return ran
