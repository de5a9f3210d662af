"""Where the package's own data files live (installed or from a checkout)."""

from pathlib import Path

#: Shipped data: the default codebook, turning-point weights and typed examples.
DATA_DIR = Path(__file__).resolve().parent / "data"
#: The repository root when running from a checkout (``models/`` is there); absent in a wheel.
CHECKOUT_ROOT = Path(__file__).resolve().parents[2]
