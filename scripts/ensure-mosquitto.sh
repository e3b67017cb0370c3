#!/usr/bin/env bash
# Makes sure the `mosquitto` broker binary is installed (Debian's package) for the MQTT
# tests and bench/mqtt.py, which start brokers of their own on free ports (to restart
# them); a broker on 127.0.0.1:1883 is not needed.
set -euo pipefail
have() { command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ]; }
have && exit 0
echo "ensure-mosquitto: installing Mosquitto from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
have && exit 0
echo "ensure-mosquitto: mosquitto is still missing" >&2
exit 1
