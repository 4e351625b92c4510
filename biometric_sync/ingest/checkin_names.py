"""Names for the Employee Checkins processing inserts, without holding the naming series' row lock.

HRMS names checkins from a naming series (``EMP-CKIN-.MM.-.YYYY.-.######``). Frappe's ``getseries`` reads the
series row of ``tabSeries`` with SELECT … FOR UPDATE in the inserting transaction, so a processing chunk holds
that lock until it commits (about a second for 200 checkins). A second processing worker waited on it for
every chunk (two workers were no faster than one, issue 12), and so did every other checkin of the site: HRMS's
own endpoint, the mobile app.

Here the numbers are reserved on a separate connection in one statement that commits at once, a block as large
as the chunk expects to insert, and each checkin is named from them by Frappe's own ``parse_naming_series``
(its ``number_generator`` hook): the same names, the same series counter, no lock held. A reserved number that
goes unused (HRMS refused the checkin, or the run ended) is a gap in the series, which nothing relies on.

Where the series holds only date parts (``MM``, ``YYYY``, …) and literal text, the name is the same for every
checkin but for the number: it is worked out by ``parse_naming_series`` once per chunk (``expect``) and each
checkin gets the template with its number, instead of ``parse_naming_series`` per checkin (which looked the
``naming_series_variables`` hooks up for every part: a sixth of a processing job's CPU, issue 12). The date parts
are those of the moment the chunk starts, as Frappe takes those of the moment of each insert.

Only for a plain series: the doctype's ``autoname`` holds ``#`` and no rule prefix, no enabled Document Naming
Rule exists for Employee Checkin, and neither the controller nor a ``doc_events`` hook takes part in naming.
Otherwise (``for_checkins`` returns None) Frappe names each checkin as usual.
"""

import time
from collections import deque

import frappe
from frappe.model.base_document import get_controller
from frappe.model.naming import NamingSeries, has_custom_parser, parse_naming_series

from biometric_sync.transactions import separate_connection

DOCTYPE = "Employee Checkin"
# autoname forms that are not a plain series (see frappe.model.naming.set_name_from_naming_options).
RULE_PREFIXES = ("field:", "naming_series:", "prompt", "format:", "hash", "autoincrement", "uuid")
NAMING_METHODS = ("autoname", "before_naming")
RESERVE_ATTEMPTS = 5
# Series parts parse_naming_series fills from the moment alone (not from the document or a hook).
DATE_PARTS = ("YY", "MM", "DD", "YYYY", "WW")
# Stands for the number in a name template (never in a series: parts are split on ".").
NUMBER_MARK = "\x00"


def plain_series() -> str | None:
	"""The series Employee Checkin is named from, when nothing else takes part in naming it."""
	meta = frappe.get_meta(DOCTYPE)
	autoname = (meta.autoname or "").strip()
	if "#" not in autoname or autoname.lower().startswith(RULE_PREFIXES):
		return None
	if frappe.db.exists("Document Naming Rule", {"document_type": DOCTYPE, "disabled": 0}):
		return None
	controller = get_controller(DOCTYPE)
	if any(callable(getattr(controller, method, None)) for method in NAMING_METHODS):
		return None
	events = frappe.get_hooks("doc_events") or {}
	for key in (DOCTYPE, "*"):
		if any((events.get(key) or {}).get(method) for method in NAMING_METHODS):
			return None
	return autoname


def for_checkins() -> "ReservedNames | None":
	series = plain_series()
	return ReservedNames(series) if series else None


class ReservedNames:
	"""Names from blocks of series numbers reserved ahead (see module doc). ``expect(n)`` says how many names the
	next block should hold; ``close()`` ends the separate connection."""

	def __init__(self, series: str):
		NamingSeries(series).validate()
		self.parts = series.split(".")
		self.blocks: dict[str, deque[int]] = {}
		self.expected = 1
		self._db = None
		self.fixed = _fixed_but_for_dates(self.parts)
		self._template: tuple[str, str, int] | None = None  # (name with NUMBER_MARK, prefix, digits)

	def expect(self, count: int) -> None:
		"""The next chunk will take about ``count`` names (the block reserved next), from a template made now."""
		self.expected = max(1, int(count))
		self._template = None

	def name_for(self, doc) -> str:
		if not self.fixed:
			return parse_naming_series(self.parts, doc=doc, number_generator=self._number)
		if self._template is None:
			found: list[tuple[str, int]] = []

			def mark(prefix: str, digits: int) -> str:
				found.append((prefix, digits))
				return NUMBER_MARK

			template = parse_naming_series(self.parts, doc=doc, number_generator=mark)
			self._template = (template, *found[0])
		template, prefix, digits = self._template
		return template.replace(NUMBER_MARK, self._number(prefix, digits), 1)

	def _number(self, prefix: str, digits: int) -> str:
		block = self.blocks.get(prefix)
		if not block:
			first = self._reserve(prefix, self.expected)
			block = self.blocks[prefix] = deque(range(first, first + self.expected))
		self.expected = max(1, self.expected - 1)
		return f"{block.popleft():0{digits}d}"

	def _reserve(self, prefix: str, count: int) -> int:
		"""Moves the series counter on by ``count`` in one committed statement; returns the first number.

		One statement takes the row's exclusive lock at once (a read, or INSERT IGNORE, before the UPDATE would
		take a shared lock first, and two workers upgrading theirs deadlock). A deadlock or lock wait still
		rolls back only this connection's statement: it is tried again."""
		db = self._connection()
		attempt = 0
		while True:
			try:
				db.sql(
					"""insert into `tabSeries` (`name`, `current`) values (%(prefix)s, last_insert_id(%(count)s))
					on duplicate key update `current` = last_insert_id(`current` + %(count)s)""",
					{"prefix": prefix, "count": count},
				)
				last = db.sql("select last_insert_id()")[0][0]
				db.commit()
				return int(last) - count + 1
			except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
				db.rollback()
				attempt += 1
				if attempt == RESERVE_ATTEMPTS:
					raise
				time.sleep(0.05 * attempt)

	def _connection(self):
		if self._db is None:
			self._db = separate_connection()
		return self._db

	def close(self) -> None:
		if self._db is not None:
			self._db.close()
			self._db = None


def _fixed_but_for_dates(parts: list[str]) -> bool:
	"""Whether every checkin named from the series in one moment differs only by its number: each part is the
	number, a date part or literal text (not a field of the checkin, a ``{field}``, ``timestamp`` or a part a
	``naming_series_variables`` hook fills)."""
	fields = set(frappe.get_meta(DOCTYPE).get_valid_columns())
	numbers = 0
	for part in parts:
		if not part:
			continue
		if part.startswith("#"):
			numbers += 1
		elif part in DATE_PARTS:
			continue
		elif part == "timestamp" or "{" in part or part in fields or has_custom_parser(part):
			return False
	return numbers == 1
