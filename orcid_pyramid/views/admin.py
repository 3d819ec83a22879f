"""The admin call log (DM-7): every ORCID exchange, filterable and paged.

The iD filter is a choice among iDs already in the log, never a text field: nothing in the
add-on lets anyone type an iD (DM-1).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from ..i18n import _

PAGE_SIZE = 50
#: the answer filter's choices, in an administrator's words
STATUS_CLASS_TEXT = {
    "2xx": _("2xx: success"),
    "3xx": _("3xx: redirect"),
    "4xx": _("4xx: refused by ORCID"),
    "5xx": _("5xx: failed at ORCID"),
    "none": _("no answer (timeout, no connection)"),
}
STATUS_CLASSES = tuple(STATUS_CLASS_TEXT)
METHODS = ("GET", "POST", "PUT", "DELETE")
#: bodies longer than this are shown as stored (indenting them would only make them longer)
PRETTY_LIMIT = 200_000


def readable_body(text: str | None) -> str:
    """A JSON body indented for reading (the log stores it as ORCID sent it); others as is."""
    if not text or len(text) > PRETTY_LIMIT or text.lstrip()[:1] not in ("{", "["):
        return text or ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _parse_date(value: str, problems: list[str], label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(_("${field} must be a date like 2026-01-31; it was ignored.",
                          field=label))
        return None


def _text(params, name: str, problems: list[str]) -> str:
    """A text filter; one holding a NUL or control character (which PostgreSQL refuses to
    compare) is dropped with a note."""
    value = (params.get(name) or "").strip()[:255]
    if any(ord(ch) < 32 for ch in value):
        problems.append(_("The ${name} filter had control characters; it was ignored.",
                          name=name))
        return ""
    return value


def _page(value: str, problems: list[str]) -> int:
    try:
        page = int(value or 1)
    except ValueError:
        problems.append(_("The page number was not a number; showing page 1."))
        return 1
    return max(page, 1)


def read_filters(params) -> tuple[dict, list[str]]:
    """The filters from the query string, each checked; bad values are dropped with a note."""
    problems: list[str] = []
    filters = {
        "orcid": _text(params, "orcid", problems),
        "user": _text(params, "user", problems),
        "status": (params.get("status") or "").strip(),
        "method": (params.get("method") or "").strip().upper(),
        "date_from": _parse_date((params.get("from") or "").strip(), problems, _("From")),
        "date_to": _parse_date((params.get("to") or "").strip(), problems, _("To")),
        "page": _page(params.get("page"), problems),
    }
    if filters["status"] and filters["status"] not in STATUS_CLASSES:
        problems.append(_("Unknown status class; it was ignored."))
        filters["status"] = ""
    if filters["method"] and filters["method"] not in METHODS:
        problems.append(_("Unknown method; it was ignored."))
        filters["method"] = ""
    return filters, problems


def _apply(query, filters, OrcidCall):
    if filters["orcid"]:
        query = query.where(OrcidCall.orcid == filters["orcid"])
    if filters["user"]:
        query = query.where(OrcidCall.user_id == filters["user"])
    if filters["method"]:
        query = query.where(OrcidCall.method == filters["method"])
    status = filters["status"]
    if status == "none":
        query = query.where(OrcidCall.status.is_(None))
    elif status:
        low = int(status[0]) * 100
        query = query.where(OrcidCall.status >= low, OrcidCall.status < low + 100)
    if filters["date_from"]:
        query = query.where(OrcidCall.at >= datetime.combine(filters["date_from"], time(),
                                                             tzinfo=UTC))
    if filters["date_to"] and filters["date_to"] < date.max:  # date.max + 1 day overflows
        end = datetime.combine(filters["date_to"], time(), tzinfo=UTC) + timedelta(days=1)
        query = query.where(OrcidCall.at < end)
    return query


def admin_calls_view(request):
    """The call-log table (permission ``orcid.admin``)."""
    from ..models import OrcidCall

    db = request.orcid_db
    filters, problems = read_filters(request.params)
    known_ids = db.execute(
        select(OrcidCall.orcid).where(OrcidCall.orcid.is_not(None)).distinct()
        .order_by(OrcidCall.orcid).limit(500)
    ).scalars().all()
    if filters["orcid"] and filters["orcid"] not in known_ids:
        problems.append(_("That iD has no calls in the log; the filter was ignored."))
        filters["orcid"] = ""
    total = db.execute(_apply(select(func.count()).select_from(OrcidCall), filters,
                              OrcidCall)).scalar_one()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(filters["page"], pages)
    rows = db.execute(
        _apply(select(OrcidCall), filters, OrcidCall)
        .order_by(OrcidCall.at.desc(), OrcidCall.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).scalars().all()
    query = {k: v for k, v in {
        "orcid": filters["orcid"], "user": filters["user"], "status": filters["status"],
        "method": filters["method"],
        "from": filters["date_from"].isoformat() if filters["date_from"] else "",
        "to": filters["date_to"].isoformat() if filters["date_to"] else "",
    }.items() if v}
    return {
        "calls": [{"call": call, "request_body": readable_body(call.request_body),
                   "response_body": readable_body(call.response_body)} for call in rows],
        "filters": filters, "problems": problems, "known_ids": known_ids,
        "statuses": STATUS_CLASS_TEXT, "methods": METHODS, "page": page, "pages": pages,
        "total": total, "query": query,
    }


def read_item_filters(params) -> tuple[dict, list[str]]:
    """The item page's filters (status, user, page), each checked; bad values dropped."""
    from ..sync.status import ADMIN_STATUS_TEXT

    problems: list[str] = []
    filters = {
        "status": (params.get("status") or "").strip(),
        "user": _text(params, "user", problems),
        "page": _page(params.get("page"), problems),
    }
    if filters["status"] and filters["status"] not in ADMIN_STATUS_TEXT:
        problems.append(_("Unknown item status; it was ignored."))
        filters["status"] = ""
    return filters, problems


def _item_query(query, filters, OrcidItem):
    if filters["status"]:
        query = query.where(OrcidItem.status == filters["status"])
    if filters["user"]:
        query = query.where(OrcidItem.user_id == filters["user"])
    return query


def _items_of_one_user(db, filters, limit: int, offset: int) -> list:
    # sync.status.items_for_admin has no user filter (yet): same order and display objects,
    # built here from its public pieces
    from ..models.sync import OrcidItem
    from ..sync.status import ItemStatus, status_text

    rows = db.execute(
        _item_query(select(OrcidItem), filters, OrcidItem)
        .order_by(OrcidItem.updated_at.desc(), OrcidItem.id.desc()).limit(limit).offset(offset)
    ).scalars()
    return [ItemStatus(section=r.section, local_key=r.local_key, title=r.title or r.local_key,
                       put_code=r.put_code, status=r.status,
                       status_text=status_text(r.status, r.last_error),
                       last_error=r.last_error, last_attempt_at=r.last_attempt_at,
                       changed_on_orcid=bool(r.changed_on_orcid), user_id=r.user_id,
                       orcid=r.orcid) for r in rows]


def admin_items_view(request):
    """Every user's ORCID items and their sync status in words (permission ``orcid.admin``)."""
    from ..models.sync import OrcidItem
    from ..sync.status import ADMIN_STATUS_TEXT, items_for_admin

    db = request.orcid_db
    filters, problems = read_item_filters(request.params)
    total = db.execute(_item_query(select(func.count()).select_from(OrcidItem), filters,
                                   OrcidItem)).scalar_one()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(filters["page"], pages)
    offset = (page - 1) * PAGE_SIZE
    if filters["user"]:
        items = _items_of_one_user(db, filters, PAGE_SIZE, offset)
    else:
        items = items_for_admin(db, status=filters["status"] or None, limit=PAGE_SIZE,
                                offset=offset)
    query = {k: v for k, v in {"status": filters["status"], "user": filters["user"]}.items()
             if v}
    return {
        "items": items, "filters": filters, "problems": problems, "statuses": ADMIN_STATUS_TEXT,
        "page": page, "pages": pages, "total": total, "query": query,
    }
