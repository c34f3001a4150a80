"""Roll-call values shared by workshop and French-course sessions."""

from __future__ import annotations

from enum import StrEnum

from i18n import N_


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.PRESENT: N_("Présent·e"),
            cls.EXCUSED: N_("Absent·e excusé·e"),
            cls.ABSENT: N_("Absent·e"),
        }
