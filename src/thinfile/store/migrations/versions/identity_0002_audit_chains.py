"""The audit log becomes sixteen hash chains, one head each, so audited writers stop queueing.

One head row serialized every audited transaction in the service from its append to its
commit; under load most PostgreSQL backends waited on that one row lock. Each row now belongs
to the chain its subject hashes to (a loan's or an application's history stays in one chain,
in order), links to the row before it *in that chain* and carries its position there
(``chain_seq``). ``seq`` stays the row's number in the whole log, now drawn from a sequence.
Existing rows form chain 1 unchanged (their position is their old ``seq``, their hashes still
verify); chains 2–16 start from their own genesis hashes.

Revision ID: identity_0002
Revises: identity_0001
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None

CHAINS = 16


def _genesis(chain: int) -> str:
    """Chain 1 keeps the original all-zero genesis; the others get their own."""
    if chain == 1:
        return "0" * 64
    return hashlib.sha256(f"thinfile audit chain {chain}".encode()).hexdigest()


_SQLITE_GUARDS = [
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    op.add_column("audit_log", sa.Column("chain", sa.Integer, nullable=False, server_default="1"))
    op.add_column(
        "audit_log",
        sa.Column(
            "chain_seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            nullable=False,
            server_default="0",
        ),
    )
    op.execute("UPDATE audit_log SET chain_seq = seq")
    op.create_index("ix_audit_log_chain_position", "audit_log", ["chain", "chain_seq"], unique=True)
    if postgres:
        op.execute("ALTER TABLE audit_log ALTER COLUMN chain DROP DEFAULT")
        op.execute("ALTER TABLE audit_log ALTER COLUMN chain_seq DROP DEFAULT")
        op.execute("CREATE SEQUENCE audit_log_seq_seq OWNED BY audit_log.seq")
        op.execute(
            "SELECT setval('audit_log_seq_seq', COALESCE(MAX(seq), 0) + 1, false) FROM audit_log"
        )
        op.execute(
            "ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_log_seq_seq')"
        )
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
    else:  # ``seq INTEGER PRIMARY KEY`` is SQLite's rowid: it numbers new rows by itself.
        for statement in _SQLITE_GUARDS:
            op.execute(statement)
    head = sa.table(
        "audit_head",
        sa.column("id", sa.Integer),
        sa.column("last_seq", sa.BigInteger),
        sa.column("last_hash", sa.String),
    )
    op.bulk_insert(
        head, [{"id": k, "last_seq": 0, "last_hash": _genesis(k)} for k in range(2, CHAINS + 1)]
    )


def downgrade() -> None:
    raise NotImplementedError(
        "the audit log's chains cannot be merged back into one chain "
        "without rewriting every hash; restore from a backup instead"
    )
