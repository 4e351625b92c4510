"""The day rules of "Daily Attendance from punches": what one employee's day becomes. Pure (no frappe import), so
every rule is tested with pytest.

A day is a calendar day of the site's clock (midnight to midnight, as ``Employee Checkin.time``); a shift that
crosses midnight is two days here, which is why night shifts belong to HRMS's Shift Type auto attendance.

- **Times**: with punch directions known (every punch of the day has one, and both IN and OUT occur), IN/OUT are
  paired: an IN opens a pair (a second IN while one is open is a double tap and is ignored), the next OUT closes
  it; an OUT with no open IN is ignored. Working hours are the sum of the pairs, in time the first IN, out time
  the last OUT that closed a pair. Otherwise (no directions, some missing, or one direction only, as on
  terminals where everyone punches in state 0) the first punch is the in time, the last the out time, and the
  hours are between them. One punch has no out time and no hours.
- **Status**: Present, or Half Day when the hours are under ``half_day_below_hours`` (0: never Half Day).
- **Late entry**: in time after ``late_entry_after``; **early exit**: out time before ``early_exit_before``
  (not judged without an out time).
- **Precedence** (``decide``): not joined yet / relieved / Inactive, an existing Attendance, an approved leave
  and a holiday each leave the day alone (Skipped, with the reason); then punches make Present or Half Day;
  no punches make Absent only when asked for and the employee has a holiday list (without one a weekend cannot
  be told from a working day).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

PRESENT = "Present"
HALF_DAY = "Half Day"
ABSENT = "Absent"
SKIPPED = "Skipped"
OUTCOMES = (PRESENT, HALF_DAY, ABSENT, SKIPPED)

IN = "IN"
OUT = "OUT"


@dataclass(frozen=True)
class Punch:
	time: datetime
	direction: str | None = None


@dataclass(frozen=True)
class DayRules:
	half_day_below_hours: float = 0.0
	late_entry_after: time | None = None
	early_exit_before: time | None = None


@dataclass(frozen=True)
class DayTimes:
	in_time: datetime | None
	out_time: datetime | None
	working_hours: float
	paired: bool  # True: from IN/OUT pairs; False: first to last punch


@dataclass(frozen=True)
class Decision:
	outcome: str
	reason: str
	times: DayTimes | None = None
	late_entry: bool = False
	early_exit: bool = False
	punches: int = 0
	first_punch: datetime | None = None
	last_punch: datetime | None = None


@dataclass(frozen=True)
class EmployeeDay:
	"""What is known about one employee on one day (read by the marker)."""

	day: date
	punches: Sequence[Punch] = ()
	date_of_joining: date | None = None
	relieving_date: date | None = None
	employee_status: str = "Active"
	attendance: tuple[str, str, int] | None = None  # (name, status, docstatus) of an Attendance not cancelled
	leave: tuple[str, str] | None = None  # (Leave Application, leave type), approved and submitted
	holiday: str | None = None  # the holiday's description
	has_holiday_list: bool = True


def day_times(punches: Iterable[Punch]) -> DayTimes:
	ordered = sorted(punches, key=lambda p: p.time)
	if not ordered:
		return DayTimes(None, None, 0.0, False)
	directions = {p.direction for p in ordered}
	if directions == {IN, OUT}:
		return _paired(ordered)
	first, last = ordered[0].time, ordered[-1].time
	if len(ordered) == 1:
		return DayTimes(first, None, 0.0, False)
	return DayTimes(first, last, _hours(last - first), False)


def _paired(ordered: list[Punch]) -> DayTimes:
	total = timedelta(0)
	first_in = last_out = open_in = None
	for punch in ordered:
		if punch.direction == IN:
			if open_in is None:
				open_in = punch.time
			if first_in is None:
				first_in = punch.time
		elif open_in is not None:
			total += punch.time - open_in
			open_in = None
			last_out = punch.time
	return DayTimes(first_in, last_out, _hours(total), True)


def _hours(span: timedelta) -> float:
	return round(span.total_seconds() / 3600, 2)


def evaluate(punches: Sequence[Punch], rules: DayRules) -> Decision:
	"""Present or Half Day for a day with punches, with times and flags."""
	times = day_times(punches)
	ordered = sorted(p.time for p in punches)
	late = bool(rules.late_entry_after and times.in_time and times.in_time.time() > rules.late_entry_after)
	early = bool(
		rules.early_exit_before and times.out_time and times.out_time.time() < rules.early_exit_before
	)
	how = "IN/OUT pairs" if times.paired else "first to last punch"
	if times.out_time is None:
		reason = "No out time (one punch)" if len(ordered) == 1 else "No OUT after an IN"
	else:
		reason = f"{times.working_hours:g} h ({how})"
	threshold = float(rules.half_day_below_hours or 0)
	outcome = PRESENT
	if threshold > 0 and times.working_hours < threshold:
		outcome = HALF_DAY
		reason += f", under {threshold:g} h"
	if late:
		reason += f"; late entry (after {rules.late_entry_after:%H:%M})"
	if early:
		reason += f"; early exit (before {rules.early_exit_before:%H:%M})"
	return Decision(
		outcome=outcome,
		reason=reason,
		times=times,
		late_entry=late,
		early_exit=early,
		punches=len(ordered),
		first_punch=ordered[0] if ordered else None,
		last_punch=ordered[-1] if ordered else None,
	)


def decide(day: EmployeeDay, rules: DayRules, mark_absent: bool) -> Decision:
	"""The outcome of one employee's day. What exists always wins over what the punches say."""
	punch_times = sorted(p.time for p in day.punches)
	count = len(punch_times)
	seen = {
		"punches": count,
		"first_punch": punch_times[0] if punch_times else None,
		"last_punch": punch_times[-1] if punch_times else None,
	}

	def skipped(reason: str) -> Decision:
		return Decision(outcome=SKIPPED, reason=reason, **seen)

	if day.date_of_joining and day.day < day.date_of_joining:
		return skipped(f"Not joined yet (joins {day.date_of_joining:%Y-%m-%d})")
	if day.relieving_date and day.day > day.relieving_date:
		return skipped(f"Relieved on {day.relieving_date:%Y-%m-%d}")
	if day.employee_status == "Inactive":
		return skipped("Employee is Inactive")
	if day.attendance:
		name, status, docstatus = day.attendance
		state = "draft" if int(docstatus or 0) == 0 else "submitted"
		return skipped(f"Attendance {name} exists ({status}, {state})")
	if day.leave:
		name, leave_type = day.leave
		return skipped(f"On approved leave {name} ({leave_type})")
	if day.holiday is not None:
		return skipped(f"Holiday: {day.holiday}" if day.holiday else "Holiday")
	if count:
		return evaluate(day.punches, rules)
	if not mark_absent:
		return skipped("No punches (Mark Absent is off)")
	if not day.has_holiday_list:
		return skipped("No punches; no Holiday List for the employee or company, so Absent is not marked")
	return Decision(outcome=ABSENT, reason="No punches on a working day", **seen)


# --- When a day may be marked -------------------------------------------------------------------------------


def due_through(now: datetime, cutoff: time) -> date:
	"""The last day whose cut-off has passed: day D is due once the clock passes ``cutoff`` on D + 1."""
	shifted = now - timedelta(hours=cutoff.hour, minutes=cutoff.minute, seconds=cutoff.second)
	return shifted.date() - timedelta(days=1)


def end_of_day(day: date) -> datetime:
	"""The last second of the day: a device whose watermark reached it has delivered every punch of the day."""
	return datetime.combine(day, time(23, 59, 59))


def day_is_complete(watermarks: Iterable[datetime | None], day: date) -> bool:
	"""True when every device has a watermark at the end of the day or later. No device: False (nothing vouches
	for the day)."""
	values = list(watermarks)
	return bool(values) and all(value is not None and value >= end_of_day(day) for value in values)


def late_punch_count(recorded: int, already_late: int, count_now: int) -> int | None:
	"""How many of the day's checkins arrived after its decision (count_now - recorded), when that is more than
	already flagged; None when nothing new arrived."""
	late = int(count_now) - int(recorded or 0)
	return late if late > int(already_late or 0) else None


def as_time(value) -> time | None:
	"""A Frappe Time value ("HH:MM[:SS]", a timedelta from the database, or a time) as a time; empty: None."""
	if value is None or value == "":
		return None
	if isinstance(value, time):
		return value
	if isinstance(value, timedelta):
		seconds = int(value.total_seconds()) % 86400
		return time(seconds // 3600, seconds // 60 % 60, seconds % 60)
	parts = str(value).strip().split(".")[0].split(":")
	numbers = [int(part) for part in parts] + [0, 0]
	return time(numbers[0], numbers[1], numbers[2])
