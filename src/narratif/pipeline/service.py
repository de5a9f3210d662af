"""A Prefect runner run as a service: it stops within seconds on SIGTERM or SIGINT, and leaves no child.

Prefect's own ``Runner.handle_sigterm`` raises ``SystemExit`` inside the event loop
(``Runner.astop`` is then never awaited) and its cancellation of a run in flight
waits up to 30 s per run, so a served flow outlives ``systemctl stop`` and Ctrl-C.
Here a signal only *asks* the service to stop; the loop then stops the runner with
bounded waits, and whatever child is left (the flow-run process and anything it
started) is terminated, then killed. The run in flight is abandoned: every
document is committed in its own transaction, so the store stays whole and the
next run picks up where this one was cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["StopTimes", "Stopped", "service_runner", "serve_until_signalled", "shielded", "stoppable",
           "stop_descendants"]


@dataclass(frozen=True)
class StopTimes:
    """Seconds each shutdown step may take (the whole stop stays well under 10 s)."""

    children: float = 1.5  # the run's process (and any other child) gets SIGTERM, then SIGKILL after this
    cancel_runs: float = 2.0  # each: the abandoned run is marked Cancelled; the runner stops polling
    runner_exit: float = 2.0  # the runner pauses its schedule and closes its client


def service_runner(**kwargs) -> Any:
    """A Prefect ``Runner`` whose SIGTERM handler requests a stop instead of raising ``SystemExit`` in
    the loop (``kwargs`` go to ``Runner``). Prefect is imported here, once its settings are in place."""
    return _service_runner_class()(**kwargs)


@functools.cache
def _service_runner_class():
    from prefect.runner import Runner

    class ServiceRunner(Runner):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.stop_requested: asyncio.Event | None = None
            self.signals: list[int] = []

        def request_stop(self, signum: int = signal.SIGTERM) -> None:
            """For SIGTERM (Prefect's own handler slot) and SIGINT; safe from a signal handler."""
            self.signals.append(signum)
            if len(self.signals) > 1:  # asked twice: no more waiting
                stop_descendants(grace=0.0)
                os._exit(128 + signum)
            loop, event = self._loop, self.stop_requested
            if loop is not None and event is not None:
                loop.call_soon_threadsafe(event.set)

        def handle_sigterm(self, *args, **kwargs) -> None:  # Runner.start installs this for SIGTERM
            self.request_stop(signal.SIGTERM)

    return ServiceRunner


async def serve_until_signalled(runner, *, deployment_id=None, alive: Callable[[], bool] | None = None,
                                keep: frozenset[int] = frozenset(), times: StopTimes = StopTimes()) -> int:
    """Run ``runner`` until SIGTERM / SIGINT (exit code 0) or until ``alive()`` turns false or the
    runner fails (exit code 1); stop it and its children within the bounds of ``times``.

    ``keep``: child pids left running (with their own children), e.g. the local Prefect
    server, which the caller stops last so the runner can still report to it. A run of
    ``deployment_id`` cut short is marked Cancelled, saying why."""
    loop = asyncio.get_running_loop()
    runner._loop = loop
    runner.stop_requested = asyncio.Event()
    # SIGTERM: the handler slot Runner.start fills with ``handle_sigterm`` (filled here first, so no
    # signal falls between); SIGINT through the loop. Not both ways for one signal: each would count.
    signal.signal(signal.SIGTERM, runner.handle_sigterm)
    loop.add_signal_handler(signal.SIGINT, runner.request_stop, signal.SIGINT)
    serving = asyncio.create_task(runner.start())
    code = await _wait_for_stop(runner, serving, alive)
    reason = _reason(runner, code)
    print(f"narratif: stopping ({reason}) …", flush=True)
    runner.stopping = True  # no new run from here on
    if getattr(runner, "_scheduled_run_poller", None) is not None:
        runner._scheduled_run_poller.stopping = True
    # The run in flight is abandoned: Prefect's own cancellation would wait up to 30 s for it. Every
    # document is committed in its own transaction, so the store stays whole.
    await asyncio.to_thread(stop_descendants, grace=times.children, keep=keep)
    if deployment_id is not None:
        with contextlib.suppress(Exception, asyncio.TimeoutError):
            await asyncio.wait_for(mark_abandoned(deployment_id, reason), times.cancel_runs)
    if runner.started:
        with contextlib.suppress(Exception, asyncio.TimeoutError):
            await asyncio.wait_for(runner.astop(), times.cancel_runs)
    with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
        await asyncio.wait_for(asyncio.shield(serving), times.runner_exit)  # pauses the schedule
    if not serving.done():
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(serving, 0.5)
    loop.remove_signal_handler(signal.SIGINT)
    signal.signal(signal.SIGTERM, _raise_stopped)
    return code


async def mark_abandoned(deployment_id, reason: str) -> list:
    """Runs of the deployment still pending or running (their process is gone) become Cancelled,
    so the Prefect UI does not show a run that will never end."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterId, FlowRunFilter,
                                                FlowRunFilterState, FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    from prefect.states import Cancelled

    open_states = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]
    async with get_client() as client:
        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=open_states))))
        for run in runs:
            await client.set_flow_run_state(run.id, Cancelled(
                message=f"abandoned: narratif serve stopped ({reason}); documents already analysed are stored, "
                        "the next run does the rest"), force=True)
    return [run.id for run in runs]


class Stopped(Exception):
    """SIGTERM outside the served loop (e.g. while the Prefect server starts): unwind and clean up."""


def _raise_stopped(signum, frame):
    raise Stopped(signal.Signals(signum).name)


@contextlib.contextmanager
def stoppable():
    """SIGTERM raises ``Stopped`` (as SIGINT raises KeyboardInterrupt), so ``finally`` blocks run."""
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def shielded():
    """SIGTERM and SIGINT ignored: for the last, bounded, clean-up steps."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


async def _wait_for_stop(runner, serving: asyncio.Task, alive) -> int:
    stop = asyncio.create_task(runner.stop_requested.wait())
    try:
        while True:
            done, _ = await asyncio.wait({serving, stop}, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
            if stop in done:
                return 0
            if serving in done:
                exc = serving.exception() if not serving.cancelled() else None
                if exc is not None:
                    print(f"narratif: the runner failed: {type(exc).__name__}: {exc}", flush=True)
                return 1
            if alive is not None and not alive():
                return 1
    finally:
        stop.cancel()


def _reason(runner, code: int) -> str:
    if runner.signals:
        return signal.Signals(runner.signals[0]).name
    return "the Prefect server or the runner stopped" if code else "done"


def stop_descendants(*, grace: float = 1.5, keep: frozenset[int] = frozenset()) -> list[int]:
    """SIGTERM every descendant of this process (but ``keep`` and their own children), SIGKILL
    those alive after ``grace`` seconds; return the pids that were signalled."""
    import psutil

    me = psutil.Process()
    try:
        kids = me.children(recursive=True)
    except psutil.Error:
        return []
    kept = set(keep)
    for p in list(kids):
        if p.pid in keep:
            with contextlib.suppress(psutil.Error):
                kept.update(c.pid for c in p.children(recursive=True))
    targets = [p for p in kids if p.pid not in kept]
    for p in targets:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(targets, timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=1.0)
    return [p.pid for p in targets]
