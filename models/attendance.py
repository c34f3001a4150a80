"""Roll-call values shared by workshop and French-course sessions."""

from __future__ import annotations

from enum import StrEnum

from i18n import N_
from models.labels import register_labels


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"


register_labels(
    {
        AttendanceStatus.PRESENT: N_("Présent·e"),
        AttendanceStatus.EXCUSED: N_("Absent·e excusé·e"),
        AttendanceStatus.ABSENT: N_("Absent·e"),
    }
)
