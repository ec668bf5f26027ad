#!/usr/bin/env bash
# Sourced by the utils/*.sh wrappers: asrkit_data runs `asrkit-data` from this checkout's
# venv (tools/venv) when it exists, else the one on PATH, else python3 with this checkout.

_asrkit_root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && cd .. && pwd -P)
asrkit_data() {
  if [ -x "$_asrkit_root/tools/venv/bin/python" ]; then
    "$_asrkit_root/tools/venv/bin/python" -m asrkit.data.cli "$@"
  elif command -v asrkit-data > /dev/null; then
    asrkit-data "$@"
  else
    PYTHONPATH="$_asrkit_root${PYTHONPATH:+:$PYTHONPATH}" python3 -m asrkit.data.cli "$@"
  fi
}
