"""When a pull device is due for a scheduled pull (pure: no frappe import)."""

from datetime import datetime, timedelta

# Drivers the sidecar pulls from; ADMS devices push to the sidecar, so the scheduler never pulls them.
PULL_DRIVERS = ("zk", "hikvision", "essl")


def is_due(
	now: datetime, last_requested: datetime | None, interval_minutes: int | None, has_open_command: bool
) -> bool:
	"""A device is due when its interval is positive, no pull of it is open (Queued/Claimed/Running), and the
	last scheduled or manual pull was requested at least ``interval_minutes`` ago (or never)."""
	if has_open_command or not interval_minutes or interval_minutes <= 0:
		return False
	if last_requested is None:
		return True
	return now >= last_requested + timedelta(minutes=interval_minutes)
