"""Tips and the diary across real laptops and a real server (SQLite and PostgreSQL): a tip written
offline reaches every laptop of the cooperative and none of another; a private diary entry is in
no server table and no pull; moving someone to another cooperative resets the apps it affects."""

from __future__ import annotations

import warnings
from datetime import date

from sqlalchemy import MetaData, create_engine, select

from facilitator_app.core.model import DiaryEntry, Tip
from facilitator_app.store.sync_state import SyncState

from .conftest import PASSWORD, Laptop, unique


def _people(server, tmp_path, coop: str, *names: str, supervisor: str | None = None) -> list[Laptop]:
    laptops = []
    for name in names:
        server.add_user(name, PASSWORD, cooperative=coop)
    if supervisor:
        server.add_user(supervisor, PASSWORD, role="supervisor", cooperative=coop)
    for name in (*names, *([supervisor] if supervisor else [])):
        laptop = Laptop(tmp_path / name, server.url)
        laptop.sign_in(name)
        laptops.append(laptop)
    return laptops


def _texts(laptop: Laptop) -> list[str]:
    return [v.tip.text for v in laptop.store.tips(include_hidden=True)]


def test_a_tip_written_offline_reaches_its_cooperative_and_no_other(server, tmp_path):
    coop, other = unique("coop"), unique("coop")
    ana, ben, sue = _people(server, tmp_path, coop, unique("ana"), unique("ben"), supervisor=unique("sue"))
    (zed,) = _people(server, tmp_path, other, unique("zed"))
    for laptop in (ana, ben, sue, zed):
        laptop.sync()
    text = "Put the cuff-size chart on the wall of every exam room"
    ana.store.save_tip(Tip("B1", text, ownership="fqhc"), today=date.today())  # offline: nothing synced yet
    assert _texts(ben) == []
    ana.sync()
    for laptop in (ben, sue, zed):
        laptop.sync()
    assert _texts(ben) == _texts(sue) == [text] and _texts(zed) == []
    tip_id = ben.store.tips()[0].tip.id
    ben.store.mark_tip(tip_id)
    sue.store.mark_tip(tip_id)
    sue.store.flag_tip(tip_id, pinned=True)
    for laptop in (ben, sue, ana, ben, sue):
        laptop.sync()
    for laptop in (ana, ben, sue):
        (view,) = laptop.store.tips()
        assert view.helpful == 2 and view.tip.pinned and view.tip.written_by == ana.store.facilitator
    assert _texts(zed) == [] and zed.store.pending_changes() == 0
    ana.store.withdraw_tip(tip_id)
    for laptop in (ana, ben, sue):
        laptop.sync()
    assert _texts(ana) == _texts(ben) == _texts(sue) == []


def _server_text(server) -> str:
    """Every value of every row of every server table, as one text to search."""
    engine = create_engine(server.database_url)
    try:
        meta = MetaData()
        with warnings.catch_warnings():  # an expression index (PostgreSQL, SQLite) cannot be reflected: no matter
            warnings.simplefilter("ignore")
            meta.reflect(engine)
        with engine.connect() as conn:
            return "\n".join(repr(tuple(row)) for table in meta.sorted_tables for row in conn.execute(select(table)))
    finally:
        engine.dispose()


def test_a_private_diary_entry_is_in_no_server_table_and_no_pull(server, tmp_path):
    coop = unique("coop")
    ana, ben, sue = _people(server, tmp_path, coop, unique("ana"), unique("ben"), supervisor=unique("sue"))
    marker = unique("m")
    today = date.today()
    private = DiaryEntry(today, f"PRIVATE-{marker} the lead clinician seems burnt out", tags=["barrier"])
    shared = DiaryEntry(today, f"SHARED-{marker} registry huddles work", tags=["success"], shared=True)
    taken_back = DiaryEntry(today, f"TAKENBACK-{marker} shared by mistake", shared=True)
    later = DiaryEntry(today, f"LATER-{marker} shared, synced, then taken back", shared=True)
    for entry in (private, shared, taken_back, later):
        ana.store.save_diary_entry(entry, today=today)
    ana.store.share_diary_entry(taken_back.id, False)  # before any sync: its words never leave
    ana.sync()
    sue.sync()
    assert {e.text for e in sue.store.diary_entries()} == {later.text, shared.text}
    ana.store.share_diary_entry(later.id, False)
    ana.store.save_diary_entry(DiaryEntry(today, f"PRIVATE2-{marker} edited offline"), today=today)
    ana.sync()
    for laptop in (sue, ben):
        laptop.sync()
    assert [e.text for e in sue.store.diary_entries()] == [shared.text]
    assert ben.store.diary_entries() == []
    assert all(not e.shared or e.text == shared.text for e in ana.store.diary_entries())
    stored = _server_text(server)
    assert f"SHARED-{marker}" in stored  # the search can find words: the shared entry's are there
    for absent in ("PRIVATE-", "PRIVATE2-", "TAKENBACK-", "LATER-"):
        assert f"{absent}{marker}" not in stored, absent

    # A full download (a reset) keeps every private entry: they are not the server's to replace.
    SyncState(ana.store).request_refetch()
    assert ana.sync().refetched
    texts = {e.text for e in ana.store.diary_entries()}
    assert {private.text, shared.text} <= texts and any(t.startswith(f"LATER-{marker}") for t in texts)
    assert sum(e.shared for e in ana.store.diary_entries()) == 1


def test_moving_someone_to_another_cooperative_resets_what_they_and_supervisors_see(server, tmp_path):
    coop, other = unique("coop"), unique("coop")
    ana, ben, sue = _people(server, tmp_path, coop, unique("ana"), unique("ben"), supervisor=unique("sue"))
    zed, oz = _people(server, tmp_path, other, unique("zed"), supervisor=unique("oz"))
    ben.store.save_tip(Tip("S2", "Fax-to-quit forms live at the front desk"), today=date.today())
    zed.store.save_tip(Tip("A1", "Aspirin registry query by age band"), today=date.today())
    ana.store.save_diary_entry(DiaryEntry(date.today(), "Shared with my supervisor", shared=True), today=date.today())
    for laptop in (ben, zed, ana, sue, oz):
        laptop.sync()
    assert _texts(ana) == ["Fax-to-quit forms live at the front desk"] and len(sue.store.diary_entries()) == 1
    ana_name = ana.store.facilitator
    server.admin("user", "move", ana_name, "--cooperative", other)
    assert ana.sync().refetched and sue.sync().refetched and oz.sync().refetched
    assert _texts(ana) == ["Aspirin registry query by age band"]
    assert sue.store.diary_entries() == []
    assert [e.written_by for e in oz.store.diary_entries()] == [ana_name]
    assert [e.text for e in ana.store.diary_entries()] == ["Shared with my supervisor"]
