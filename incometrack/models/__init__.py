"""Typed SQLAlchemy models, one module per area; importing this package registers every table."""

from incometrack.models.audit import AuditEvent
from incometrack.models.base import Base
from incometrack.models.grants import (
    BID_TRANSITIONS,
    PENDING_STATUSES,
    WON_STATUSES,
    BidStatus,
    BidStatusChange,
    Funder,
    FunderReport,
    FunderType,
    GrantBid,
    GrantPayment,
    GrantSpend,
    Programme,
    bid_outcomes,
)
from incometrack.models.income import (
    Budget,
    Forecast,
    ImportBatch,
    IncomeEntry,
    IncomeStream,
    PeriodLock,
    StagedUpload,
    StreamStatus,
)
from incometrack.models.projects import Milestone, MilestoneStatus, MilestoneUpdate, Project, project_outcomes
from incometrack.models.reference import CipfaLine, IncomeCategory, Outcome, Service, Setting, Site, SiteKind
from incometrack.models.returns import ExportRecord, ReturnSnapshot
from incometrack.models.users import ROLE_LABELS, LoginAttempt, Role, User

__all__ = [
    "BID_TRANSITIONS",
    "PENDING_STATUSES",
    "ROLE_LABELS",
    "WON_STATUSES",
    "AuditEvent",
    "Base",
    "BidStatus",
    "BidStatusChange",
    "Budget",
    "CipfaLine",
    "ExportRecord",
    "Forecast",
    "Funder",
    "FunderReport",
    "FunderType",
    "GrantBid",
    "GrantPayment",
    "GrantSpend",
    "ImportBatch",
    "IncomeCategory",
    "IncomeEntry",
    "IncomeStream",
    "LoginAttempt",
    "Milestone",
    "MilestoneStatus",
    "MilestoneUpdate",
    "Outcome",
    "PeriodLock",
    "Programme",
    "Project",
    "ReturnSnapshot",
    "Role",
    "Service",
    "Setting",
    "Site",
    "SiteKind",
    "StagedUpload",
    "StreamStatus",
    "User",
    "bid_outcomes",
    "project_outcomes",
]
