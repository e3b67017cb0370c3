#!/usr/bin/env bash
# The main job on one machine: the whole product. Builds the web app if needed, seeds
# demo data into SQLite (./var), serves the backend and web app, and runs a worker that
# counts people on a video or a live camera so the dashboard's live number moves.
# Ctrl-C stops it all.
#   bash scripts/run.sh [VIDEO_OR_RTSP_URL] [metrica up options...]
# With no arguments it counts the shared overhead plaza clip, replayed in a loop; a
# stream (rtsp://, http://, a webcam index) is counted live, reconnected when it drops.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null || python3 -m pip install -q uv
uv sync --all-extras --locked -q
data=${METRICA_DATA_DIR:-../shared/data}
model=${METRICA_MODEL:-$data/models/yolox_nano.onnx}
if [ $# -eq 0 ]; then
  set -- "$data/videos/overhead_plaza.mp4" --line entrance=0,0.5,1,0.5
fi
exec uv run metrica up --model "$model" "$@"
