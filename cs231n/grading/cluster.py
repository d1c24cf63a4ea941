"""Where students are graded: Dask distributed, on this machine or a cluster.

``cs231n-course grade`` submits one task per student (``task.grade_task``)
to a Dask client.  Without ``--scheduler`` the client starts a local cluster
of one single-threaded worker process per job (``--jobs``, the number of
cores by default); with ``--scheduler tcp://HOST:PORT`` the same tasks go to
a running cluster whose workers were started on other machines::

    dask scheduler --host 10.0.0.1
    dask worker tcp://10.0.0.1:8786 --nworkers 4 --nthreads 1 --memory-limit 0 \\
        --preload cs231n.grading.cluster

The preload is this module: ``dask_setup`` makes a worker refuse to start
without the sandbox (``sandbox.require``).  Before the run the instructor's
process asks every worker for its facts (``task.worker_facts``) and refuses a
worker with another ``cs231n`` package or no sandbox.

Faults: the scheduler is told to allow no failure (``allowed-failures`` 0),
so a worker's death errs every task it held at once, and ``run`` decides:
each task tells the scheduler when it starts (an event), so a death counts
only against the student whose grading was running on that worker.  Such
a student is graded again on another worker, once; a student whose grading
stopped ``DEATHS`` workers comes back as ``WorkersLost``, which the pipeline
turns into a failed student with that reason.  A task that was waiting on
the dead worker is sent again without counting.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox

DEATHS = 2                    # workers a student's grading may stop before it fails
MAX_TRIES = 5                 # tasks sent for one student at most, deaths or not
EVENTS = "cs231n-grading"     # the scheduler's event topic of tasks that started
CONNECT_TIMEOUT = 30          # seconds to reach a scheduler
WORKER_WAIT = 120             # seconds for the first worker to join a scheduler
PRELOAD = __name__


class ClusterError(RuntimeError):
    """The cluster cannot grade (no worker, an unfit worker, no scheduler)."""


class WorkersLost(RuntimeError):
    """A task whose worker died under it ``deaths`` times (the last one at
    ``last``), or that was sent ``tries`` times: it is not tried again."""

    def __init__(self, deaths, tries, last):
        self.deaths, self.tries, self.last = deaths, tries, last
        super().__init__(f"the grading of this student stopped {deaths} workers in {tries} "
                         f"tries (the last: {last}); it is not tried again")


POLL = 0.1                    # seconds between looks at the results and at Ctrl-C
NO_SANDBOX_EXIT = 3           # exit status of a worker that found no sandbox


def dask_setup(worker):
    """Dask's preload hook (``--preload cs231n.grading.cluster``): a worker
    without the sandbox says why and exits with ``NO_SANDBOX_EXIT`` before
    it joins the scheduler (Dask only logs an exception of a preload, and
    would start the worker anyway).  The worker's statistical profiler is
    stopped: it samples every thread a hundred times a second, and a grading
    worker's time is the student's."""
    try:
        sandbox.require()
    except sandbox.SandboxUnavailable as e:
        logging.getLogger(__name__).critical("this worker will not grade: %s", e)
        sys.stderr.write(f"cs231n grading worker refuses to start: {e}\n")
        sys.stderr.flush()
        os._exit(NO_SANDBOX_EXIT)
    for name in ("profile", "profile-cycle"):
        callback = worker.periodic_callbacks.pop(name, None)
        if callback is not None:
            callback.stop()
    quiet(worker)


# Milliseconds between a Dask server's checks of its own event loop and of its
# process (Dask: 20 and 500).  An idle grading worker then spends about 0.5 %
# of a core instead of 3 % (measured on loopback), time the students' kernels
# have on a machine whose cores are all grading.
QUIET = {"tick": 1000, "monitor": 5000}


def quiet(server):
    """Slow a Dask server's (worker, nanny, scheduler) health checks to ``QUIET``."""
    for name, ms in QUIET.items():
        callback = server.periodic_callbacks.get(name)
        if callback is not None:
            callback.callback_time = ms
    return server


def dask_teardown(worker):
    """Dask's preload hook on close: stop this worker's autograders."""
    from .task import close_slots
    close_slots()


@contextlib.contextmanager
def connect(scheduler=None, *, jobs=1):
    """A Dask client: to ``scheduler`` (an address), or to a local cluster of
    ``jobs`` single-threaded worker processes on loopback; its workers checked
    (``check_workers``).  Everything started here is stopped on leaving."""
    import distributed
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            # Closed by callbacks, not as context managers: the client may be
            # made in another thread than the one that closes it.
            # The workers' scratch folder is this run's own: Dask's shared
            # default in /tmp may belong to another user (root's, for an
            # instructor who is not root).
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="cs231n-dask-"))
            # A nanny sets its workers' environment (one BLAS thread, a hash
            # seed, malloc's trim threshold) in its own process, this one:
            # it is undone once the workers run, and again on leaving.
            restore = stack.enter_context(_environ_kept())
            cluster = distributed.LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, memory_limit=0,
                host="127.0.0.1", dashboard_address="127.0.0.1:0", preload=[PRELOAD],
                silence_logs=logging.CRITICAL, local_directory=scratch)
            stack.callback(cluster.close)
            restore()
            for server in [cluster.scheduler, *cluster.workers.values()]:
                quiet(server)
            client = distributed.Client(cluster, set_as_default=False)
            stack.callback(client.close)
        else:
            try:
                client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT,
                                            set_as_default=False)
            except OSError as e:
                raise ClusterError(f"no Dask scheduler answers at {scheduler}: {e}") from None
            stack.callback(client.close)
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT)
            except (TimeoutError, distributed.TimeoutError):
                raise ClusterError(f"no worker joined the scheduler at {scheduler} within "
                                   f"{WORKER_WAIT} s") from None
        client.run_on_scheduler(_configure_scheduler())
        check_workers(client)
        yield client


@contextlib.contextmanager
def _environ_kept():
    """``os.environ`` as it was on entry, again on leaving and at each call of
    the function it yields (variables added are removed, changed ones set
    back; the rest is never touched)."""
    saved = dict(os.environ)

    def restore():
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        for name, value in saved.items():
            if os.environ.get(name) != value:
                os.environ[name] = value

    try:
        yield restore
    finally:
        restore()


def _configure_scheduler():
    """A function that makes the scheduler err the tasks of a worker that
    died at once (``run`` retries them), its health checks ``QUIET``.  It is local, so that cloudpickle
    sends its code, not its name: the scheduler need not have cs231n."""
    slower = dict(QUIET)

    def configure(dask_scheduler):
        dask_scheduler.allowed_failures = 0
        for name, ms in slower.items():
            if name in dask_scheduler.periodic_callbacks:
                dask_scheduler.periodic_callbacks[name].callback_time = ms
        return dask_scheduler.allowed_failures
    return configure


def check_workers(client):
    """Refuse a cluster with a worker that has another cs231n package than
    this process, or no sandbox; the workers' facts by address."""
    from .task import package_digest, worker_facts
    facts = client.run(worker_facts)
    ours = package_digest()
    problems = []
    for address, f in sorted(facts.items()):
        if f["sandbox"]:
            problems.append(f"worker {address} ({f['host']}) has no sandbox: {f['sandbox']}")
        if f["package"] != ours:
            problems.append(f"worker {address} ({f['host']}) has another cs231n package "
                            f"(digest {f['package'][:12]}, this one {ours[:12]}): install "
                            "the instructor's version there")
    if problems:
        raise ClusterError("; ".join(problems))
    return facts


def nthreads(client):
    """Threads of all the client's workers now (students graded at once)."""
    return sum(client.nthreads().values())


def run(client, fn, shared, items, *, on_result, window=None):
    """``fn(shared, item)`` on the cluster for each ``(key, item)`` of
    ``items`` (an iterable, read as tasks are needed); ``on_result(key,
    value, error)`` here, once per key, as each comes back (``error`` is the
    exception the task raised, or ``WorkersLost``; else None).

    At most ``window`` tasks are out at once (twice the cluster's threads by
    default): a class's submissions are not all in memory.  Ctrl-C (in the
    main thread) is noted, and acted on between results, never in the middle
    of ``on_result`` (a result is written whole or not at all): the tasks
    not done are cancelled and ``KeyboardInterrupt`` is raised.  Left to
    Python, the ``KeyboardInterrupt`` could land in a weakref callback of
    Dask's, where Python prints "Exception ignored" and goes on: the run
    would not stop.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker
    window = window or max(2, 2 * nthreads(client))
    items = iter(items)
    pending = as_completed(loop=client.loop)
    out = {}                   # task key -> (key, item)
    tries, deaths = {}, {}

    def send(key, item):
        tries[key] = tries.get(key, 0) + 1
        future = client.submit(_attempt, fn, shared, item, pure=False,
                               key=f"cs231n-{key}-{tries[key]}-{uuid.uuid4().hex[:8]}")
        out[future.key] = (key, item)
        pending.add(future)

    def send_next():
        for key, item in items:
            send(key, item)
            return

    def take(future):
        key, item = out.pop(future.key)
        try:
            value, error = future.result(), None
        except KilledWorker as e:
            if _started(client, future.key):
                deaths[key] = deaths.get(key, 0) + 1
            if deaths.get(key, 0) < DEATHS and tries[key] < MAX_TRIES:
                send(key, item)            # again, on another worker
                return
            value, error = None, WorkersLost(deaths.get(key, 0), tries[key],
                                             getattr(e.last_worker, "address", "?"))
        except Exception as e:          # the task raised
            value, error = None, e
        on_result(key, value, error)
        future.release()
        send_next()

    with held_interrupts() as interrupted:
        try:
            for _ in range(window):
                send_next()
            while not pending.is_empty():
                if interrupted:
                    raise KeyboardInterrupt
                if pending.has_ready():
                    take(next(pending))
                else:
                    time.sleep(POLL)
        except BaseException:
            client.cancel(list(pending.futures), force=True)
            raise


def _attempt(fn, shared, item):
    """A task: tell the scheduler it started here (``EVENTS``), then run.

    The event is sent as a call the scheduler answers, not on the worker's
    batched stream: a worker that dies a moment later has told it already.
    """
    from distributed import get_worker
    from distributed.utils import sync
    worker = get_worker()
    sync(worker.loop, worker.scheduler.log_event, topic=EVENTS,
         msg={"key": worker.get_current_task(), "worker": worker.address})
    return fn(shared, item)


def _started(client, task_key):
    """Whether the task ``task_key`` started on a worker."""
    return any(isinstance(msg, dict) and msg.get("key") == task_key
               for _, msg in client.get_events(EVENTS))


@contextlib.contextmanager
def held_interrupts():
    """Ctrl-C is held back in the block and raised at its end (main thread
    only); the block may look at the list it yields (not empty once Ctrl-C
    was pressed) to stop sooner."""
    got = []
    if threading.current_thread() is not threading.main_thread():
        yield got
        return
    previous = signal.signal(signal.SIGINT, lambda *_: got.append(True))
    try:
        yield got
    finally:
        signal.signal(signal.SIGINT, previous)
    if got:
        raise KeyboardInterrupt


# ------------------------------------------------------- a cluster on loopback

@dataclass
class Loopback:
    """A Dask scheduler and its workers, each a process of the ``dask``
    command line on 127.0.0.1 (``loopback``)."""
    address: str
    scheduler: subprocess.Popen
    workers: list = field(default_factory=list)
    logs: Path = None

    def worker_pids(self):
        """The pids of the worker processes (``dask worker --no-nanny``)."""
        return [w.pid for w in self.workers if w.poll() is None]


@contextlib.contextmanager
def loopback(workers=2, *, env=None, start_timeout=120):
    """Start ``dask scheduler`` and ``workers`` single-threaded ``dask worker``
    processes (no nanny: a killed worker stays dead) with this module as
    preload, on loopback; stop them all on leaving.  What a course tries
    before it has a cluster, and what the tests and ``make bench-cluster``
    grade on."""
    command = Path(sys.executable).with_name("dask")    # the dask command line of this venv
    env = dict(os.environ if env is None else env)
    logs = Path(tempfile.mkdtemp(prefix="cs231n-loopback-"))
    procs = []

    def spawn(kind, *args, name):
        log = open(logs / f"{name}.log", "wb")
        proc = subprocess.Popen([str(command), kind, *args], env=env,
                                stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        procs.append(proc)
        return proc

    try:
        scheduler = spawn("scheduler", "--host", "127.0.0.1", "--port", "0",
                          "--dashboard-address", "127.0.0.1:0", name="scheduler")
        address = _wait_for(logs / "scheduler.log", r"Scheduler at:\s+(tcp://\S+)",
                            scheduler, start_timeout)
        started = [spawn("worker", address, "--nthreads", "1", "--no-nanny",
                         "--memory-limit", "0", "--host", "127.0.0.1",
                         "--local-directory", str(logs / f"scratch-{i}"),
                         "--preload", PRELOAD, name=f"worker-{i}") for i in range(workers)]
        for i, proc in enumerate(started):
            _wait_for(logs / f"worker-{i}.log", r"Registered to:", proc, start_timeout)
        yield Loopback(address, scheduler, started, logs)
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(logs, ignore_errors=True)


def _wait_for(log, pattern, proc, timeout):
    """The first group (or the match) of ``pattern`` once ``log`` shows it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, log.read_text(errors="replace"))
        if m:
            return m.group(1) if m.groups() else m.group(0)
        if proc.poll() is not None:
            raise ClusterError(f"{log.stem} exited ({proc.returncode}) before it was ready:\n"
                               + log.read_text(errors="replace")[-3000:])
        time.sleep(0.2)
    raise ClusterError(f"{log.stem} was not ready within {timeout} s")
