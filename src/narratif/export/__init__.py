"""REFI-QDA interoperability: projects (.qdpx) and codebooks (.qdc) in and out."""

from .corrections import qdpx_to_training, write_training_csv
from .qdc import export_qdc, read_qdc
from .qdpx import QdpxProject, export_qdpx, read_qdpx
from .refi import RefiError

__all__ = ["QdpxProject", "RefiError", "export_qdc", "export_qdpx", "qdpx_to_training", "read_qdc",
           "read_qdpx", "write_training_csv"]
