"""The train modes of main.py once its flags are accepted: a run, or a benchmark of seeds here
or on a Ray cluster. Imports Keras: main.py loads it only after checking its flags."""

import sys

from keras_mnist7.output.files import describe_outcome
from keras_mnist7.run import cluster
from keras_mnist7.run.benchmark import run_seeds
from keras_mnist7.run.seeds import seeds_table
from keras_mnist7.run.training import train


def run_benchmark(spec, seeds, data, verbose, on=None):
    """One run per seed: in this process, or as Ray tasks on `on` (a cluster.Cluster)."""
    if on is None:
        return run_seeds(spec, seeds, data, verbose)
    cluster.connect(on.address)
    return run_seeds(spec, seeds, data, verbose, runs=cluster.on_ray(on))


def train_stage(spec, data, seeds, verbose, on=None):
    """The run `spec` (a RunSpec) into spec.folder, or (seeds given) one per seed in
    <spec.folder>/seed<k>/ and their seeds.json; `on` a cluster.Cluster: as Ray tasks there."""
    run_dir = spec.folder
    try:
        if seeds is not None:
            result = run_benchmark(spec, seeds, data, verbose, on)
            print(f"[done] {run_dir}/seeds.json\n{seeds_table(result)}")
            return
        metrics = train(spec, data, verbose)
    except cluster.ClusterError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"\n[interrupted] every finished epoch is kept in {run_dir}/: run the same "
              "command again to resume", file=sys.stderr)
        sys.exit(130)
    except OSError as err:  # a full disk, a folder gone read-only: the files on disk are whole
        print(f"error: cannot write {err.filename or run_dir} ({err.strerror or err}); every "
              "finished epoch is kept: fix that, then run the same command again to resume",
              file=sys.stderr)
        sys.exit(1)
    print(describe_outcome(spec.stage, run_dir, metrics))
