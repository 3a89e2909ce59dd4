"""login identifiers: one canonical key each, matched byte for byte

users.email_key (new) and students.registration_key (recomputed) hold
app.common.identifiers.login_key of the e-mail and the registration number (Unicode
NFKC, case-folded, trimmed), in columns with a binary collation and a unique index.
Every account lookup, rate-limit key and uniqueness check compares these values
exactly. The unique indexes on users.email and students.registration_number go: under
the database's case- and accent-insensitive collation they called accounts with
different keys one account.

The upgrade reads every account first and refuses to run, before it changes anything,
when two accounts would get the same key or a key does not fit its column, naming
them; an administrator renames one of them and runs it again.

The downgrade restores the old upper-cased registration key and the old unique
indexes, and fails if the accounts created since no longer fit those.

Revision ID: 0003
Revises: 0002
"""
from collections import defaultdict

import click
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from app.common.identifiers import login_key

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

EMAIL_KEY_LENGTH, REGISTRATION_KEY_LENGTH = 255, 50
users = sa.table("users", sa.column("id"), sa.column("email"), sa.column("email_key"))
students = sa.table("students", sa.column("id"), sa.column("registration_number"), sa.column("registration_key"))


def key_type(length: int):
    return sa.String(length).with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")


def upgrade():
    conn = op.get_bind()
    emails = dict(conn.execute(sa.select(users.c.id, users.c.email)).all())
    numbers = dict(conn.execute(sa.select(students.c.id, students.c.registration_number)).all())
    problems = (unstorable("users.email", emails, EMAIL_KEY_LENGTH)
                + unstorable("students.registration_number", numbers, REGISTRATION_KEY_LENGTH))
    if problems:
        raise click.ClickException(
            "These accounts cannot each be given a login key of their own; change the e-mail or "
            "registration number of all but one account of each group (shorten one too long), "
            "then upgrade again:\n" + "\n".join(problems))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_key", key_type(EMAIL_KEY_LENGTH), nullable=True))
        batch_op.drop_constraint("uq_users_email", type_="unique")
    fill(conn, users, users.c.email_key, emails, login_key)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("email_key", existing_type=key_type(EMAIL_KEY_LENGTH), nullable=False)
        batch_op.create_unique_constraint("uq_users_email_key", ["email_key"])

    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_constraint("uq_students_registration_number", type_="unique")
        batch_op.drop_constraint("uq_students_registration_key", type_="unique")
        batch_op.alter_column("registration_key", existing_type=sa.String(REGISTRATION_KEY_LENGTH),
                              type_=key_type(REGISTRATION_KEY_LENGTH), existing_nullable=False)
    fill(conn, students, students.c.registration_key, numbers, login_key)
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_students_registration_key", ["registration_key"])


def unstorable(where: str, identifiers: dict[str, str], length: int) -> list[str]:
    """One line per group of accounts sharing a key, and per key blank or too long."""
    groups = defaultdict(list)
    for row_id, identifier in identifiers.items():
        groups[login_key(identifier)].append(row_id)
    problems = []
    for key, ids in sorted(groups.items()):
        named = ", ".join(f"{identifiers[i]!r} (id {i})" for i in sorted(ids))
        if len(ids) > 1:
            problems.append(f"{where}: {named} share the login key {key!r}")
        if not key or len(key) > length:
            problems.append(f"{where}: {named} has the login key {key!r}: blank, or over {length} characters")
    return problems


def fill(conn, table, key_column, identifiers: dict[str, str], key_of) -> None:
    if identifiers:
        conn.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                     .values({key_column.name: sa.bindparam("key")}),
                     [{"row_id": row_id, "key": key_of(value)} for row_id, value in identifiers.items()])


def downgrade():
    conn = op.get_bind()
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_constraint("uq_students_registration_key", type_="unique")
        batch_op.alter_column("registration_key", existing_type=key_type(REGISTRATION_KEY_LENGTH),
                              type_=sa.String(REGISTRATION_KEY_LENGTH), existing_nullable=False)
    numbers = dict(conn.execute(sa.select(students.c.id, students.c.registration_number)).all())
    fill(conn, students, students.c.registration_key, numbers, lambda number: number.strip().upper())
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_students_registration_key", ["registration_key"])
        batch_op.create_unique_constraint("uq_students_registration_number", ["registration_number"])

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_email_key", type_="unique")
        batch_op.drop_column("email_key")
        batch_op.create_unique_constraint("uq_users_email", ["email"])
