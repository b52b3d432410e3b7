"""A benchmark fanned out over a Ray cluster: one Ray task per seed, the same files as at home.

Ray is optional (requirements-ray.txt) and imported only for --ray. A task gets a RunSpec
(frozen, picklable), the data (put once into Ray's object store) and the files its run folder
already holds; it trains in a folder of the worker's own machine and returns every file of
the run, which the driver writes under <group>/seed<k>/: no shared filesystem is assumed.
With `shared_folder` the task trains in the group's folder itself, so a retried task resumes
from the backup of its last finished epoch.

Loads without Keras (what needs it is imported where used): main.py checks --ray before
TensorFlow starts.
"""

import dataclasses
import importlib.util
import os
import socket
import tempfile
import time
from pathlib import Path

from keras_mnist7.output.files import prepare_run_dir, write_atomic
from keras_mnist7.run.run_lock import LOCK_NAME
from keras_mnist7.run.run_state import read_metrics, run_identity, run_status

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # keras_mnist7, which workers import
# A task whose worker dies (a lost node, a killed process) is run again, this many times at most.
RETRIES = 3


class ClusterError(Exception):
    """The cluster refused this driver, or runs failed there beyond Ray's retries."""


@dataclasses.dataclass(frozen=True)
class Cluster:
    address: str  # "local" (a Ray instance started in this process) or HOST:PORT of a Ray head
    cpus_per_task: int = 1  # Ray's num_cpus of each task; its run's threads are set to match
    shared_folder: bool = False  # the output folder is on a filesystem every worker sees


def check_address(address):
    """Raises ValueError (one line) unless the address reads right, Ray is installed and, for
    HOST:PORT, something listens there: checked before any work, so a typo costs seconds, not
    a training."""
    host, _, port = address.rpartition(":")
    if address != "local" and (not host or not port.isdigit()):
        raise ValueError(f"--ray must be local or HOST:PORT of a Ray head, got {address!r}")
    try:
        installed = importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):
        installed = False
    if not installed:
        raise ValueError("--ray needs Ray, which is not installed: pip install -r "
                         "requirements-ray.txt")
    if address == "local":
        return
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as err:
        raise ValueError(f"--ray {address}: no Ray head answers there "
                         f"({err.strerror or err}); start one with `ray start --head "
                         f"--port={port}`, or use --ray=local") from None


def connect(address):
    """Joins the cluster, or with "local" starts a private one (never a cluster already on
    the machine, nor a dead one its address file still names). Workers import this package
    from a copy the driver uploads (runtime_env py_modules), and record the driver's git
    revision."""
    if address != "local" and (Path.home() / ".ray" / "auth_token").exists():
        # A cluster that `ray start` began with a token (Ray's default) refuses a driver that
        # does not send it, and Ray 2.60's driver sends it only when told so before Ray loads.
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    import ray

    from keras_mnist7.run.environment import REVISION_ENV, source_revision

    local = {"include_dashboard": False} if address == "local" else {}
    try:
        ray.init(address=address, logging_level="warning",
                 runtime_env={"py_modules": [str(PACKAGE_DIR)],
                              "env_vars": {REVISION_ENV: source_revision() or ""}}, **local)
    except ConnectionError as err:
        raise ClusterError(f"--ray {address}: cannot join the cluster ({err})") from None


def folder_files(folder):
    """{relative path: bytes} of every file of a run folder but its lock and temp files."""
    folder = Path(folder)
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.name != LOCK_NAME and ".tmp" not in path.name}


def put_files(folder, files):
    """Writes folder_files()'s dict into `folder`, each file whole (metrics.json last, so a
    run never looks finished before its other files are in), and deletes the files there
    that `files` lacks (a backup the finished run no longer needs)."""
    folder = Path(folder)
    stale = set(folder_files(folder)) - set(files) if folder.exists() else set()
    for name in sorted(files, key=lambda name: name == "metrics.json"):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda temp, data=files[name]: Path(temp).write_bytes(data))
    for name in stale:
        (folder / name).unlink()
    for directory in sorted(folder.rglob("*"), reverse=True):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()


def train_run(run, data, files, verbose):
    """A Ray task: trains `run` on `data`, in a folder of this worker holding `files` (or in
    run.folder itself when `files` is None). Returns (metrics, the run's files or None)."""
    from keras_mnist7.run.training import train

    if files is None:
        return train(run, data, verbose), None
    with tempfile.TemporaryDirectory(prefix=f"keras_mnist7-seed{run.seed}-") as folder:
        put_files(folder, files)
        metrics = train(dataclasses.replace(run, folder=Path(folder)), data, verbose)
        return metrics, folder_files(folder)


def on_ray(cluster):
    """benchmark.run_seeds's runs as Ray tasks on `cluster`: one task per seed whose run is not
    finished yet, each on `cluster.cpus_per_task` CPUs and as many threads. Yields (seed,
    metrics) as tasks finish, after writing each run's files, and prints one line per run; a
    task that fails is one line, and ClusterError names them all once the others are in."""
    def runs(spec, seeds, data, verbose):
        import ray

        from keras_mnist7.data.mnist import cv_split

        spec = dataclasses.replace(spec, threads=cluster.cpus_per_task)
        task = ray.remote(num_cpus=cluster.cpus_per_task, max_retries=RETRIES,
                          max_calls=1)(train_run)  # a fresh process per task: its own threads
        data_ref = ray.put(data)
        finished, pending = [], {}
        for seed in seeds:
            run = spec.for_seed(seed)
            prepare_run_dir(spec.folder, f"seed{seed}")
            (x_train, _), (x_test, _) = cv_split(data, run.cv_fold)
            if run_status(run.folder, run_identity(run, len(x_train), len(x_test))) == "finished":
                finished.append((seed, read_metrics(run.folder)))
                continue
            files = None if cluster.shared_folder else folder_files(run.folder)
            pending[task.remote(run, data_ref, files, 2 if verbose else 0)] = seed
        print(f"[ray] {len(pending)} runs on {cluster.address} ({len(finished)} already "
              "finished)", flush=True)
        yield from finished
        started, failed = time.monotonic(), []
        while pending:
            [ref], _ = ray.wait(list(pending), num_returns=1)
            seed = pending.pop(ref)
            try:
                metrics, files = ray.get(ref)
            except ray.exceptions.RayError as err:  # raised in the task, or retried out
                failed.append(seed)
                reason = (str(err).strip().splitlines() or [type(err).__name__])[-1][:200]
                print(f"[ray] seed {seed} failed: {reason}; {len(pending)} left", flush=True)
                continue
            if files is not None:
                put_files(spec.for_seed(seed).folder, files)
            last4 = ", ".join(f"{a:.2f}" for a in metrics["summary"]["last4_test_acc"])
            print(f"[ray] seed {seed} done after {(time.monotonic() - started) / 60:.1f} min: "
                  f"last 4 {last4}%; {len(pending)} left", flush=True)
            yield seed, metrics
        if failed:
            raise ClusterError(f"the runs of seeds {', '.join(map(str, failed))} failed on the "
                               "cluster (see above); the others are written: run the same "
                               "command again to retry those")
    return runs
