"""``set_all``: one UPDATE for a set of loaded rows, on the test database (SQLite, or
PostgreSQL with ``ORCID_PYRAMID_TEST_DATABASE_URL``, where the per-id values travel as
array text that must survive quotes, backslashes, commas, braces and NULL)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orcid_pyramid.models import Base, get_engine
from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import OrcidItem
from orcid_pyramid.sync.setall import set_all

AWKWARD = ['plain', 'a "quoted" one', 'back\\slash', 'comma, and {braces}', 'NULL', '',
           None, "it's", 'ünïcode ✓', '\\"', ' spaced ']


def test_per_row_values_and_shared_values_reach_the_database(fresh_db_url):
    engine = get_engine(fresh_db_url)
    Base.metadata.create_all(engine)
    try:
        with Session(engine, expire_on_commit=False) as db:
            items = [OrcidItem(user_id="u", section="work", local_key=f"k{n}",
                               status="pending", updated_at=utcnow())
                     for n in range(len(AWKWARD))]
            db.add_all(items)
            db.commit()
            items[0].title = "changed in Python, not flushed"
            set_all(items, OrcidItem, put_code={i.id: (None if n == 3 else 1000 + n)
                                                for n, i in enumerate(items)},
                    last_error={i.id: AWKWARD[n] for n, i in enumerate(items)},
                    status="synced")
            db.commit()
            # the loaded objects hold the new values as committed state
            assert [i.last_error for i in items] == AWKWARD
            assert items[3].put_code is None and items[4].put_code == 1004
            ids = [i.id for i in items]
        with Session(engine) as db:
            stored = {i.id: i for i in db.query(OrcidItem)}
            assert [stored[i].last_error for i in ids] == AWKWARD
            assert [stored[i].put_code for i in ids] == [
                None if n == 3 else 1000 + n for n in range(len(AWKWARD))]
            assert {stored[i].status for i in ids} == {"synced"}
            assert stored[ids[0]].title == "changed in Python, not flushed"
    finally:
        engine.dispose()
