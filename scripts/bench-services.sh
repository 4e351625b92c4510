#!/usr/bin/env bash
# Usage: scripts/bench-services.sh BENCH SITE
# Makes sure the services a bench's migrate and run-tests need answer: the site's database and the bench's
# Redis (cache and queue). On a lived-in machine they may be down when the tests start (a CI run once found
# MariaDB stopped and `bench migrate` refused to run), so a service that is down is started the way
# `bench start` and the machine would start it, and waited for. Exits 0 when all answer; otherwise prints
# what is still down and exits 3, so that the caller can skip the bench tests loudly.
set -uo pipefail

bench="$1"
site="$2"
wait_s="${BSYNC_SERVICES_WAIT_S:-60}"

# host port name, one per line, from the bench's and the site's config (frappe's own defaults otherwise).
endpoints() {
  python3 - "$bench" "$site" <<'PY'
import json, sys
from pathlib import Path
from urllib.parse import urlparse

bench, site = Path(sys.argv[1]), sys.argv[2]
conf = {}
for path in (bench / "sites/common_site_config.json", bench / "sites" / site / "site_config.json"):
    if path.is_file():
        conf.update(json.loads(path.read_text() or "{}"))
db_type = conf.get("db_type", "mariadb")
db_port = conf.get("db_port") or (3306 if db_type == "mariadb" else 5432)
print(conf.get("db_host") or "127.0.0.1", db_port, db_type)
for key in ("redis_cache", "redis_queue"):
    if conf.get(key):
        url = urlparse(conf[key])
        print(url.hostname or "127.0.0.1", url.port or 6379, key)
PY
}

answers() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

start_service() {
  local name="$1"
  case "$name" in
    mariadb)
      if command -v service >/dev/null; then
        echo "  starting MariaDB (service mariadb start)"
        service mariadb start >/dev/null 2>&1 || true
      fi
      ;;
    redis_cache | redis_queue)
      local conf="$bench/config/${name}.conf"
      if [ -f "$conf" ] && command -v redis-server >/dev/null; then
        echo "  starting the bench's $name (redis-server $conf)"
        (cd "$bench/config" && redis-server "$conf" --daemonize yes >/dev/null 2>&1) || true
      fi
      ;;
  esac
}

mapfile -t services < <(endpoints)
if [ "${#services[@]}" -eq 0 ]; then
  echo "cannot read the configuration of $bench (site $site)" >&2
  exit 3
fi

down=()
for line in "${services[@]}"; do
  read -r host port name <<<"$line"
  if ! answers "$host" "$port"; then
    echo "The bench's $name ($host:$port) does not answer"
    start_service "$name"
    down+=("$line")
  fi
done

deadline=$((SECONDS + wait_s))
while [ "${#down[@]}" -gt 0 ]; do
  still=()
  for line in "${down[@]}"; do
    read -r host port name <<<"$line"
    if answers "$host" "$port"; then echo "  $name answers now"; else still+=("$line"); fi
  done
  down=("${still[@]+"${still[@]}"}")
  [ "${#down[@]}" -eq 0 ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    for line in "${down[@]}"; do
      read -r host port name <<<"$line"
      echo "The bench's $name ($host:$port) is still down after ${wait_s}s" >&2
    done
    exit 3
  fi
  sleep 1
done
exit 0
