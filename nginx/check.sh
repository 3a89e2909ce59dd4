#!/usr/bin/env bash
# `nginx -t` for the shipped configuration, without root and without touching
# /etc/nginx: builds a throwaway prefix that includes upstream.conf + quiz.conf, then
# upstream.conf + quiz-tls.conf (with a self-signed certificate made on the spot).
# Usage: nginx/check.sh   (exit status 0 when nginx accepts both)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v nginx >/dev/null 2>&1 || { echo "nginx is not installed (apt-get install nginx-light)"; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/logs" "$work/tmp" "$work/tls"
cp -r "$here" "$work/quiz"
mime=/etc/nginx/mime.types
[ -f "$mime" ] || mime=/dev/null

main_conf() {  # $1 = site file to include
  cat <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 64; }
http {
    include $mime;
    access_log $work/logs/access.log;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    include quiz/upstream.conf;
    include quiz/$1;
}
CONF
}

status=0
main_conf quiz.conf > "$work/nginx-http.conf"
echo "== nginx -t: upstream.conf + quiz.conf"
nginx -t -p "$work" -c "$work/nginx-http.conf" || status=1

if command -v openssl >/dev/null 2>&1; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=quiz.example.org \
    -keyout "$work/tls/privkey.pem" -out "$work/tls/fullchain.pem" >/dev/null 2>&1
  sed -i "s|/etc/nginx/tls/|$work/tls/|; s|/var/www/acme|$work/acme|" "$work/quiz/quiz-tls.conf"
  main_conf quiz-tls.conf > "$work/nginx-tls.conf"
  echo "== nginx -t: upstream.conf + quiz-tls.conf (self-signed certificate)"
  nginx -t -p "$work" -c "$work/nginx-tls.conf" || status=1
else
  echo "openssl missing: quiz-tls.conf not checked"
fi
exit $status
