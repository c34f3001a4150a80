"""Roll-call values shared by workshop and French-course sessions."""

from __future__ import annotations

from enum import StrEnum

from models.labels import register_labels


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"


register_labels(
    {
        AttendanceStatus.PRESENT: "Présent·e",
        AttendanceStatus.EXCUSED: "Absent·e excusé·e",
        AttendanceStatus.ABSENT: "Absent·e",
    }
)
