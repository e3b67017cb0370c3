#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 (trust auth), installing and
# starting Debian's package when the machine has none. Tests need a real PostgreSQL.
set -euo pipefail
host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
ready() { command -v pg_isready >/dev/null && pg_isready -q -h "$host" -p "$port"; }
ready && exit 0
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "ensure-postgres: installing PostgreSQL from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  conf=$(ls -d /etc/postgresql/*/main | head -n1)
  sed -i -E 's/^(local|host)(\s+all\s+all\s+.*)(peer|scram-sha-256|md5)$/\1\2trust/' "$conf/pg_hba.conf"
  sed -i -E 's/^(local\s+all\s+postgres\s+)peer$/\1trust/' "$conf/pg_hba.conf"
fi
version=$(ls /etc/postgresql | head -n1)
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "ensure-postgres: PostgreSQL did not come up on $host:$port" >&2
exit 1
