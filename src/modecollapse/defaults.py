"""The evaluation's settings when a study leaves them out: one table for config.DEFAULTS and the library's defaults.

It imports nothing of the project, so that the training code (through config) and the evaluation
share the numbers without one importing the other's modules: a change to the metrics reruns no
training, a change to training no evaluation.
"""

# high quality within `threshold` std of a mode (below it, or at most with `inclusive`), the mode
# being the nearest in units of each mode's std (`nearest: std`, PacGAN) or by L2 (`l2`); an image
# channel counts when the classifier's confidence is at least `confidence`; collapsed below
# `collapse_coverage` of the modes; levelled off when, over the last `plateau_window` of training,
# the covered share and the high-quality fraction vary by at most `plateau_tolerance` (max − min)
EVALUATION_DEFAULTS = {
    "threshold": 3.0,
    "nearest": "std",
    "inclusive": False,
    "confidence": 0.9,
    "collapse_coverage": 0.5,
    "plateau_window": 0.25,
    "plateau_tolerance": 0.1,
}
