"""Validation: numbers an analyst can defend.

Draw a probability sample of analysed units (:func:`draw_sample`), have analysts say for
each unit and code whether the code applies, import their verdicts (:func:`import_verdicts`),
and every share in the reports becomes a bias-corrected estimate with its 95 % interval,
next to the coder's measured precision and recall (:mod:`.estimate`). :func:`plan` says how
many more reviewed units give a chosen interval width.
"""

from narratif.validation.estimate import CodeEstimator, Estimate, units_for_width, wilson
from narratif.validation.review_files import CSV_COLUMNS
from narratif.validation.sample import ESTIMATION, TRAINING
from narratif.validation.service import DrawResult, ImportResult, draw_sample, import_verdicts, plan
from narratif.validation.shares import COLUMNS as ESTIMATE_COLUMNS
from narratif.validation.shares import estimates_table
from narratif.validation.units import SEGMENT, SENTENCE
from narratif.validation.verdicts import VerdictFileError, read_verdicts

__all__ = ["CSV_COLUMNS", "CodeEstimator", "DrawResult", "ESTIMATE_COLUMNS", "ESTIMATION", "Estimate",
           "ImportResult", "SEGMENT", "SENTENCE", "TRAINING", "VerdictFileError", "draw_sample",
           "estimates_table", "import_verdicts", "plan", "read_verdicts", "units_for_width", "wilson"]
