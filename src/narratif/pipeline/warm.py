"""Worker processes that outlive a run: a long-lived ``narratif serve`` keeps its models loaded.

Prefect runs each scheduled flow run in a fresh process, which would load spaCy and the
coder again every night. ``narratif serve`` therefore starts a small service first (a
``multiprocessing`` manager on 127.0.0.1 with a random key) that owns a pool of analysis
processes; each run finds it through ``NARRATIF_WARM_WORKERS`` and sends its documents
there. The pool is kept per :class:`~narratif.pipeline.bundle.WorkBundle` digest: when the
team trains a classifier or adapts its typing, the next run's bundle differs and the
service replaces its workers; otherwise the models stay loaded between runs.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.managers import BaseManager

ENV = "NARRATIF_WARM_WORKERS"


class _Service:
    """Lives in the manager's process: one warm pool, rebuilt when the bundle changes."""

    def __init__(self, n_workers: int):
        self.n_workers = n_workers
        self._lock = threading.Lock()
        self._workers = None
        self.loads = 0  # pools started (each loads the models once per worker)
        self.documents = 0

    def _pool(self, bundle):
        from narratif.pipeline.parallel import LocalWorkers

        with self._lock:
            if self._workers is None or self._workers.bundle.digest != bundle.digest:
                if self._workers is not None:
                    self._workers.close()
                self._workers = LocalWorkers(bundle, self.n_workers)
                self.loads += 1
            self._workers.bundle = bundle  # the expected signature travels with each run's bundle
            return self._workers

    def analyse(self, bundle, item, reviews, retries: int = 2):
        result = self._pool(bundle).submit(item, reviews, retries=retries).result()
        with self._lock:
            self.documents += 1
        return result

    def signature(self, bundle) -> str:
        return self._pool(bundle).signature()

    def stats(self) -> dict:
        return {"n_workers": self.n_workers, "loads": self.loads, "documents": self.documents}

    def close(self) -> None:
        with self._lock:
            if self._workers is not None:
                self._workers.close()
                self._workers = None


_SERVICE: _Service | None = None


def _service(n_workers: int = 2) -> _Service:
    global _SERVICE
    if _SERVICE is None:
        _SERVICE = _Service(n_workers)
    return _SERVICE


class _Manager(BaseManager):
    pass


_Manager.register("service", callable=_service, exposed=("analyse", "signature", "stats", "close"))


@contextlib.contextmanager
def warm_workers(n_workers: int | None = None):
    """Start the service for the life of the block and publish its address in ``ENV``."""
    from narratif.pipeline.parallel import auto_workers

    n = n_workers or auto_workers(10**6)
    key = secrets.token_bytes(16)
    manager = _Manager(address=("127.0.0.1", 0), authkey=key)
    manager.start()
    service = manager.service(n)
    host, port = manager.address
    previous = os.environ.get(ENV)
    os.environ[ENV] = f"{host}:{port}:{key.hex()}"
    try:
        yield service
    finally:
        if previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous
        with contextlib.suppress(Exception):
            service.close()
        manager.shutdown()


def available() -> bool:
    return bool(os.environ.get(ENV))


def connect():
    """The service published in ``ENV`` (a proxy), or ``None``."""
    spec = os.environ.get(ENV)
    if not spec:
        return None
    host, port, key = spec.rsplit(":", 2)
    manager = _Manager(address=(host, int(port)), authkey=bytes.fromhex(key))
    manager.connect()
    return manager.service()


class WarmWorkers:
    """The interface of :class:`~narratif.pipeline.parallel.LocalWorkers`, backed by the service."""

    def __init__(self, bundle, service):
        self.bundle = bundle
        self._spec = os.environ[ENV]
        self.n_workers = int(service.stats()["n_workers"])
        self._threads = ThreadPoolExecutor(max_workers=self.n_workers + 1, thread_name_prefix="narratif-warm")
        self._local = threading.local()

    def _proxy(self):
        if getattr(self._local, "service", None) is None:  # one connection per thread
            self._local.service = connect()
        return self._local.service

    def submit(self, item, reviews=(), *, retries: int = 0) -> Future:
        bundle = self.bundle
        return self._threads.submit(lambda: self._proxy().analyse(bundle, item, tuple(reviews), retries))

    def signature(self) -> str:
        return self._proxy().signature(self.bundle)

    def close(self) -> None:
        self._threads.shutdown(wait=True)  # the workers themselves stay warm for the next run
