#!/usr/bin/env bash
# Makes sure a Redis server answers on 127.0.0.1:6379, installing Debian's package and
# starting it when the machine has none. The rate-limit tests share their counts in a
# real Redis (two app instances, one store).
set -euo pipefail
host=${REDIS_HOST:-127.0.0.1}
port=${REDIS_PORT:-6379}
ready() { command -v redis-cli >/dev/null && [ "$(redis-cli -h "$host" -p "$port" ping 2>/dev/null)" = "PONG" ]; }
ready && exit 0
if ! command -v redis-server >/dev/null; then
  echo "ensure-redis: installing Redis from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server >/dev/null
  ready && exit 0  # the package may have started its own service
fi
# A throwaway server for tests: no persistence, local only.
redis-server --bind "$host" --port "$port" --daemonize yes --save "" --appendonly no \
  --logfile /tmp/metrica-test-redis.log
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "ensure-redis: Redis did not come up on $host:$port" >&2
exit 1
