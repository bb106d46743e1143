"""Impact evidence: outcome measures, each project's targets and quarterly results, and the case
studies, quotes, photos, documents and links that show what changed, with their consents."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from incometrack.models.base import Base, Versioned, enum_type, intpk, str40, str120, str255, text, timestamp
from incometrack.models.projects import Project
from incometrack.models.reference import Outcome, Site
from incometrack.models.users import User


class Tenths(TypeDecorator):
    """A count, percentage or score to one decimal place, kept as whole tenths in an INTEGER: no
    value passes through a float on either database (SQLite has no decimal type)."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int(Decimal(value).scaleb(1).to_integral_value())

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-1)


class MeasureUnit(enum.Enum):
    PEOPLE = "people"
    ATTENDANCES = "attendances"
    SESSIONS = "sessions"
    ITEMS = "items"
    PERCENTAGE = "percentage"
    SCORE = "score"

    @property
    def counted(self) -> bool:
        """Counts add up over a year's quarters; a percentage or score never does (its year to
        date is the latest quarter's value)."""
        return self not in (MeasureUnit.PERCENTAGE, MeasureUnit.SCORE)


class MeasureKind(enum.Enum):
    OUTPUT = "output"
    OUTCOME = "outcome"


class LibraryOffer(enum.Enum):
    """The Universal Library Offers a measure may also evidence."""

    READING = "reading"
    DIGITAL = "digital"
    CULTURE = "culture"
    HEALTH = "health"

    @property
    def label(self) -> str:
        return OFFER_LABELS[self]


OFFER_LABELS = {
    LibraryOffer.READING: "Reading",
    LibraryOffer.DIGITAL: "Digital and Information",
    LibraryOffer.CULTURE: "Culture and Creativity",
    LibraryOffer.HEALTH: "Health and Wellbeing",
}


class ResultSource(enum.Enum):
    REGISTER = "register"
    SURVEY = "survey"
    SYSTEM = "system count"


class Measure(Versioned, Base):
    """An outcome measure the service reports against (kept by administrators)."""

    __tablename__ = "measures"

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    unit: Mapped[MeasureUnit]
    kind: Mapped[MeasureKind] = mapped_column(default=MeasureKind.OUTPUT)
    definition: Mapped[text]
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id"))
    offer: Mapped[LibraryOffer | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[timestamp]

    outcome: Mapped[Outcome] = relationship()

    def __str__(self) -> str:
        return self.name


class ProjectMeasure(Versioned, Base):
    """A measure a project reports: its baseline, target and target date."""

    __tablename__ = "project_measures"
    __table_args__ = (UniqueConstraint("project_id", "measure_id"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"))
    baseline: Mapped[Decimal] = mapped_column(Tenths, default=Decimal(0))
    target: Mapped[Decimal] = mapped_column(Tenths)
    target_on: Mapped[date]
    funder_required: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[timestamp]

    project: Mapped[Project] = relationship()
    measure: Mapped[Measure] = relationship()
    results: Mapped[list[MeasureResult]] = relationship(
        back_populates="target", order_by="(MeasureResult.year, MeasureResult.quarter)"
    )


class MeasureResult(Versioned, Base):
    """A quarter's result for a project's measure: an aggregate, never a person's name."""

    __tablename__ = "measure_results"
    __table_args__ = (
        UniqueConstraint("project_measure_id", "year", "quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_valid"),
    )

    id: Mapped[intpk]
    project_measure_id: Mapped[int] = mapped_column(
        ForeignKey("project_measures.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int]  #: the financial year's first calendar year
    quarter: Mapped[int]
    value: Mapped[Decimal] = mapped_column(Tenths)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    source: Mapped[ResultSource | None]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[timestamp]

    target: Mapped[ProjectMeasure] = relationship(back_populates="results")
    site: Mapped[Site | None] = relationship()


class EvidenceKind(enum.Enum):
    CASE_STUDY = "case study"
    QUOTE = "quote"
    PHOTO = "photo"
    DOCUMENT = "document"
    LINK = "link"

    @property
    def about_people(self) -> bool:
        """Quotes, photos and case studies are about people and carry a consent."""
        return self in (EvidenceKind.CASE_STUDY, EvidenceKind.QUOTE, EvidenceKind.PHOTO)


class Evidence(Versioned, Base):
    """A piece of evidence of a project's impact; shown in any output only once approved."""

    __tablename__ = "evidence"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    outcome_id: Mapped[int | None] = mapped_column(ForeignKey("outcomes.id"))
    kind: Mapped[EvidenceKind]
    title: Mapped[str255]
    body: Mapped[text]  #: the case study, the words quoted, a document's or link's description
    url: Mapped[str255] = mapped_column(default="")
    occurred_on: Mapped[date]
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    #: anonymised: "Outreach service user, Folkestone"
    attribution: Mapped[str255] = mapped_column(default="")
    alt_text: Mapped[str255] = mapped_column(default="")
    #: a photo (re-encoded, no EXIF) or a document; its type and the name it was uploaded as
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_type: Mapped[str40] = mapped_column(default="")
    filename: Mapped[str255] = mapped_column(default="")
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[timestamp]

    project: Mapped[Project] = relationship()
    outcome: Mapped[Outcome | None] = relationship()
    site: Mapped[Site | None] = relationship()
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    consent: Mapped[Consent | None] = relationship(back_populates="evidence", cascade="all, delete-orphan")

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class ConsentGiver(enum.Enum):
    PERSON = "the person"
    GUARDIAN = "parent or guardian"


class ConsentUse(enum.Enum):
    """What an item may be used for; an output says which use it is."""

    FUNDER_REPORTS = "funder reports"
    COMMITTEE_PAPERS = "committee papers"
    WEBSITE = "website"
    SOCIAL_MEDIA = "social media"


class Consent(Versioned, Base):
    """The consent of the person an item is about (or their parent or guardian's, for a child)."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint("expires_on > given_on", name="expires_after_given"),
        CheckConstraint("NOT child OR given_by = 'parent or guardian'", name="child_by_guardian"),
    )

    id: Mapped[intpk]
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"), unique=True)
    given_by: Mapped[ConsentGiver] = mapped_column(enum_type(ConsentGiver, "consent_giver"))
    child: Mapped[bool] = mapped_column(default=False)
    funder_reports: Mapped[bool] = mapped_column(default=False)
    committee_papers: Mapped[bool] = mapped_column(default=False)
    website: Mapped[bool] = mapped_column(default=False)
    social_media: Mapped[bool] = mapped_column(default=False)
    given_on: Mapped[date]
    expires_on: Mapped[date]
    withdrawn_on: Mapped[date | None]
    withdrawn_reason: Mapped[str255] = mapped_column(default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[timestamp]

    evidence: Mapped[Evidence] = relationship(back_populates="consent")

    def allows(self, use: ConsentUse) -> bool:
        return bool(getattr(self, use.name.lower()))


class EvidenceUse(Base):
    """An item of evidence shown in a file produced: what withdrawing its consent must recall."""

    __tablename__ = "evidence_uses"

    id: Mapped[intpk]
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"), index=True)
    output: Mapped[str255]  #: "Financial resilience return 2026-27 Q2 (XLSX)"
    filename: Mapped[str255]
    produced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    produced_at: Mapped[timestamp]

    produced_by: Mapped[User | None] = relationship()
