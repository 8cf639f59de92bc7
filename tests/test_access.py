"""The readers' roles on a server shared by several warehouses."""

from __future__ import annotations

import threading
import uuid

import psycopg

from spaser.publish import access


def test_a_role_created_meanwhile_by_another_warehouse_is_not_an_error(admin_url, warehouse_url, monkeypatch):
    # Roles are cluster-wide: names of this test's own, so that no other test's grants depend on them.
    roles = tuple(f"spaser_test_role_{uuid.uuid4().hex[:8]}_{n}" for n in (1, 2))
    monkeypatch.setattr(access, "ROLES", roles)
    outcome = {}
    with psycopg.connect(admin_url) as other_warehouse:
        # The other warehouse has created the first role but not committed yet: our check still
        # finds it missing, and our CREATE ROLE waits for the other transaction, then collides.
        other_warehouse.execute(f"create role {roles[0]} nologin")
        with psycopg.connect(warehouse_url, autocommit=True) as conn:
            worker = threading.Thread(target=lambda: outcome.update(missing=access.ensure_roles(conn)))
            worker.start()
            worker.join(timeout=2)
            assert worker.is_alive(), "ensure_roles should be waiting on the other transaction"
            other_warehouse.commit()
            worker.join(timeout=30)
            assert outcome == {"missing": []}
            assert access.missing_roles(conn) == []
    with psycopg.connect(admin_url, autocommit=True) as cleanup:
        for role in roles:
            cleanup.execute(f"drop role if exists {role}")


def test_the_administrators_sql_limits_every_reader_member(admin_url, warehouse_url, monkeypatch):
    """What `spaser roles --sql` prints runs as is, and gives each login member of the readers'
    roles its idle-in-transaction limit (PostgreSQL does not pass it on from the group role)."""
    monkeypatch.setenv("SPASER_READER_IDLE_TIMEOUT", "7min")
    # Roles are cluster-wide: this test's own, so that no other test's grant_access touches its member.
    suffix = uuid.uuid4().hex[:8]
    roles = (f"spaser_test_lecteur_{suffix}", f"spaser_test_auditeur_{suffix}")
    monkeypatch.setattr(access, "ROLES", roles)
    member = f"spaser_test_bi_{suffix}"
    try:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(access.roles_ddl())
            admin.execute(f"create role {member} login; grant {roles[0]} to {member}")
            admin.execute(access.roles_ddl())
            settings = admin.execute(
                "select unnest(setconfig) from pg_db_role_setting as s"
                " join pg_roles as r on r.oid = s.setrole where r.rolname = %s",
                (member,),
            ).fetchall()
        assert settings == [("idle_in_transaction_session_timeout=7min",)]
    finally:
        with psycopg.connect(admin_url, autocommit=True) as cleanup:
            for role in (member, *roles):
                cleanup.execute(f"drop role if exists {role}")
