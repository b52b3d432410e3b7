import unittest

import numpy as np

from keras_mnist7.data import augmentation, pipeline
from keras_mnist7.spec.stages import Recipe
from tests.helpers import full_tier, mnist_subset


def batches(dataset):
    return [(x.numpy(), y.numpy()) for x, y in dataset]


class PipelineOptionsTest(unittest.TestCase):
    def test_no_pipeline_runs_tf_datas_autotuning_model(self):
        # Each epoch's dropped iterator would wait for that model's thread to wake up.
        images, labels = np.zeros((8, 28, 28), np.uint8), np.zeros(8, np.int64)
        recipe = Recipe(epochs=2, batch_size=4, clean_epochs=1, rotation_degrees=5.0)
        datasets = {"train": pipeline.train_dataset(images, labels, 4, 0, rotation_degrees=5.0),
                    "epochs": pipeline.epochs_dataset(images, labels, recipe, 0),
                    "test": pipeline.test_dataset(images, labels, 4)}
        datasets["one-hot"] = pipeline.one_hot(datasets["train"])
        for name, dataset in datasets.items():
            self.assertIs(dataset.options().autotune.enabled, False, name)


@full_tier("real MNIST")
class PipelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        (cls.x, _), _ = mnist_subset(300, 0)
        # Labels are image ids, so a batch can be matched to the images it came from.
        cls.ids = np.arange(len(cls.x), dtype=np.int64)

    def test_train_batches_shapes_dtypes_and_a_new_order_each_epoch(self):
        dataset = pipeline.train_dataset(self.x, self.ids, batch_size=128, seed=1)
        first, second = batches(dataset), batches(dataset)
        self.assertEqual([x.shape for x, _ in first], [(128, 28, 28, 1)] * 2 + [(44, 28, 28, 1)])
        self.assertEqual(first[0][0].dtype, np.uint8)
        ids = np.concatenate([y for _, y in first])
        self.assertEqual(sorted(ids), list(self.ids))  # every image once per epoch
        self.assertFalse(np.array_equal(ids, self.ids))  # shuffled
        self.assertFalse(np.array_equal(ids, np.concatenate([y for _, y in second])))
        for x, y in first:  # without rotation, pixels are passed on untouched
            np.testing.assert_array_equal(x[..., 0], self.x[y])

    def test_same_seed_same_order(self):
        orders = [np.concatenate([y for _, y in batches(
            pipeline.train_dataset(self.x, self.ids, batch_size=64, seed=7))]) for _ in range(2)]
        np.testing.assert_array_equal(*orders)

    def test_only_training_batches_are_rotated(self):
        train = batches(pipeline.train_dataset(self.x, self.ids, 100, seed=0, rotation_degrees=8))
        for x, y in train:
            self.assertEqual((x.dtype, x.shape[1:]), (np.float32, (28, 28, 1)))
            originals = self.x[y].astype(np.float32)
            changed = np.abs(x[..., 0] - originals).reshape(len(y), -1).max(axis=1)
            self.assertGreater((changed > 1).mean(), 0.9)  # (almost) every image moved
            self.assertGreaterEqual(x.min(), 0.0)
            self.assertLessEqual(x.max(), 255.0)
            # A small rotation keeps the ink roughly where it was and its amount alike.
            ink_ratio = x.reshape(len(y), -1).sum(1) / originals.reshape(len(y), -1).sum(1)
            self.assertTrue(np.all(np.abs(ink_ratio - 1) < 0.1), ink_ratio)
        test = batches(pipeline.test_dataset(self.x, self.ids, batch_size=100))
        self.assertEqual([x.shape for x, _ in test], [(100, 28, 28, 1)] * 3)
        for x, y in test:
            self.assertEqual(x.dtype, np.uint8)
            np.testing.assert_array_equal(x[..., 0], self.x[y])
        np.testing.assert_array_equal(np.concatenate([y for _, y in test]), self.ids)  # in order

    def test_rotation_fills_the_background_with_zero(self):
        config = augmentation.rotation(8, seed=0).get_config()
        self.assertEqual((config["fill_mode"], config["fill_value"]), ("constant", 0.0))
        self.assertAlmostEqual(config["factor"][1] * 360, 8)
        white = np.full((64, 28, 28), 255, np.uint8)
        (x, _), = batches(pipeline.train_dataset(white, np.arange(64), 64, seed=3,
                                                 rotation_degrees=45))
        corners = x[:, [0, 0, -1, -1], [0, -1, 0, -1], 0]
        # Any turn of more than ~2 degrees brings in corners from outside the image: all zero.
        self.assertGreater(np.mean(corners == 0), 0.8)
        self.assertTrue(np.all(x[:, 14, 14, 0] == 255))  # the centre stays

    def test_translation_shifts_whole_digits_a_pixel_at_most(self):
        config = augmentation.translation(1, seed=0).get_config()
        self.assertEqual((config["fill_mode"], config["fill_value"]), ("constant", 0.0))
        self.assertAlmostEqual(config["height_factor"] * 28, 1)
        self.assertEqual(augmentation.augmentation(0, 0, seed=0), [])
        train = batches(pipeline.train_dataset(self.x, self.ids, 100, seed=0,
                                               translation_pixels=1))
        for x, y in train:
            self.assertEqual(x.dtype, np.float32)
            originals = self.x[y].astype(np.float32)
            changed = np.abs(x[..., 0] - originals).reshape(len(y), -1).max(axis=1)
            self.assertGreater((changed > 1).mean(), 0.9)
            # The ink's centre moves by no more than the shift; its amount stays alike.
            rows = np.arange(28, dtype=np.float32)
            for image, original in zip(x[..., 0], originals):
                centre = [(image.sum(axis) * rows).sum() / image.sum() for axis in (0, 1)]
                before = [(original.sum(axis) * rows).sum() / original.sum() for axis in (0, 1)]
                self.assertTrue(np.all(np.abs(np.subtract(centre, before)) <= 1.01))
        again = batches(pipeline.train_dataset(self.x, self.ids, 100, seed=0,
                                               translation_pixels=1))
        np.testing.assert_array_equal(train[0][0], again[0][0])  # seeded

    def test_clean_epochs_are_the_images_as_they_are_and_a_resumed_stream_keeps_them(self):
        pipeline.make_deterministic(0)  # as every training run does: seeds must be plain ints
        recipe = Recipe(epochs=3, batch_size=100, rotation_degrees=5, zoom=0.1,
                        translation_pixels=2, clean_epochs=1)
        stream = batches(pipeline.epochs_dataset(self.x, self.ids, recipe, seed=0))
        self.assertEqual(len(stream), 9)  # 3 epochs of 3 batches, one stream
        epochs = [stream[3 * e:3 * e + 3] for e in range(3)]
        for index, epoch in enumerate(epochs):
            ids = np.concatenate([y for _, y in epoch])
            self.assertEqual(sorted(ids), list(self.ids))  # every image once per epoch
            moved = [np.abs(x[..., 0] - self.x[y]).max() > 1 for x, y in epoch]
            self.assertEqual(all(moved) if index < 2 else any(moved), index < 2)
        self.assertFalse(np.array_equal(epochs[0][0][1], epochs[1][0][1]))  # reshuffled
        resumed = batches(pipeline.epochs_dataset(self.x, self.ids, recipe, seed=0,
                                                  start_epoch=2))
        self.assertEqual(len(resumed), 3)
        for (x, y), (x_again, y_again) in zip(epochs[2], resumed):
            np.testing.assert_array_equal(y, y_again)
            np.testing.assert_array_equal(x, x_again)
        again = batches(pipeline.epochs_dataset(self.x, self.ids, recipe, seed=0))
        np.testing.assert_array_equal(stream[0][0], again[0][0])  # seeded

    def test_zoom_scales_about_the_centre_and_one_hot_labels(self):
        config = augmentation.zoom(0.1, seed=0).get_config()
        self.assertEqual((config["fill_mode"], config["height_factor"]), ("constant", (-0.1, 0.1)))
        dataset = pipeline.one_hot(pipeline.test_dataset(self.x, self.ids % 10, batch_size=100))
        (_, y), *_ = batches(dataset)
        np.testing.assert_array_equal(y.argmax(1), self.ids[:100] % 10)
        self.assertEqual(y.shape, (100, 10))


if __name__ == "__main__":
    unittest.main()
