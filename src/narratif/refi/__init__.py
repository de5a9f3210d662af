"""REFI-QDA interoperability: projects (.qdpx) and codebooks (.qdc) in and out."""

from narratif.refi.training import qdpx_to_training, write_training_csv
from narratif.refi.qdc import export_qdc
from narratif.refi.qdpx import QdpxProject, export_qdpx, read_qdpx
from narratif.refi.common import RefiError

__all__ = ["QdpxProject", "RefiError", "export_qdc", "export_qdpx", "qdpx_to_training",
           "read_qdpx", "write_training_csv"]
