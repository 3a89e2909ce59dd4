#!/usr/bin/env python3
"""Seed the demo school: wraps `flask seed-demo` (same options)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.cli import seed_demo  # noqa: E402

if __name__ == "__main__":
    app = create_app()
    with app.app_context():
        seed_demo.main(args=sys.argv[1:], standalone_mode=True)
