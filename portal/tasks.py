"""Background work that must never run inside an editor's request or an import.

Search index updates and webhook deliveries talk to servers outside the portal, which can be slow,
hung or away. Their durable state is an outbox in the database (``search.models.IndexUpdate``,
``feed.models.WebhookDelivery``), written in the transaction of the change; the work that empties
an outbox is a task enqueued with :func:`in_background` once that transaction has committed.

With ``TASKS_BACKEND=database`` the task is queued like any other, for ``manage.py db_worker``.
With ``immediate`` (one machine, nothing else to run) Django's ImmediateBackend would run it in the
request that enqueued it, so these tasks go to :class:`ThreadBackend` instead: a worker thread of
the process runs them. A thread does not outlive its process; what it had not done stays in the
outbox for the next run.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.utils import get_random_id

logger = logging.getLogger(__name__)


def in_background(task):
    """``task`` bound to the backend that runs work outside requests (``BACKGROUND_TASK_BACKEND``)."""
    return task.using(backend=settings.BACKGROUND_TASK_BACKEND)


class _Worker:
    """The queue and thread of one ThreadBackend alias, shared by the whole process (Django
    builds a backend object per thread)."""

    def __init__(self, backend: ThreadBackend):
        self.alias = backend.alias
        self.execute = backend._execute_task
        self.condition = threading.Condition()
        self.queue: list[tuple[float, int, str, TaskResult]] = []  # (due, order, key, result)
        self.order = itertools.count()
        self.running = 0
        self.thread: threading.Thread | None = None

    def put(self, due: float, key: str, result: TaskResult) -> None:
        with self.condition:
            if not any(queued_key == key and queued_due <= due for queued_due, _, queued_key, _ in self.queue):
                heapq.heappush(self.queue, (due, next(self.order), key, result))
            # Also after a fork: a child process has the parent's queue but not its thread.
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self.work, name=f"tasks-{self.alias}", daemon=True)
                self.thread.start()
            self.condition.notify_all()

    def work(self) -> None:
        while True:
            with self.condition:
                while not self.queue or self.queue[0][0] > time.monotonic():
                    self.condition.wait(self.queue[0][0] - time.monotonic() if self.queue else None)
                _, _, _, result = heapq.heappop(self.queue)
                self.running += 1
            try:
                self.execute(result)  # records a failure on the result; logged below
                if result.status == TaskResultStatus.FAILED:
                    logger.error("background task %s failed:\n%s", result.task.module_path, result.errors[-1].traceback)
            except Exception:
                logger.exception("background task %s failed", result.task.module_path)
            finally:
                connections.close_all()  # this thread's connections only
                with self.condition:
                    self.running -= 1
                    self.condition.notify_all()

    def busy(self, deferred: bool) -> bool:
        if deferred:
            return bool(self.running or self.queue)
        return bool(self.running or (self.queue and self.queue[0][0] <= time.monotonic()))


_workers: dict[str, _Worker] = {}
_workers_lock = threading.Lock()


class ThreadBackend(ImmediateBackend):
    """Runs tasks in one worker thread of this process, each when due (``run_after``), in the
    order they were enqueued. A task already waiting with the same arguments and due no later is
    not queued twice: a hundred publishes in a row empty the outbox once or twice, not a hundred
    times. Results are not kept."""

    supports_defer = True

    @property
    def _worker(self) -> _Worker:
        with _workers_lock:
            worker = _workers.get(self.alias)
            if worker is None:
                worker = _workers[self.alias] = _Worker(self)
            return worker

    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        result = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        delay = (task.run_after - timezone.now()).total_seconds() if task.run_after else 0.0
        key = json.dumps([task.module_path, args, kwargs], sort_keys=True, default=str)
        self._worker.put(time.monotonic() + max(0.0, delay), key, result)
        return result

    # For tests and benchmarks; a web process never waits.

    def wait(self, timeout: float = 30.0, *, deferred: bool = False) -> bool:
        """Wait until no task runs and none is due (with ``deferred``, until every task queued
        has run); False on timeout."""
        worker = self._worker
        deadline = time.monotonic() + timeout
        with worker.condition:
            while worker.busy(deferred):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                worker.condition.wait(min(remaining, 0.05))
        return True

    def discard(self) -> int:
        """Drop the tasks that wait (what their outbox holds is done by the next run); return
        how many were dropped."""
        worker = self._worker
        with worker.condition:
            dropped = len(worker.queue)
            worker.queue.clear()
        return dropped
