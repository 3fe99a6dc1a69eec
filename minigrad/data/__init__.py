"""Data: MNIST (IDX files, checksums, cache, download), the Shapeset-3x2 generator, synthetic
sets, preprocessing, batches."""

from minigrad.data.loader import batches, num_batches
from minigrad.data.mnist import Mnist, MnistDownloadError, MnistError, load_mnist
from minigrad.data.preprocess import MinMax, PCAWhitening, ZScore
from minigrad.data.shapeset import CLASS_NAMES as SHAPESET_CLASSES
from minigrad.data.shapeset import shapeset_3x2, shapeset_3x2_batches
from minigrad.data.synthetic import blobs, moons, spirals

__all__ = [
    "MinMax",
    "Mnist",
    "MnistDownloadError",
    "MnistError",
    "PCAWhitening",
    "SHAPESET_CLASSES",
    "ZScore",
    "batches",
    "blobs",
    "load_mnist",
    "moons",
    "num_batches",
    "shapeset_3x2",
    "shapeset_3x2_batches",
    "spirals",
]
