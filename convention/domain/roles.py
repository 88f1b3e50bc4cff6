"""Roles a user may hold, each scoped to a convention, a working group, a section or a federation."""

import enum


class Role(enum.StrEnum):
    PILOT = "pilot"  # animates a working group (scope: working group)
    COMMITTEE = "committee"  # steering committee (scope: convention)
    SECTION_SECRETARY = "section_secretary"  # scope: section
    FEDERATION_SECRETARY = "federation_secretary"  # scope: federation
    NATIONAL_BUREAU = "national_bureau"  # scope: the whole platform


ROLE_SCOPES: dict[Role, str | None] = {
    Role.PILOT: "working_group",
    Role.COMMITTEE: "convention",
    Role.SECTION_SECRETARY: "section",
    Role.FEDERATION_SECRETARY: "federation",
    Role.NATIONAL_BUREAU: None,
}
