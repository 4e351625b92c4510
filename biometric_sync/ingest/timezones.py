"""Wall-clock conversion between IANA time zones (pure: no frappe import).

Same semantics as the sidecar (sidecar/src/domain/timeZone.ts):
- a wall time that occurs twice (clocks go back) resolves to its FIRST occurrence;
- a wall time that does not exist (clocks go forward) moves forward by the gap, i.e. it is read with the
  offset in force before the change.

Python's ``zoneinfo`` with ``fold=0`` (PEP 495) gives exactly that: for an ambiguous time fold=0 is the
earlier instant, and for a time in a gap fold=0 uses the offset from before the transition.
"""

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NAIVE_FORMAT = "%Y-%m-%d %H:%M:%S"


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
	return ZoneInfo(name)


def is_valid_time_zone(name: str | None) -> bool:
	if not name or not isinstance(name, str):
		return False
	try:
		_zone(name)
	except (ZoneInfoNotFoundError, ValueError, OSError):
		return False
	return True


def convert_wall_time(wall: datetime, from_zone: str, to_zone: str) -> datetime:
	"""Re-expresses a naive wall-clock time of ``from_zone`` as the naive wall-clock time of ``to_zone``."""
	if wall.tzinfo is not None:
		raise ValueError("convert_wall_time takes a naive datetime")
	if from_zone == to_zone:
		return wall
	aware = wall.replace(tzinfo=_zone(from_zone), fold=0)
	return aware.astimezone(_zone(to_zone)).replace(tzinfo=None, fold=0)


def convert_naive_string(wall: str, from_zone: str, to_zone: str) -> str:
	"""``convert_wall_time`` for ``YYYY-MM-DD HH:MM:SS`` strings."""
	return convert_wall_time(datetime.strptime(wall, NAIVE_FORMAT), from_zone, to_zone).strftime(NAIVE_FORMAT)
