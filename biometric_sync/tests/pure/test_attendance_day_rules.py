import unittest
from datetime import date, datetime, time, timedelta

from biometric_sync.attendance.day_rules import (
	ABSENT,
	HALF_DAY,
	PRESENT,
	SKIPPED,
	DayRules,
	EmployeeDay,
	Punch,
	as_time,
	day_is_complete,
	day_times,
	decide,
	due_through,
	evaluate,
	late_punch_count,
)

DAY = date(2026, 3, 2)  # a Monday
RULES = DayRules(half_day_below_hours=4, late_entry_after=time(9, 15), early_exit_before=time(17, 0))


def at(hh: int, mm: int = 0, ss: int = 0) -> datetime:
	return datetime(2026, 3, 2, hh, mm, ss)


def punches(*items) -> list[Punch]:
	"""("09:00", "IN"), ("17:30", None), ... → Punches on DAY."""
	out = []
	for text, direction in items:
		hh, mm = (int(part) for part in text.split(":"))
		out.append(Punch(at(hh, mm), direction))
	return out


class TestDayTimes(unittest.TestCase):
	def test_first_and_last_without_directions(self):
		times = day_times(punches(("17:30", None), ("09:00", None), ("13:00", None)))
		self.assertEqual((times.in_time, times.out_time), (at(9), at(17, 30)))
		self.assertEqual(times.working_hours, 8.5)
		self.assertFalse(times.paired)

	def test_pairs_when_both_directions_are_known(self):
		# Lunch break out of the count: 9-13 and 14-18 are 8 hours, not the 9 from first to last.
		times = day_times(punches(("09:00", "IN"), ("13:00", "OUT"), ("14:00", "IN"), ("18:00", "OUT")))
		self.assertEqual((times.in_time, times.out_time, times.working_hours), (at(9), at(18), 8.0))
		self.assertTrue(times.paired)

	def test_double_taps_and_an_orphan_out_are_ignored_in_pairs(self):
		times = day_times(
			punches(
				("08:00", "OUT"),  # no open IN: ignored
				("09:00", "IN"),
				("09:01", "IN"),  # double tap: the pair keeps 09:00
				("17:00", "OUT"),
				("17:02", "OUT"),  # no open IN
			)
		)
		self.assertEqual((times.in_time, times.out_time, times.working_hours), (at(9), at(17), 8.0))

	def test_one_direction_only_falls_back_to_first_and_last(self):
		# Terminals where everyone punches in state 0 give only IN: pairing would say 0 hours.
		times = day_times(punches(("09:00", "IN"), ("18:00", "IN")))
		self.assertEqual((times.in_time, times.out_time, times.working_hours), (at(9), at(18), 9.0))
		self.assertFalse(times.paired)

	def test_a_missing_direction_falls_back_to_first_and_last(self):
		times = day_times(punches(("09:00", "IN"), ("12:00", None), ("18:00", "OUT")))
		self.assertFalse(times.paired)
		self.assertEqual(times.working_hours, 9.0)

	def test_one_punch_has_no_out_time(self):
		times = day_times(punches(("09:00", None)))
		self.assertEqual((times.in_time, times.out_time, times.working_hours), (at(9), None, 0.0))

	def test_an_in_never_closed_has_no_out_time(self):
		times = day_times(punches(("09:00", "IN"), ("08:00", "OUT")))
		self.assertEqual((times.in_time, times.out_time, times.working_hours), (at(9), None, 0.0))


class TestEvaluate(unittest.TestCase):
	def test_a_full_day_is_present_on_time(self):
		decision = evaluate(punches(("09:00", "IN"), ("17:30", "OUT")), RULES)
		self.assertEqual(decision.outcome, PRESENT)
		self.assertFalse(decision.late_entry)
		self.assertFalse(decision.early_exit)
		self.assertEqual(
			(decision.punches, decision.first_punch, decision.last_punch), (2, at(9), at(17, 30))
		)

	def test_under_the_threshold_is_half_day(self):
		decision = evaluate(punches(("09:00", None), ("12:59", None)), RULES)
		self.assertEqual(decision.outcome, HALF_DAY)
		self.assertIn("under 4 h", decision.reason)

	def test_exactly_the_threshold_is_present(self):
		self.assertEqual(evaluate(punches(("09:00", None), ("13:00", None)), RULES).outcome, PRESENT)

	def test_threshold_zero_never_gives_half_day(self):
		rules = DayRules(half_day_below_hours=0)
		self.assertEqual(evaluate(punches(("09:00", None)), rules).outcome, PRESENT)

	def test_one_punch_is_half_day_with_a_reason(self):
		decision = evaluate(punches(("09:00", None)), RULES)
		self.assertEqual(decision.outcome, HALF_DAY)
		self.assertIn("one punch", decision.reason)
		self.assertFalse(decision.early_exit)  # no out time: not judged

	def test_late_entry_is_strictly_after_the_time(self):
		self.assertFalse(evaluate(punches(("09:15", None), ("18:00", None)), RULES).late_entry)
		late = evaluate(punches(("09:16", None), ("18:00", None)), RULES)
		self.assertTrue(late.late_entry)
		self.assertIn("late entry", late.reason)

	def test_early_exit_is_strictly_before_the_time(self):
		self.assertFalse(evaluate(punches(("08:00", None), ("17:00", None)), RULES).early_exit)
		early = evaluate(punches(("08:00", None), ("16:59", None)), RULES)
		self.assertTrue(early.early_exit)
		self.assertEqual(early.outcome, PRESENT)  # 8.98 h

	def test_late_and_early_are_off_without_times(self):
		decision = evaluate(punches(("11:00", None), ("16:00", None)), DayRules(half_day_below_hours=4))
		self.assertFalse(decision.late_entry)
		self.assertFalse(decision.early_exit)

	def test_late_entry_uses_the_first_in_of_the_pairs(self):
		# An OUT at 08:00 before the first IN is not the in time.
		decision = evaluate(punches(("08:00", "OUT"), ("09:30", "IN"), ("18:00", "OUT")), RULES)
		self.assertTrue(decision.late_entry)


class TestDecide(unittest.TestCase):
	WORKED = punches(("09:00", "IN"), ("17:30", "OUT"))

	def day(self, **values) -> EmployeeDay:
		values.setdefault("punches", self.WORKED)
		return EmployeeDay(day=DAY, **values)

	def test_punches_make_present(self):
		self.assertEqual(decide(self.day(), RULES, mark_absent=False).outcome, PRESENT)

	def test_an_existing_attendance_wins_over_punches(self):
		decision = decide(self.day(attendance=("HR-ATT-1", "Absent", 1)), RULES, mark_absent=True)
		self.assertEqual(decision.outcome, SKIPPED)
		self.assertIn("HR-ATT-1", decision.reason)
		self.assertIn("submitted", decision.reason)
		self.assertEqual(decision.punches, 2)  # what was seen stays visible

	def test_a_draft_attendance_also_wins(self):
		decision = decide(self.day(attendance=("HR-ATT-2", "Present", 0)), RULES, mark_absent=True)
		self.assertEqual(decision.outcome, SKIPPED)
		self.assertIn("draft", decision.reason)

	def test_approved_leave_wins_over_punches(self):
		decision = decide(self.day(leave=("HR-LAP-1", "Casual Leave")), RULES, mark_absent=True)
		self.assertEqual(decision.outcome, SKIPPED)
		self.assertIn("HR-LAP-1", decision.reason)

	def test_a_holiday_is_left_alone_even_with_punches(self):
		decision = decide(self.day(holiday="Founders' Day"), RULES, mark_absent=True)
		self.assertEqual(decision.outcome, SKIPPED)
		self.assertEqual(decision.reason, "Holiday: Founders' Day")

	def test_an_existing_attendance_is_named_before_the_leave_and_the_holiday(self):
		decision = decide(
			self.day(attendance=("HR-ATT-3", "On Leave", 1), leave=("HR-LAP-2", "Sick"), holiday="Sunday"),
			RULES,
			mark_absent=True,
		)
		self.assertIn("HR-ATT-3", decision.reason)

	def test_no_punches_on_a_working_day_is_absent_only_when_asked(self):
		self.assertEqual(decide(self.day(punches=()), RULES, mark_absent=True).outcome, ABSENT)
		off = decide(self.day(punches=()), RULES, mark_absent=False)
		self.assertEqual(off.outcome, SKIPPED)
		self.assertIn("Mark Absent is off", off.reason)

	def test_no_absent_on_a_holiday(self):
		self.assertEqual(
			decide(self.day(punches=(), holiday="Sunday"), RULES, mark_absent=True).outcome, SKIPPED
		)

	def test_no_absent_without_a_holiday_list(self):
		decision = decide(self.day(punches=(), has_holiday_list=False), RULES, mark_absent=True)
		self.assertEqual(decision.outcome, SKIPPED)
		self.assertIn("no Holiday List", decision.reason)

	def test_before_joining_and_after_relieving_are_skipped(self):
		before = decide(self.day(punches=(), date_of_joining=DAY + timedelta(days=1)), RULES, True)
		self.assertEqual(before.outcome, SKIPPED)
		self.assertIn("Not joined", before.reason)
		after = decide(self.day(punches=(), relieving_date=DAY - timedelta(days=1)), RULES, True)
		self.assertEqual(after.outcome, SKIPPED)
		self.assertIn("Relieved", after.reason)

	def test_the_joining_and_relieving_days_are_working_days(self):
		self.assertEqual(decide(self.day(punches=(), date_of_joining=DAY), RULES, True).outcome, ABSENT)
		self.assertEqual(decide(self.day(punches=(), relieving_date=DAY), RULES, True).outcome, ABSENT)

	def test_inactive_employee_is_skipped(self):
		self.assertEqual(decide(self.day(employee_status="Inactive"), RULES, True).outcome, SKIPPED)


class TestWhenADayIsDue(unittest.TestCase):
	def test_a_day_is_due_after_the_cutoff_on_the_next_day(self):
		cutoff = time(1, 0)
		self.assertEqual(due_through(datetime(2026, 3, 3, 0, 59), cutoff), date(2026, 3, 1))
		self.assertEqual(due_through(datetime(2026, 3, 3, 1, 0), cutoff), date(2026, 3, 2))
		self.assertEqual(due_through(datetime(2026, 3, 3, 23, 59), cutoff), date(2026, 3, 2))

	def test_a_late_cutoff_waits_most_of_the_next_day(self):
		self.assertEqual(due_through(datetime(2026, 3, 3, 23, 29), time(23, 30)), date(2026, 3, 1))
		self.assertEqual(due_through(datetime(2026, 3, 3, 23, 30), time(23, 30)), date(2026, 3, 2))

	def test_complete_only_when_every_device_reached_the_end_of_the_day(self):
		end = datetime(2026, 3, 2, 23, 59, 59)
		self.assertTrue(day_is_complete([end, end + timedelta(hours=5)], DAY))
		self.assertFalse(day_is_complete([end, end - timedelta(seconds=1)], DAY))
		self.assertFalse(day_is_complete([end, None], DAY))  # a device never read holds the day
		self.assertFalse(day_is_complete([], DAY))  # nothing vouches for the day


class TestLatePunches(unittest.TestCase):
	def test_more_checkins_than_decided_on_are_late(self):
		self.assertEqual(late_punch_count(recorded=2, already_late=0, count_now=3), 1)

	def test_nothing_new(self):
		self.assertIsNone(late_punch_count(recorded=2, already_late=0, count_now=2))
		self.assertIsNone(late_punch_count(recorded=2, already_late=1, count_now=3))

	def test_another_late_punch_raises_the_count(self):
		self.assertEqual(late_punch_count(recorded=2, already_late=1, count_now=4), 2)

	def test_an_absent_day_with_a_punch_later(self):
		self.assertEqual(late_punch_count(recorded=0, already_late=0, count_now=1), 1)


class TestAsTime(unittest.TestCase):
	def test_values_frappe_gives(self):
		self.assertEqual(as_time("09:15:00"), time(9, 15))
		self.assertEqual(as_time("9:15"), time(9, 15))
		self.assertEqual(as_time("23:30:00.000000"), time(23, 30))
		self.assertEqual(as_time(timedelta(hours=17, minutes=5)), time(17, 5))
		self.assertEqual(as_time(time(8, 0)), time(8, 0))
		self.assertIsNone(as_time(None))
		self.assertIsNone(as_time(""))


if __name__ == "__main__":
	unittest.main()
