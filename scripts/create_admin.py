#!/usr/bin/env python3
"""Create an administrator: wraps `flask create-admin` (same options)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.cli import create_admin  # noqa: E402

if __name__ == "__main__":
    app = create_app()
    with app.app_context():
        create_admin.main(args=sys.argv[1:], standalone_mode=True)
