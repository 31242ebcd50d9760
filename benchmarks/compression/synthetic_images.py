#!/usr/bin/env python3
"""Writes COUNT smooth synthetic RGB images as float32 .npy files of shape [1, SIZE, SIZE, 3], values in [0, 1].

Usage: synthetic_images.py SIZE FIRST_SEED COUNT OUT_DIR

Twelve soft colour blobs on a flat background with a little noise: closer to camera images than uniform noise (which
drives landmark models far outside what they were trained on), and reproducible from the seed. Standard library only.
"""
import math
import os
import random
import struct
import sys


def write_npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(map(str, shape))
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % len(values), *values))


def image(size, seed):
    rnd = random.Random(seed)
    blobs = [(rnd.random() * size, rnd.random() * size, 10 + rnd.random() * 60, [rnd.random() for _ in range(3)])
             for _ in range(12)]
    base = [rnd.random() * 0.5 for _ in range(3)]
    values = []
    for y in range(size):
        for x in range(size):
            pixel = list(base)
            for bx, by, radius, colour in blobs:
                weight = math.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * radius * radius))
                for k in range(3):
                    pixel[k] += weight * colour[k]
            for k in range(3):
                values.append(min(1.0, pixel[k] * 0.8 + 0.03 * rnd.random()))
    return values


if __name__ == "__main__":
    size, first, count, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    os.makedirs(out, exist_ok=True)
    for i in range(count):
        write_npy(os.path.join(out, f"{i}.npy"), [1, size, size, 3], image(size, first + i))
