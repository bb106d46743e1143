"""One page of a query's rows, with what the pagination links need. The only pagination code."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    def iter_pages(self, left_edge=1, left_current=1, right_current=2, right_edge=1) -> Iterator[int | None]:
        """Page numbers to link, with None where a gap is shown (the Flask-SQLAlchemy shape)."""
        last = 0
        for number in range(1, self.pages + 1):
            near_edge = number <= left_edge or number > self.pages - right_edge
            near_current = self.page - left_current <= number <= self.page + right_current
            if near_edge or near_current:
                if last + 1 != number:
                    yield None
                yield number
                last = number


#: Rows on a page unless the person asks for another size, and the most they may ask for.
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def page_size(requested: int | None) -> int:
    """The page size to serve for a requested one: the default for none, zero or a negative
    number, and never more than :data:`MAX_PAGE_SIZE`."""
    if requested is None or requested < 1:
        return PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


def paginate(session: Session, statement: Select, *, page: int, per_page: int, total: int) -> Page:
    """Fetch page ``page`` of ``statement``; ``total`` comes from the caller's own count (often
    computed with other aggregates in the same query). A page past the end shows the last one.
    ``per_page`` is bounded by :func:`page_size`."""
    per_page = page_size(per_page)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(items=items, page=page, per_page=per_page, total=total)
