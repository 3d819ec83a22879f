"""The demo users' works (static demo data) and how they map to ORCID works."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoWork:
    """A work as the demo site knows it."""

    key: str
    title: str
    doi: str
    type: str
    year: str

    def to_orcid(self):
        """The ORCID 3.0 work for this record (the sync engine's builder)."""
        from ..sync.builders import ExternalId, Work

        return Work(title=self.title, type=self.type,
                    external_ids=[ExternalId("doi", self.doi)], publication_date=self.year)


WORKS = {
    "alice": [
        DemoWork("alice-1", "The Semiotics of the Lost Umbrella", "10.5555/12345678",
                 "journal-article", "2019"),
        DemoWork("alice-2", "Toward a Unified Theory of High-Energy Metaphysics",
                 "10.5555/87654321", "journal-article", "2008"),
    ],
    "bob": [DemoWork("bob-1", "Notes on Example Data", "10.5555/11112222", "data-set", "2021")],
    "carol": [DemoWork("carol-1", "A Single Name Is Enough", "10.5555/33334444", "preprint",
                       "2024")],
}


def works_for(user_id: str | None) -> list[DemoWork]:
    """The user's works (none for unknown users)."""
    return list(WORKS.get(user_id or "", []))
