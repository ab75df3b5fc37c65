"""modecollapse: a reproducible pipeline for studying mode collapse in GANs."""

__version__ = "0.1.0"
