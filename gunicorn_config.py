"""gunicorn settings for production: `gunicorn -c gunicorn_config.py wsgi:app`.

Every value comes from the environment so one file serves bare metal, systemd and
Docker. Flask-SocketIO keeps each client's session in the memory of the process that
accepted it, so an instance runs exactly ONE worker: scale out by starting more
instances (on other ports or hosts) behind nginx `ip_hash`, joined by Redis
(`REDIS_URL`) as the Socket.IO message queue. `GUNICORN_WORKERS` is refused above 1.

The worker is gevent's, with gevent-websocket's handler so that Socket.IO can upgrade
to a websocket (python-engineio uses gevent-websocket whenever it is installed, and
then needs its handler). The worker monkey-patches the standard library in the
worker process before the application is imported; `GEVENT_PATCH=1`, exported here,
tells `wsgi.py` to make sure of it. The master process is deliberately not patched:
it runs gunicorn's own threads.

| variable | default | meaning |
|---|---|---|
| GUNICORN_BIND | 127.0.0.1:5000 | address:port (comma-separated for several) |
| GUNICORN_WORKERS | 1 | must stay 1 |
| GUNICORN_WORKER_CLASS | geventwebsocket.gunicorn.workers.GeventWebSocketWorker | worker class |
| GUNICORN_WORKER_CONNECTIONS | 1000 | simultaneous clients (greenlets) per worker |
| GUNICORN_TIMEOUT | 60 | seconds before a silent worker is killed and restarted |
| GUNICORN_GRACEFUL_TIMEOUT | 30 | seconds to finish requests on restart/stop |
| GUNICORN_KEEPALIVE | 5 | seconds to keep an idle HTTP connection (nginx keeps them) |
| GUNICORN_BACKLOG | 2048 | pending connections |
| GUNICORN_LOG_LEVEL | info | |
| GUNICORN_ACCESS_LOG | - | access log file, `-` = stdout, empty = off (*) |
| GUNICORN_ERROR_LOG | - | error log file, `-` = stderr |
| GUNICORN_PROC_NAME | quiz-backend | process title |
| GUNICORN_PIDFILE | unset | pid file |
| GUNICORN_CONTROL_SOCKET | unset | gunicorn's control socket, off unless set (two instances |
|  |  | on one host would otherwise share its default path) |
| GUNICORN_MAX_REQUESTS | 0 | restart the worker after N requests (0 = never; a restart drops its websockets) |
| GUNICORN_MAX_REQUESTS_JITTER | 0 | random extra requests before that restart |
| GUNICORN_WORKER_TMP_DIR | /dev/shm | worker heartbeat files (a tmpfs, not the container's disk) |
| GUNICORN_FORWARDED_ALLOW_IPS | 127.0.0.1 | gunicorn's own trust of forwarded headers (the app uses ProxyFix) |

(*) With the websocket worker, request lines are written by gevent-websocket's handler
through the application's JSON logging (logger `geventwebsocket.handler`, level INFO);
gunicorn's access log applies to the other worker classes. Do not pick the plain
`gevent` worker while gevent-websocket is installed: python-engineio then expects
gevent-websocket's handler and refuses websocket upgrades.
"""
import os


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


bind = [address.strip() for address in _env("GUNICORN_BIND", "127.0.0.1:5000").split(",") if address.strip()]
workers = _env_int("GUNICORN_WORKERS", 1)
if workers != 1:
    raise RuntimeError(
        "GUNICORN_WORKERS must be 1: Flask-SocketIO needs sticky sessions, which gunicorn's "
        "load balancing cannot give. Start more instances behind nginx ip_hash instead."
    )
worker_class = _env("GUNICORN_WORKER_CLASS", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker")
worker_connections = _env_int("GUNICORN_WORKER_CONNECTIONS", 1000)
timeout = _env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
backlog = _env_int("GUNICORN_BACKLOG", 2048)
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 0)
# The application must be imported in the worker, after gevent has patched it.
preload_app = False

loglevel = _env("GUNICORN_LOG_LEVEL", "info")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = _env("GUNICORN_ERROR_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" %({x-request-id}o)s'
capture_output = False
proc_name = _env("GUNICORN_PROC_NAME", "quiz-backend")
pidfile = os.environ.get("GUNICORN_PIDFILE") or None
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or ("/dev/shm" if os.path.isdir("/dev/shm") else None)

control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# X-Forwarded-* is handled by the application's ProxyFix (TRUSTED_PROXY_HOPS), which
# counts hops; gunicorn's own forwarded-header handling stays at its safe default.
forwarded_allow_ips = _env("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

if "gevent" in worker_class.lower():
    # Read by wsgi.py in the worker process: patch before the application is imported.
    os.environ["GEVENT_PATCH"] = "1"

# Served by gunicorn means production unless the environment says otherwise.
os.environ.setdefault("APP_ENV", "production")
