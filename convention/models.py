"""Every model, imported once so that metadata (and Alembic) sees all tables."""

from convention.amendments.models import (  # noqa: F401
    Amendment,
    AmendmentCluster,
    AmendmentCosignature,
    AmendmentStep,
    ChapterAssignment,
)
from convention.calendar.models import Event, EventKind, EventPerson, EventPersonRole
from convention.contributions.models import Channel, Contribution
from convention.conventions.models import Convention, Phase
from convention.core.audit import AuditEntry
from convention.groups.models import (
    GroupFollow,  # noqa: F401
    Person,
    SteeringRole,
    SteeringRoleKind,
    WorkingGroup,
    WorkingGroupAnimator,
)
from convention.jobs.models import Job, JobFile
from convention.members.models import (
    Federation,
    Member,
    RoleAssignment,
    Section,
    TokenPurpose,
    User,
    UserToken,
)
from convention.notifications.models import Notification, NotificationKind
from convention.provenance.models import SourceLink
from convention.scheduling.models import ScheduledOccurrence  # noqa: F401
from convention.search.models import SearchDocument, SearchKind
from convention.texts.models import (
    Acronym,
    Block,
    Chapter,
    Part,
    Proposal,
    Text,
    TextVersion,
    VersionStatus,
)
from convention.votes.models import (  # noqa: F401
    Ballot,
    Participation,
    Poll,
    PollOption,
    PollQuestion,
    PollTurnout,
    QuestionTally,
    RollChange,
    RollEntry,
    SectionReport,
    SectionReportRevision,
)

__all__ = [
    "Acronym", "AuditEntry", "Block", "Channel", "Chapter", "Contribution", "Convention",
    "Event", "EventKind", "EventPerson", "EventPersonRole", "Federation", "Job", "JobFile", "Member",
    "Notification", "NotificationKind", "Part", "Person", "Phase", "Proposal", "RoleAssignment",
    "SearchDocument", "SearchKind", "Section", "SourceLink", "SteeringRole", "SteeringRoleKind",
    "Text", "TextVersion", "TokenPurpose", "User", "UserToken", "VersionStatus", "WorkingGroup",
    "WorkingGroupAnimator",
]  # fmt: skip
