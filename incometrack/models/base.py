"""Declarative base, naming convention and the column types the models share."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, Enum, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now; a callable default, so each row gets its own time."""
    return datetime.now(UTC)


intpk = Annotated[int, mapped_column(primary_key=True)]
#: Money in integer pence (BIGINT: a year of a county's income overflows no 32-bit column, but
#: totals of many years could).
Pence = Annotated[int, mapped_column(BigInteger)]
str40 = Annotated[str, 40]
str120 = Annotated[str, 120]
str255 = Annotated[str, 255]
text = Annotated[str, mapped_column(Text, default="")]
timestamp = Annotated[datetime, mapped_column(DateTime(timezone=True), default=utcnow)]


def enum_values(enum_class: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in enum_class]


def enum_type(enum_class: type[enum.Enum], name: str) -> Enum:
    """The enum column type with its own CHECK constraint name, for a table holding two columns of
    the same enum (the default name comes from the class and would clash)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=enum_values,
    )


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            str40: String(40),
            str120: String(120),
            str255: String(255),
            datetime: DateTime(timezone=True),
            # Enums are stored as their values in a VARCHAR with a CHECK constraint: portable between
            # SQLite and PostgreSQL and readable in a raw query.
            enum.Enum: Enum(
                enum.Enum, native_enum=False, create_constraint=True, length=20, values_callable=enum_values
            ),
        },
    )


class Versioned:
    """Optimistic locking: every UPDATE checks and bumps ``version``, so a stale write fails.

    Edit forms carry the version they were drawn from; services compare it before saving, and
    SQLAlchemy's version counter catches the race between that check and the UPDATE.
    """

    version: Mapped[int]

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, object]:
        return {"version_id_col": cls.__table__.c.version}
