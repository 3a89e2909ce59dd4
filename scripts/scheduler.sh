#!/usr/bin/env bash
# The periodic jobs, in a loop: the docker-compose `scheduler` service runs this; on a
# host without Docker use cron or a systemd timer with the same commands instead.
#
#   flask attempts close-expired    every SCHED_CLOSE_EXPIRED_SECONDS (60)
#   flask notifications dispatch    every SCHED_DISPATCH_SECONDS (60)
#   flask notifications remind      every SCHED_REMIND_SECONDS (300)
#   flask notifications cleanup     every SCHED_CLEANUP_SECONDS (3600)
#   flask purge-idempotency-keys    every SCHED_CLEANUP_SECONDS (3600)
#
# Each command is safe to run repeatedly and concurrently with the app (and with a
# second scheduler), is bounded by SCHED_COMMAND_TIMEOUT (120 s), and a failing one is
# logged and retried on its next turn. SIGTERM stops the loop between commands.
# Usage: scripts/scheduler.sh [--once]   (--once: each command once; exit 1 if one failed)
set -uo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP="${FLASK_APP:-wsgi}"
# The project's virtualenv when there is one (a host), else the image's `flask` (Docker).
if [ -z "${FLASK:-}" ]; then
  if [ -x .venv/bin/flask ]; then FLASK=.venv/bin/flask; else FLASK=flask; fi
fi
timeout_s="${SCHED_COMMAND_TIMEOUT:-120}"

jobs=(
  "${SCHED_CLOSE_EXPIRED_SECONDS:-60}|attempts close-expired"
  "${SCHED_DISPATCH_SECONDS:-60}|notifications dispatch"
  "${SCHED_REMIND_SECONDS:-300}|notifications remind"
  "${SCHED_CLEANUP_SECONDS:-3600}|notifications cleanup"
  "${SCHED_CLEANUP_SECONDS:-3600}|purge-idempotency-keys"
)
declare -A next_run=()
stop=0
failed=0
trap 'stop=1' TERM INT

log() { printf '{"ts": "%s", "logger": "scheduler", "message": "%s"}\n' "$(date -u +%FT%TZ)" "$*"; }

run_due() {
  local now entry every command
  now=$(date +%s)
  for entry in "${jobs[@]}"; do
    every="${entry%%|*}"; command="${entry#*|}"
    [ "$stop" = 1 ] && return
    if [ "${next_run[$command]:-0}" -le "$now" ]; then
      next_run[$command]=$((now + every))
      # shellcheck disable=SC2086
      if timeout "$timeout_s" "$FLASK" $command; then
        log "flask $command: ok"
      else
        log "flask $command: failed with status $?"
        failed=1
      fi
    fi
  done
}

log "scheduler started"
if [ "${1:-}" = "--once" ]; then
  run_due
  exit "$failed"
fi
while [ "$stop" = 0 ]; do
  run_due
  for _ in $(seq 1 5); do [ "$stop" = 1 ] && break; sleep 1; done
done
log "scheduler stopped"
