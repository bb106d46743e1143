"""Projects, their milestones and the dated updates project leads make to them."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Column, ForeignKey, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incometrack.models.base import Base, Versioned, intpk, str40, str255, text, timestamp
from incometrack.models.grants import GrantBid
from incometrack.models.reference import Outcome, Service
from incometrack.models.users import User


class MilestoneStatus(enum.Enum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


project_outcomes = Table(
    "project_outcomes",
    Base.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("outcome_id", ForeignKey("outcomes.id"), primary_key=True),
)


class Project(Versioned, Base):
    __tablename__ = "projects"

    id: Mapped[intpk]
    name: Mapped[str255]
    lead_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("grant_bids.id"))  #: the grant that funds it
    description: Mapped[text]
    #: when delivery began, for the progress of its measures (else its grant's start, else the
    #: day it was added)
    starts_on: Mapped[date | None]
    #: what the project has learned, in the lead's words: the funder's activity report prints it
    learning: Mapped[text]
    created_at: Mapped[timestamp]

    lead: Mapped[User] = relationship()
    service: Mapped[Service] = relationship()
    bid: Mapped[GrantBid | None] = relationship()
    outcomes: Mapped[list[Outcome]] = relationship(secondary=project_outcomes, order_by="Outcome.position")
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project", order_by="(Milestone.forecast_due, Milestone.id)"
    )

    def __str__(self) -> str:
        return self.name

    @property
    def start(self) -> date:
        if self.starts_on is not None:
            return self.starts_on
        if self.bid is not None and self.bid.start_on is not None:
            return self.bid.start_on
        return self.created_at.date()


class Milestone(Versioned, Base):
    __tablename__ = "milestones"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str255]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: Set once when the milestone is created; only an admin re-baselines, with a reason in history.
    baseline_due: Mapped[date]
    forecast_due: Mapped[date]
    completed_on: Mapped[date | None]
    status: Mapped[MilestoneStatus] = mapped_column(default=MilestoneStatus.NOT_STARTED)
    created_at: Mapped[timestamp]

    project: Mapped[Project] = relationship(back_populates="milestones")
    owner: Mapped[User | None] = relationship()
    updates: Mapped[list[MilestoneUpdate]] = relationship(
        back_populates="milestone", order_by="MilestoneUpdate.id.desc()", cascade="all, delete-orphan"
    )


class MilestoneUpdate(Base):
    """A dated update by a project lead (or an admin's re-baseline), kept as history."""

    __tablename__ = "milestone_updates"

    id: Mapped[intpk]
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str40] = mapped_column(default="update")  #: update or rebaseline
    update_on: Mapped[date]  #: the day the note speaks for
    note: Mapped[text]
    status: Mapped[MilestoneStatus]
    forecast_due: Mapped[date]
    completed_on: Mapped[date | None]
    baseline_due: Mapped[date]
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[timestamp]

    milestone: Mapped[Milestone] = relationship(back_populates="updates")
    made_by: Mapped[User | None] = relationship()
