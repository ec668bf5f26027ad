#!/usr/bin/env bash
# Create (or update) asrkit's virtual environment and install asrkit in editable mode.
#
#   tools/install.sh                      # venv in tools/venv, extras dev,bench,lm,explain,export
#   VENV=/path/to/venv tools/install.sh   # another place
#   TORCH_SPEC='torch==2.5.1' TORCH_PIP_ARGS='--index-url https://download.pytorch.org/whl/cu124' tools/install.sh
#   EXTRAS=dev tools/install.sh           # fewer extras
#
# torch is installed first and on its own: an already-installed torch is kept (never
# upgraded by a dependency), so a CPU machine does not pull gigabytes of CUDA wheels.
# A second run with nothing changed returns at once.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$root/tools/venv}
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
TORCH_PIP_ARGS=${TORCH_PIP_ARGS:-}
EXTRAS=${EXTRAS:-dev,bench,lm,explain,export}

say() { echo "[install] $*"; }

stamp_of() {
  { cat "$root/setup.cfg" "$root/pyproject.toml"; echo "$TORCH_SPEC $TORCH_PIP_ARGS $EXTRAS"; } |
    sha1sum | cut -d' ' -f1
}
stamp_file=$VENV/.asrkit-installed
stamp=$(stamp_of)

if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && [ -x "$VENV/bin/python" ]; then
  say "up to date: $VENV (asrkit editable, extras: $EXTRAS); nothing to do"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment $VENV with $($PYTHON --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
else
  say "using existing virtual environment $VENV"
fi
py=$VENV/bin/python
pip() { "$py" -m pip --disable-pip-version-check "$@"; }

if have=$("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null); then
  say "keeping installed torch $have"
else
  say "installing $TORCH_SPEC $TORCH_PIP_ARGS"
  # shellcheck disable=SC2086
  pip install -q $TORCH_PIP_ARGS "$TORCH_SPEC"
  have=$("$py" -c 'import torch; print(torch.__version__)')
  say "installed torch $have"
fi

# Pin the torch we have so no dependency can replace it with another build.
constraints=$VENV/torch-constraint.txt
echo "torch==${have}" > "$constraints"

say "installing asrkit (editable) with extras [$EXTRAS] and its dependencies"
pip install -q -c "$constraints" -e "$root[$EXTRAS]"

"$py" - <<'PY'
import importlib
mods = ["torch", "numpy", "soundfile", "soxr", "kaldiio", "kaldi_native_fbank",
        "sentencepiece", "jiwer", "yaml", "tqdm", "matplotlib", "asrkit"]
for m in mods:
    importlib.import_module(m)
import torch, asrkit
print(f"[install] ok: asrkit {asrkit.__version__}, torch {torch.__version__}, "
      f"cuda available: {torch.cuda.is_available()}")
PY
echo "$stamp" > "$stamp_file"
say "done. Activate with: . $VENV/bin/activate (recipes do this in path.sh)"
