#!/usr/bin/env bash
# End-to-end run of the production stack on this machine, loopback only:
#   a throwaway MariaDB database (migrated, demo school seeded), Redis DB 5 as the
#   Socket.IO message queue, two nodes of two gunicorn instances (one gevent worker
#   each: one for /api/, one for /socket.io/) and a real nginx (the shipped
#   nginx/quiz.conf + nginx/app.conf, ip_hash upstreams) in front; then
#   tests/e2e/e2e_quiz.py plays a whole quiz through nginx, with a Socket.IO monitor, and
#   kills one node with SIGKILL mid-run (see its docstring). Before that, the
#   scheduler's commands run once against the same database (scripts/scheduler.sh).
# Everything started here is stopped by PID on exit, and the database is dropped.
#
# Usage: tests/e2e/e2e.sh
# Environment (all optional):
#   E2E_MYSQL_URL   server to create the database on   (mysql://root@127.0.0.1:3306/)
#   E2E_REDIS_URL   Redis for rate limits and Socket.IO (redis://127.0.0.1:6379/5)
#   E2E_APP_PORTS   ports to try for the instances      (5500..5549)
#   E2E_NGINX_PORTS ports to try for nginx              (8480..8489)
#   E2E_KEEP=1      keep the work directory (logs) after the run
# Needs: .venv (make setup), nginx (apt-get install nginx-light), mysql client,
# a MariaDB/MySQL server and a Redis server on loopback.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
PY="$ROOT/.venv/bin/python"
FLASK="$ROOT/.venv/bin/flask"
GUNICORN="$ROOT/.venv/bin/gunicorn"
MYSQL_URL="${E2E_MYSQL_URL:-mysql://root@127.0.0.1:3306/}"
REDIS_URL_E2E="${E2E_REDIS_URL:-redis://127.0.0.1:6379/5}"
APP_PORTS="${E2E_APP_PORTS:-$(seq -s ' ' 5500 5549)}"
NGINX_PORTS="${E2E_NGINX_PORTS:-$(seq -s ' ' 8480 8489)}"

log() { echo "== e2e: $*"; }
die() { echo "e2e: $*" >&2; exit 1; }

for tool in "$PY" "$FLASK" "$GUNICORN"; do [ -x "$tool" ] || die "$tool missing: run make setup"; done
command -v nginx >/dev/null 2>&1 || die "nginx is not installed (apt-get install nginx-light)"
command -v mysql >/dev/null 2>&1 || die "the mysql client is not installed"

# --- parse the server URL for the mysql client ------------------------------------------
read -r DB_HOST DB_PORT DB_USER DB_PASS < <("$PY" - "$MYSQL_URL" <<'EOF'
import sys
from urllib.parse import unquote, urlparse
u = urlparse(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or 3306, unquote(u.username or "root"), unquote(u.password or "") or "-")
EOF
)
[ "$DB_PASS" = "-" ] && DB_PASS=""
mysql_cmd() { MYSQL_PWD="$DB_PASS" mysql --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" "$@"; }
mysql_cmd -e "SELECT 1" >/dev/null || die "cannot reach MariaDB/MySQL at $MYSQL_URL"
"$PY" -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_timeout=2).ping()" "$REDIS_URL_E2E" \
  || die "cannot reach Redis at $REDIS_URL_E2E"

# --- everything below is cleaned up on exit ----------------------------------------------
WORK="$(mktemp -d /tmp/quiz-e2e.XXXXXX)"
chmod 755 "$WORK"
DB_NAME="quiz_e2e_$$_$RANDOM"
APP_PGIDS=()
NGINX_PID=""
DB_CREATED=0

cleanup() {
  local status=$?
  set +e
  if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NGINX_PID" 2>/dev/null
  fi
  for pgid in "${APP_PGIDS[@]}"; do
    kill -TERM -- "-$pgid" 2>/dev/null
  done
  for pgid in "${APP_PGIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pgid" 2>/dev/null
  done
  [ "$DB_CREATED" = 1 ] && mysql_cmd -e "DROP DATABASE IF EXISTS \`$DB_NAME\`" 2>/dev/null
  if [ "$status" != 0 ]; then
    for f in "$WORK"/logs/*.log; do
      [ -f "$f" ] || continue
      echo "---- last lines of $(basename "$f")"
      tail -n 25 "$f"
    done
  fi
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "e2e: logs kept in $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/logs" "$WORK/tmp"

free_port() {  # first port of the list nobody listens on
  "$PY" - "$@" <<'EOF'
import socket, sys
for port in sys.argv[1:]:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", int(port)))
        except OSError:
            continue
        print(port)
        break
EOF
}

# --- database: create, migrate, seed ----------------------------------------------------
mysql_cmd -e "CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
DB_CREATED=1
DB_URL="${MYSQL_URL%/}/$DB_NAME"

NGINX_PORT="$(free_port $NGINX_PORTS)"
[ -n "$NGINX_PORT" ] || die "no free port in $NGINX_PORTS"

export APP_ENV=production
export DATABASE_URL="$DB_URL"
export REDIS_URL="$REDIS_URL_E2E"
export SOCKETIO_CHANNEL="quiz-e2e-$$"   # pub/sub channels ignore the Redis DB index
export SECRET_KEY JWT_SECRET_KEY
SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')"
JWT_SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')"
export CORS_ORIGINS="http://127.0.0.1:$NGINX_PORT"
export TRUSTED_PROXY_HOPS=1
export BCRYPT_LOG_ROUNDS=4
export FLASK_APP=wsgi
export LOG_LEVEL=WARNING

log "database $DB_NAME: migrate and seed the demo school"
timeout 120 "$FLASK" db upgrade >"$WORK/logs/migrate.log" 2>&1 || { cat "$WORK/logs/migrate.log"; die "migration failed"; }
timeout 120 "$FLASK" seed-demo >"$WORK/logs/seed.log" 2>&1 || { cat "$WORK/logs/seed.log"; die "seeding failed"; }

# --- two nodes, each in its own process group (killed as a whole): an API instance -------
# for /api/ and a realtime instance for /socket.io/ at nice 10 (nginx/upstream.conf),
# as two hosts of the shipped layout would run them.
INSTANCE_ARGS=()
API_SERVERS=""
REALTIME_SERVERS=""
HEALTH_ADDRS=()
used_ports=""
next_port() {  # a free port not handed out yet (the caller records it in used_ports)
  local candidates="" p
  for p in $APP_PORTS; do case " $used_ports " in *" $p "*) ;; *) candidates="$candidates $p" ;; esac; done
  p="$(free_port $candidates)"
  [ -n "$p" ] || die "no free port in $APP_PORTS"
  echo "$p"
}
for n in 1 2; do
  api_port="$(next_port)"; used_ports="$used_ports $api_port"
  rt_port="$(next_port)"; used_ports="$used_ports $rt_port"
  # shellcheck disable=SC2016  # expanded by the node's own shell
  GUNICORN_GRACEFUL_TIMEOUT=3 setsid bash -c '
    GUNICORN_BIND="127.0.0.1:$1" GUNICORN_PROC_NAME="quiz-e2e-api-$3" "$4" -c gunicorn_config.py wsgi:app \
      >"$5/gunicorn-$3.log" 2>&1 &
    GUNICORN_BIND="127.0.0.1:$2" GUNICORN_PROC_NAME="quiz-e2e-realtime-$3" nice -n 10 "$4" -c gunicorn_config.py \
      wsgi:app >"$5/gunicorn-realtime-$3.log" 2>&1 &
    wait' node "$api_port" "$rt_port" "$n" "$GUNICORN" "$WORK/logs" &
  pid=$!
  disown "$pid"       # its SIGKILL below is intended: no job-status noise
  APP_PGIDS+=("$pid") # setsid: the new shell leads its own group, both instances in it
  INSTANCE_ARGS+=(--instance "127.0.0.1:$api_port=$pid")
  HEALTH_ADDRS+=("127.0.0.1:$api_port" "127.0.0.1:$rt_port")
  API_SERVERS="$API_SERVERS    server 127.0.0.1:$api_port max_fails=1 fail_timeout=10s;
"
  REALTIME_SERVERS="$REALTIME_SERVERS    server 127.0.0.1:$rt_port max_fails=1 fail_timeout=10s;
"
  log "node $n: API on 127.0.0.1:$api_port, realtime on 127.0.0.1:$rt_port (process group $pid)"
done

for addr in "${HEALTH_ADDRS[@]}"; do
  ok=0
  for _ in $(seq 1 150); do
    if "$PY" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
        "http://$addr/api/health" 2>/dev/null; then ok=1; break; fi
    sleep 0.2
  done
  [ "$ok" = 1 ] || die "instance $addr did not become healthy"
done

# --- nginx: the shipped site config, moved to a loopback port, in a throwaway prefix -------
cp -r nginx "$WORK/quiz"
sed -i -e "s|^\(\s*\)listen 80;|\1listen 127.0.0.1:$NGINX_PORT;|" -e '/listen \[::\]:80;/d' "$WORK/quiz/quiz.conf"
cat >"$WORK/quiz/upstream.conf" <<EOF
upstream quiz_app {
    ip_hash;
$API_SERVERS    keepalive 16;
}
upstream quiz_realtime {
    ip_hash;
$REALTIME_SERVERS}
EOF
MIME=/etc/nginx/mime.types
[ -f "$MIME" ] || MIME=/dev/null
sed -e "s|@WORK@|$WORK|g" -e "s|@MIME@|$MIME|g" nginx/e2e.conf.template >"$WORK/nginx.conf"
nginx -t -q -p "$WORK" -c "$WORK/nginx.conf" 2>"$WORK/logs/nginx-t.log" || { cat "$WORK/logs/nginx-t.log"; die "nginx -t failed"; }
nginx -p "$WORK" -c "$WORK/nginx.conf" 2>>"$WORK/logs/error.log" &
NGINX_PID=$!
ok=0
for _ in $(seq 1 50); do
  if "$PY" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "http://127.0.0.1:$NGINX_PORT/api/health" 2>/dev/null; then ok=1; break; fi
  sleep 0.2
done
[ "$ok" = 1 ] || die "nginx on 127.0.0.1:$NGINX_PORT did not answer"
log "nginx on 127.0.0.1:$NGINX_PORT (pid $NGINX_PID) in front of both nodes"

# --- the run ---------------------------------------------------------------------------
log "the scheduler's commands, once each, on the same database and Redis"
timeout 300 scripts/scheduler.sh --once >"$WORK/logs/scheduler.log" 2>&1 \
  || { cat "$WORK/logs/scheduler.log"; die "a scheduled command failed"; }
grep '"logger": "scheduler"' "$WORK/logs/scheduler.log" | sed 's/^/    /'

log "playing the quiz through nginx"
timeout 200 "$PY" tests/e2e/e2e_quiz.py --base "http://127.0.0.1:$NGINX_PORT" \
  --access-log "$WORK/logs/access.log" --db-url "$DB_URL" "${INSTANCE_ARGS[@]}" --deadline 180
