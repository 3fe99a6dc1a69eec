"""Data: MNIST (IDX files, checksums, cache, download), synthetic sets, preprocessing, batches."""

from minigrad.data.loader import batches, num_batches
from minigrad.data.mnist import Mnist, MnistDownloadError, MnistError, load_mnist
from minigrad.data.preprocess import MinMax, PCAWhitening, ZScore
from minigrad.data.synthetic import blobs, moons, spirals

__all__ = [
    "MinMax",
    "Mnist",
    "MnistDownloadError",
    "MnistError",
    "PCAWhitening",
    "ZScore",
    "batches",
    "blobs",
    "load_mnist",
    "moons",
    "num_batches",
    "spirals",
]
