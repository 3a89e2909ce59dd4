"""A throwaway MariaDB/MySQL database for a benchmark run (shared by the bench scripts)."""
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def throwaway_database(server_url: str, prefix: str = "qms_bench") -> tuple[str, callable]:
    """Create `<prefix>_<random>` on the server; return its URL and a function that drops it."""
    # Not app.config's normaliser: importing app.config reads the environment, which the
    # scripts set (secrets, APP_ENV) only after their database exists.
    url = make_url(server_url.replace("mysql://", "mysql+pymysql://", 1))
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database=None))
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop
