"""The shared colour table: learnt with OpenCV's histogram, read back per pixel."""

from __future__ import annotations

import numpy as np

from editor.analysis.colours import colour_histogram, colour_table, read_table


def test_a_pixel_reads_the_bin_its_colour_was_counted_in():
    """Reading a table of counts gives each pixel the count of the pixels whose colour
    falls in its bin: the reading and OpenCV's histogram bin colours the same way,
    also at the bins' edges."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    image[0, :6] = [[0, 15, 16], [255, 240, 239], [31, 32, 47], [48, 63, 64], [128, 127, 0],
                    [16, 16, 16]]  # the bins' edges
    counts = colour_histogram(image, np.ones(image.shape[:2], bool))
    read = read_table(counts, image)
    bins = [tuple(int(v) * 16 // 256 for v in pixel) for pixel in image.reshape(-1, 3)]
    same_bin = {b: bins.count(b) for b in set(bins)}
    assert read.shape == image.shape[:2] and read.dtype == np.float32
    assert read.reshape(-1).tolist() == [same_bin[b] for b in bins]


def test_the_subjects_colours_read_high_and_the_backgrounds_low():
    image = np.zeros((30, 40, 3), np.uint8)
    image[:] = (200, 40, 40)  # background
    image[10:20, 15:25] = (30, 200, 90)  # subject
    inside = np.zeros(image.shape[:2], bool)
    inside[8:22, 13:27] = True  # the subject with some background around it
    odds = read_table(colour_table(image, inside, ~inside), image)
    assert odds[15, 20] == 1.0 and odds[2, 2] == 0.0
