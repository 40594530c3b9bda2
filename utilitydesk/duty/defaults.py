"""The shift patterns shipped with the system (data: change them in the admin)."""

from datetime import time
from typing import Any

# (code, name, starts, ends, order): two twelve-hour shifts cover the clock; the
# day shift also covers the hotline hours outside the season (08:00–17:30 by default).
DEFAULT_SHIFTS = [
    ("day", "白班", time(8, 0), time(20, 0), 1),
    ("night", "夜班", time(20, 0), time(8, 0), 2),
]


def install_default_shifts(shift_model: Any) -> None:
    """Adds the shipped shifts that are missing (kept as they are when present)."""
    for code, name, starts, ends, order in DEFAULT_SHIFTS:
        shift_model.objects.get_or_create(
            code=code, defaults={"name": name, "starts": starts, "ends": ends, "order": order}
        )
