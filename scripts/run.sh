#!/usr/bin/env bash
# The main job on one machine: install what is needed, then count people on a video.
#   bash scripts/run.sh [VIDEO_OR_RTSP_URL] [metrica count options...]
# With no arguments it counts the shared overhead plaza clip across two lines.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null || python3 -m pip install -q uv
uv sync --all-extras --locked -q
data=${METRICA_DATA_DIR:-../shared/data}
model=${METRICA_MODEL:-$data/models/yolox_nano.onnx}
if [ $# -eq 0 ]; then
  set -- "$data/videos/overhead_plaza.mp4" --line L1=0,0.5,1,0.5 --line L2=0,0.3,1,0.3 \
    --events var/events.jsonl --annotate var/annotated.mp4
  mkdir -p var
fi
exec uv run metrica count --model "$model" "$@"
