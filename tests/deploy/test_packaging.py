"""The shipped deployment files: nginx accepts them, compose wires the services safely,
the image runs unprivileged, and `.env.example` names every variable the app reads."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_accepts_the_http_and_tls_site_configurations():
    done = subprocess.run(["bash", str(ROOT / "nginx" / "check.sh")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.count("test is successful") == 2


def test_nginx_site_upgrades_socket_io_and_sends_client_headers_from_every_location():
    app_conf = (ROOT / "nginx" / "app.conf").read_text()
    assert "client_max_body_size 16m;" in app_conf
    assert "proxy_set_header Upgrade $http_upgrade;" in app_conf
    # A location with its own proxy_set_header inherits none from the server level,
    # so each proxied location must include the client headers itself.
    for block in re.findall(r"location [^{]+\{[^}]*\}", app_conf):
        if "proxy_pass" in block:
            assert "include quiz/proxy_headers.conf;" in block, block
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in (ROOT / "nginx" / "proxy_headers.conf").read_text()


def upstreams(name: str) -> dict:
    """Each upstream block of an nginx file: its name -> its body."""
    text = (ROOT / "nginx" / name).read_text()
    return dict(re.findall(r"^upstream (\w+) \{([^}]*)\}", text, re.M))


@pytest.mark.parametrize("name", ["upstream.conf", "upstream.docker.conf"])
def test_sockets_have_an_upstream_of_their_own_and_every_upstream_is_sticky(name):
    blocks = upstreams(name)
    assert set(blocks) == {"quiz_app", "quiz_realtime"}
    for body in blocks.values():
        assert "ip_hash;" in body
    app_conf = (ROOT / "nginx" / "app.conf").read_text()
    locations = dict(re.findall(r"location ([^{]+?) \{[^}]*?proxy_pass http://(\w+);", app_conf))
    assert locations == {"/socket.io/": "quiz_realtime", "/api/": "quiz_app", "= /api/health": "quiz_app"}


def test_compose_runs_the_realtime_tier_at_a_lower_cpu_weight():
    services = compose()["services"]
    realtime = services["realtime"]
    assert realtime["image"] == services["backend"]["image"]
    assert realtime["environment"] == services["backend"]["environment"]
    assert realtime["cpu_shares"] < 1024  # docker's default weight, which `backend` keeps
    assert "cpu_shares" not in services["backend"]
    assert services["nginx"]["depends_on"]["realtime"]["condition"] == "service_healthy"


def test_compose_services_wait_for_healthy_dependencies_and_migrations():
    services = compose()["services"]
    assert set(services) >= {"mysql", "redis", "migrate", "backend", "realtime", "scheduler", "nginx"}
    backend = services["backend"]["depends_on"]
    assert backend["mysql"]["condition"] == "service_healthy"
    assert backend["redis"]["condition"] == "service_healthy"
    assert backend["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["flask", "db", "upgrade"]
    assert services["nginx"]["depends_on"]["backend"]["condition"] == "service_healthy"
    for name in ("mysql", "redis", "nginx"):
        assert "test" in services[name]["healthcheck"], name
    assert services["scheduler"]["command"] == ["scripts/scheduler.sh"]


def test_compose_keeps_data_in_named_volumes_and_secrets_out_of_the_file():
    doc = compose()
    assert set(doc["volumes"]) == {"mysql_data", "redis_data"}
    env = doc["services"]["backend"]["environment"]
    for key in ("SECRET_KEY", "JWT_SECRET_KEY"):
        assert env[key].startswith("${") and ":?" in env[key], key
    assert env["APP_ENV"] == "production" and env["TRUSTED_PROXY_HOPS"] == "1"


def test_image_runs_unprivileged_with_a_health_check_and_dependencies_first():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    steps = ("COPY requirements.lock", "RUN pip install --require-hashes", "COPY --chown")
    order = [dockerfile.index(step) for step in steps]
    assert order == sorted(order)
    assert re.search(r"^USER quiz$", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile and "/api/health" in dockerfile


def test_env_example_names_every_variable_the_app_reads():
    reader = re.compile(r"""(?:env_int|env_bool|_env|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    read = set()
    for path in [*(ROOT / "app").rglob("*.py"), ROOT / "wsgi.py", ROOT / "run.py", ROOT / "gunicorn_config.py"]:
        read |= set(reader.findall(path.read_text()))
    documented = (ROOT / ".env.example").read_text()
    missing = sorted(name for name in read if name not in documented)
    assert not missing, f".env.example lacks {missing}"
