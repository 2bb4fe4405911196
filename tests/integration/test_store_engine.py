import sqlalchemy as sa

from thinfile.store import make_engine, upgrade


def test_migrations_apply_and_are_idempotent_on_both_backends(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # a second run finds nothing to do
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert isinstance(versions, list)


def test_each_test_gets_an_empty_isolated_database(engine):
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
    assert "scratch" not in names
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE scratch (id INTEGER PRIMARY KEY)"))
