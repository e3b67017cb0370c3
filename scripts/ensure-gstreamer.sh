#!/usr/bin/env bash
# Makes sure the system python3 can run Debian's GStreamer RTSP server, the real camera the
# live-source tests count from (tests/support/rtsp.py), installing the packages when the
# machine has none. The clips are served as they are (demux, parse, RTP payload; no
# decoding): qtdemux and rtph264pay are in plugins-good, h264parse in plugins-bad.
set -euo pipefail
python=${METRICA_TEST_SYSTEM_PYTHON:-/usr/bin/python3}
ready() {
  "$python" - <<'PY' 2>/dev/null
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer  # noqa: F401
Gst.init(None)
missing = [e for e in ("qtdemux", "h264parse", "rtph264pay") if not Gst.ElementFactory.find(e)]
raise SystemExit(1 if missing else 0)
PY
}
ready && exit 0
echo "ensure-gstreamer: installing the GStreamer RTSP server from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends \
  python3-gi gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 \
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad >/dev/null
ready && exit 0
echo "ensure-gstreamer: $python still cannot run the GStreamer RTSP server" >&2
exit 1
