"""The single writer of Employee Checkin: turns Pending Biometric Punches into checkins.

Every punch ends with a final status and a reason; nothing raises out of ``process_punches`` (a deadlock, which
rolls the whole chunk back, has the chunk done again):

- **Unmapped**: no Employee has the configured lookup field equal to the device user id (exact string match,
  also for case and trailing spaces, which the database collation would ignore). Parked until an Employee's
  lookup field is set or changed (``replay``).
- **Skipped**: the Employee's status is not Active (reason names the status).
- **Duplicate**: an Employee Checkin with the same employee, time and log type exists (HRMS rejects such
  repeats); the punch is linked to that checkin.
- **Processed**: a new Employee Checkin, linked.
- **Error**: anything else (e.g. HRMS validation such as a shift that wants a log type), with the message.

Time: the punch's device-local time → the site's time zone (device time zone from Biometric Device, empty =
site zone). Direction: the site's rules applied to the punch state; a punch without a state keeps the
direction the sidecar sent.

Speed (one chunk = up to CHUNK_SIZE punches, one transaction): every lookup that does not depend on the punch is
done once per chunk: settings, device zones, employees by lookup field, and which employees can have a shift at
all. Where nothing else takes part in a checkin's insert (``bulk_checkins.why_not``, checked once per run) and
HRMS's shift search cannot find anything for the employee (no default shift, no active submitted Shift
Assignment), the chunk's checkins are written with one INSERT (``bulk_checkins``), HRMS's duplicate rule checked
for the whole chunk in one query. Otherwise each goes through HRMS's ``doc.insert``, so its validations run:
active employee, duplicate log (its refusal is recorded as Duplicate), shift fetch (skipped for a shiftless
employee, for whom it finds nothing, at ~10 ms a punch), geolocation. Both go through the app's index on Employee
Checkin (employee, time), see ``indexes``. Checkins are named from series numbers reserved ahead on a separate
connection (``checkin_names``): Frappe's own naming would hold the series row locked until the chunk commits, and
every other checkin of the site (another worker's, HRMS's) would wait for it. Outcomes are written with one
UPDATE per chunk. A chunk locks only its own rows (by primary key, SKIP LOCKED), so pushes keep inserting while a
chunk runs. Work that reads every Pending punch is done less often than per chunk: the list of the oldest Pending
punches (every CANDIDATE_CHUNKS chunks) and the watermarks (every WATERMARK_SECONDS and at the end of a run).
"""

import time
from collections import defaultdict, deque
from functools import partial

import frappe
from frappe.utils import get_datetime, now_datetime, strip_html

from biometric_sync import settings as bsync_settings
from biometric_sync.ingest import bulk_checkins, checkin_names, sync_log
from biometric_sync.ingest.tasks import partition_condition
from biometric_sync.ingest.timezones import convert_wall_time, is_valid_time_zone
from biometric_sync.transactions import read_committed, retry_on_deadlock

PUNCH = "Biometric Punch"
CHUNK_SIZE = 200
# Chunks rolled back by a deadlock in a row before a run gives up (its follow-up run takes the punches).
DEADLOCK_RETRIES = 3
# How many chunks of the oldest Pending punches are listed at a time (see claim_chunk).
CANDIDATE_CHUNKS = 20
# How often a long run moves the device watermarks and Shift Type last_sync_of_checkin (and at its end).
WATERMARK_SECONDS = 30
REASON_LENGTH = 1000
FIELDS = ["name", "device", "device_user_id", "punch_time", "state", "direction", "sync_log"]


def process_pending(
	max_chunks: int | None = None,
	commit: bool = True,
	time_box_seconds: float | None = None,
	partition: tuple[int, int] = (0, 1),
) -> dict:
	"""Processes Pending punches in chunks of CHUNK_SIZE, oldest first, committing after each chunk, until none
	is left, ``max_chunks`` were done or ``time_box_seconds`` have passed. Returns the totals per status.

	Runs under READ COMMITTED (see ``transactions.read_committed``, which commits first): a chunk locks its own
	rows and no index gaps, so pushes insert new punches while it runs. ``commit=False`` leaves the chunks
	uncommitted (tests). ``partition`` (index, count) takes only the punches of that share of the device user ids
	(see ``tasks.partition_count``)."""
	with read_committed():
		writer = _Writer.for_run()
		try:
			return _process_pending(max_chunks, commit, time_box_seconds, partition, writer)
		finally:
			writer.close()


def _process_pending(
	max_chunks: int | None,
	commit: bool,
	time_box_seconds: float | None,
	partition: tuple[int, int],
	writer: "_Writer",
) -> dict:
	totals: dict[str, int] = defaultdict(int)
	chunks = 0
	candidates: deque[str] = deque()
	devices: set[str] = set()  # processed since the watermarks were last moved
	deadlocks = 0  # in a row
	started = watermarks_moved = time.monotonic()
	while max_chunks is None or chunks < max_chunks:
		# Checked before every chunk but the first, so every run makes progress.
		if chunks and time_box_seconds is not None and time.monotonic() - started >= time_box_seconds:
			break
		claimed = claim_chunk(candidates=candidates, partition=partition)
		if not claimed:
			break
		try:
			counts, chunk_devices = _process_chunk(claimed, writer)
		except frappe.QueryDeadlockError:
			# InnoDB rolled the whole chunk back, the checkins it had inserted too: its punches are all still
			# Pending. Done again (a run that keeps meeting deadlocks leaves them to its follow-up).
			frappe.db.rollback()
			deadlocks += 1
			if deadlocks >= DEADLOCK_RETRIES:
				break
			candidates.clear()
			time.sleep(0.1 * deadlocks)
			continue
		deadlocks = 0
		for status, count in counts.items():
			totals[status] += count
		devices |= chunk_devices
		chunks += 1
		# Moving watermarks reads every Pending punch of a device: every WATERMARK_SECONDS, not every chunk.
		if time.monotonic() - watermarks_moved >= WATERMARK_SECONDS:
			_move_watermarks(devices)
			devices, watermarks_moved = set(), time.monotonic()
		if commit:
			frappe.db.commit()
	if devices:
		_move_watermarks(devices)
		if commit:
			frappe.db.commit()
	return dict(totals)


def claim_chunk(
	size: int = CHUNK_SIZE, candidates: deque | None = None, partition: tuple[int, int] = (0, 1)
) -> list[str]:
	"""Locks up to ``size`` of the oldest Pending punches that no other transaction holds, and returns them.

	Two steps, so that only the chunk's own rows are locked: a plain read lists the oldest Pending punches (a
	locking read ordered by site_time would lock every Pending row and the index gaps around them, which stalls
	concurrent pushes until the chunk commits), then a locking read by primary key takes those of the next slice
	that are still Pending and not locked by another worker (record locks only, no gap locks).

	The oldest Pending punches come from the (status, site_time) index, CANDIDATE_CHUNKS chunks at a time, kept
	in ``candidates`` between calls; a punch staged meanwhile waits for the next list, and one another worker
	took is skipped by the locking read."""
	candidates = deque() if candidates is None else candidates
	in_partition = "" if partition[1] <= 1 else f" and {partition_condition(partition)}"
	refilled = False
	while True:
		if not candidates:
			if refilled:
				return []
			candidates.extend(
				row[0]
				for row in frappe.db.sql(
					f"select name from `tab{PUNCH}` where status = 'Pending'{in_partition} "
					"order by site_time, name "
					f"limit {int(size) * CANDIDATE_CHUNKS}"
				)
			)
			refilled = True
			if not candidates:
				return []
		piece = [candidates.popleft() for _ in range(min(size, len(candidates)))]
		# Locks through the primary key only, so InnoDB takes record locks on exactly these rows and no gap
		# locks. With "and status = 'Pending'", or a full scan (which the optimizer picks on a small table
		# unless told otherwise), it would lock index gaps, blocking inserts of new Pending punches until the
		# chunk commits. The status is checked on the locked rows instead (a locking read sees the latest).
		# Under REPEATABLE READ even this takes next-key locks on the supremum of each page it reaches (a push
		# whose uid lands at the end of such a page would wait), which is why process_pending runs under READ
		# COMMITTED.
		locked = {
			row[0]
			for row in frappe.db.sql(
				f"select name, status from `tab{PUNCH}` force index (primary) "
				"where name in %(names)s for update skip locked",
				{"names": piece},
			)
			if row[1] == "Pending"
		}
		if locked:
			return [name for name in piece if name in locked]


def process_punches(names: list[str]) -> dict:
	"""Processes the given punches (those still Pending) and moves their devices' watermarks. Never raises (done
	again after a deadlock).
	Returns counts per final status."""
	writer = _Writer.for_run()
	try:
		counts, devices = retry_on_deadlock(lambda: _process_chunk(names, writer))
	finally:
		writer.close()
	if devices:
		_move_watermarks(devices)
	return counts


class _Writer:
	"""How a run writes checkins: names from reserved series numbers (``checkin_names``) and, where nothing else
	takes part in a checkin's insert, one INSERT per chunk (``bulk_checkins``); both decided once per run."""

	def __init__(self, names: "checkin_names.ReservedNames | None", bulk: bool):
		self.names = names
		self.bulk = bool(bulk and names)

	@classmethod
	def for_run(cls) -> "_Writer":
		"""Both shortcuts only where they can be shown to be safe: if checking fails, Frappe names and inserts
		each checkin as it always does (punches never wait on the check)."""
		try:
			names = checkin_names.for_checkins()
			bulk = names is not None and bulk_checkins.why_not() is None
		except Exception:
			frappe.log_error(title="biometric_sync: checkins go one by one (the bulk check failed)")
			names, bulk = None, False
		return cls(names, bulk)

	def close(self) -> None:
		if self.names:
			self.names.close()


def _process_chunk(names: list[str], writer: _Writer | None = None) -> tuple[dict, set[str]]:
	"""Processes the given punches (those still Pending). Raises only QueryDeadlockError, after which nothing of
	the chunk remains (InnoDB rolled it back). Returns counts per final status and
	the devices of the punches. ``writer`` says how checkins are written (default: ``doc.insert``)."""
	if not names:
		return {}, set()
	# Oldest first, so checkins are named in the order they were punched. The per-chunk reads here are plain SQL:
	# frappe.get_all's query building was a tenth of a processing job's CPU (py-spy, issue 12).
	rows = frappe.db.sql(
		f"select {', '.join(f'`{field}`' for field in FIELDS)} from `tab{PUNCH}` force index (primary) "
		"where `name` in %(names)s and `status` = 'Pending' order by `site_time`, `name`",
		{"names": names},
		as_dict=True,
	)
	if not rows:
		return {}, set()
	settings = bsync_settings.get_settings()
	context = _Context(
		field=bsync_settings.lookup_field(settings),
		rules=bsync_settings.direction_rules(settings),
		skip_auto_attendance=int(settings.skip_auto_attendance or 0),
		site_zone=bsync_settings.site_time_zone(),
	)
	context.names = writer.names if writer else None
	context.load_devices({row.device for row in rows})
	context.load_employees(
		{row.device_user_id for row in rows}, bulk_checkins.fetched_fields() if writer and writer.bulk else {}
	)
	if context.names:
		context.names.expect(context.insertable(rows))
	if writer and writer.bulk:
		context.start_bulk(rows)

	counts: dict[str, int] = defaultdict(int)
	per_log: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
	outcomes: dict[str, dict] = {}
	for row in rows:
		outcomes[row.name] = _process_one(row, context)
	if context.bulk:
		_write_bulk(context, outcomes)
	for row in rows:
		status = outcomes[row.name]["status"]
		counts[status] += 1
		if row.sync_log and status in ("Unmapped", "Error"):
			per_log[row.sync_log]["unmapped_count" if status == "Unmapped" else "error_count"] += 1

	_write_outcomes(outcomes)
	for log_name, log_counts in per_log.items():
		sync_log.add_counts(log_name, **log_counts)
	created = [o["employee_checkin"] for o in outcomes.values() if o["status"] == "Processed"]
	devices = {row.device for row in rows}
	_after_chunk(devices, last_checkin=created[-1] if created else None)
	return dict(counts), devices


class _Context:
	"""What a chunk needs, read once per chunk."""

	def __init__(self, field, rules, skip_auto_attendance, site_zone):
		self.field = field
		self.rules = rules
		self.skip_auto_attendance = skip_auto_attendance
		self.site_zone = site_zone
		self.device_zones: dict[str, str] = {}
		self.employees: dict[str, list] = {}
		# (employee, site time, log type or "") → the checkin this chunk inserted with them, so a second copy in
		# the same chunk (the same punch from two devices) is a Duplicate without a trip through HRMS.
		self.checkins: dict[tuple, str] = {}
		# Employees HRMS can find no shift for: no default shift, no active submitted Shift Assignment.
		self.shiftless: set[str] = set()
		self.names: checkin_names.ReservedNames | None = None
		# Bulk writing (see bulk_checkins): the chunk's rows, the punches they come from, the stored checkins
		# with the chunk's (employee, time) pairs, and the Employee fields checkins fetch.
		self.bulk: bulk_checkins.ChunkRows | None = None
		self.bulk_punches: list = []
		self.stored: dict[tuple, str] = {}
		self.fetched: dict[str, str] = {}

	def load_devices(self, devices: set[str]) -> None:
		for row in frappe.db.sql(
			"select `name`, `time_zone` from `tabBiometric Device` where `name` in %(devices)s",
			{"devices": list(devices)},
			as_dict=True,
		):
			zone = row.time_zone if is_valid_time_zone(row.time_zone) else self.site_zone
			self.device_zones[row.name] = zone

	def load_employees(self, user_ids: set[str], fetched: dict[str, str]) -> None:
		self.fetched = fetched
		self.employees = lookup_employees(self.field, user_ids, set(fetched.values()))
		names = {match.name for matches in self.employees.values() for match in matches}
		self.shiftless = shiftless_employees(names)

	def insertable(self, rows) -> int:
		"""How many of the rows may become a checkin: one Active Employee has their user id."""
		count = 0
		for row in rows:
			matches = self.employees.get(row.device_user_id) or []
			count += len(matches) == 1 and matches[0].status == "Active"
		return count

	def start_bulk(self, rows) -> None:
		"""Bulk writing for this chunk: HRMS's duplicate check for all its shiftless employees' punches at once."""
		self.bulk = bulk_checkins.ChunkRows()
		pairs = set()
		for row in rows:
			matches = self.employees.get(row.device_user_id) or []
			if len(matches) == 1 and matches[0].name in self.shiftless:
				try:
					pairs.add((matches[0].name, self.site_time(row)))
				except Exception:
					pass  # the punch fails on its own in _process_one
		self.stored = bulk_checkins.stored_checkins(pairs)

	def site_time(self, row):
		zone = self.device_zones.get(row.device, self.site_zone)
		return convert_wall_time(row.punch_time, zone, self.site_zone)


def checkin_key(employee: str, time, log_type: str | None) -> tuple:
	"""What HRMS calls a duplicate: same employee, time and log type (no log type: "" and NULL alike)."""
	return (employee, get_datetime(time), log_type or "")


def shiftless_employees(employees: set[str]) -> set[str]:
	"""The employees for whom HRMS's shift search (``fetch_shift``) finds no shift at any time: no default
	shift and no Shift Assignment that is submitted and Active (the only ones HRMS considers)."""
	if not employees:
		return set()
	without_default = _names(
		"select `name` from `tabEmployee` where `name` in %(names)s "
		"and (`default_shift` is null or `default_shift` = '')",
		employees,
	)
	if not without_default:
		return set()
	assigned = _names(
		"select distinct `employee` from `tabShift Assignment` "
		"where `employee` in %(names)s and `docstatus` = 1 and `status` = 'Active'",
		without_default,
	)
	return without_default - assigned


def _names(query: str, names: set[str]) -> set[str]:
	"""The first column of ``query`` run with ``names`` as ``%(names)s``."""
	return {row[0] for row in frappe.db.sql(query, {"names": list(names)})}


def lookup_employees(
	field: str, user_ids: set[str], extra: set[str] | frozenset = frozenset()
) -> dict[str, list]:
	"""user id → Employees whose ``field`` equals it exactly (string comparison in Python, because the
	database collation would match "A-17" to "a-17" and ignore trailing spaces). ``extra``: more Employee fields
	to read."""
	if not user_ids:
		return {}
	found: dict[str, list] = defaultdict(list)
	columns = ["name", "status", "employee_name", *sorted(extra - {"name", "status", "employee_name"})]
	rows = frappe.db.sql(
		f"select {', '.join(_column(c) for c in columns)}, {_column(field)} as lookup_value from `tabEmployee` "
		f"where {_column(field)} in %(user_ids)s",
		{"user_ids": list(user_ids)},
		as_dict=True,
	)
	for row in rows:
		value = "" if row.lookup_value is None else str(row.lookup_value)
		if value in user_ids:
			found[value].append(row)
	return found


def _column(fieldname: str) -> str:
	"""A field name as a quoted column (the lookup field comes from the settings, which check it is an Employee
	field; checked here too, since it goes into SQL)."""
	if not fieldname.replace("_", "").isalnum():
		raise frappe.ValidationError(f"Not a field name: {fieldname!r}")
	return f"`{fieldname}`"


def _process_one(row, context: _Context) -> dict:
	outcome: dict = {"status": "Error", "reason": None}
	try:
		outcome["site_time"] = site_time = context.site_time(row)

		matches = context.employees.get(row.device_user_id) or []
		if not matches:
			outcome.update(
				status="Unmapped",
				reason=f"No Employee has {context.field} = {row.device_user_id!r}",
			)
			return outcome
		if len(matches) > 1:
			names = ", ".join(sorted(m.name for m in matches))
			outcome.update(
				reason=f"Several Employees have {context.field} = {row.device_user_id!r}: {names}",
			)
			return outcome

		employee = matches[0]
		outcome.update(employee=employee.name, employee_name=employee.employee_name)
		if employee.status != "Active":
			outcome.update(status="Skipped", reason=f"Employee {employee.name} is {employee.status}")
			return outcome

		state = _as_int(row.state)
		log_type = context.rules.direction_for(state) if state is not None else (row.direction or None)
		key = checkin_key(employee.name, site_time, log_type)
		existing = context.checkins.get(key)
		if existing:
			outcome.update(status="Duplicate", employee_checkin=existing, reason=_duplicate_reason(existing))
			return outcome

		if (
			context.bulk is not None
			and employee.name in context.shiftless
			and log_type in (None, "IN", "OUT")
		):
			outcome.update(_add_bulk(row, employee, site_time, log_type, key, context))
		else:
			outcome.update(_insert_checkin(row, employee.name, site_time, log_type, context))
		if outcome.get("employee_checkin"):
			context.checkins.setdefault(key, outcome["employee_checkin"])
	except frappe.QueryDeadlockError:
		raise  # the whole chunk was rolled back: see _process_pending
	except Exception as error:
		outcome.update(status="Error", reason=_message(error))
		frappe.log_error(title=f"biometric_sync: punch {row.name} failed")
	return outcome


def _add_bulk(row, employee, site_time, log_type: str | None, key: tuple, context: _Context) -> dict:
	"""A checkin for the chunk's INSERT (``_write_bulk``), or the stored checkin HRMS would call a duplicate."""
	existing = context.stored.get(key)
	if existing:
		return {"status": "Duplicate", "employee_checkin": existing, "reason": _duplicate_reason(existing)}
	values = {
		"employee": employee.name,
		"time": site_time,
		"log_type": log_type,
		"device_id": row.device,
		"skip_auto_attendance": context.skip_auto_attendance,
		"shift": None,  # HRMS's shift search finds nothing for a shiftless employee
	}
	values.update({target: employee.get(source) for target, source in context.fetched.items()})
	values["name"] = context.names.name_for(frappe._dict(doctype="Employee Checkin", **values))
	context.bulk.add(values)
	context.bulk_punches.append((row, values))
	return {"status": "Processed", "employee_checkin": values["name"], "reason": None}


def _write_bulk(context: _Context, outcomes: dict[str, dict]) -> None:
	"""The chunk's INSERT. Should it fail, each of its checkins goes through doc.insert under its name."""
	frappe.db.savepoint("bsync_bulk")
	try:
		context.bulk.flush()
	except frappe.QueryDeadlockError:
		raise  # InnoDB rolled the whole transaction back, savepoint and all
	except Exception:
		frappe.db.rollback(save_point="bsync_bulk")
		frappe.log_error(title="biometric_sync: bulk checkin insert failed; inserting one by one")
		for row, values in context.bulk_punches:
			outcome = outcomes[row.name]
			outcome.update(
				_insert_checkin(
					row, values["employee"], values["time"], values["log_type"], context, values["name"]
				)
			)
	else:
		frappe.db.release_savepoint("bsync_bulk")


def _insert_checkin(
	row, employee: str, site_time, log_type: str | None, context: _Context, name: str | None = None
) -> dict:
	frappe.db.savepoint("bsync_checkin")
	try:
		checkin = frappe.get_doc(
			{
				"doctype": "Employee Checkin",
				"employee": employee,
				"time": site_time,
				"log_type": log_type,
				"device_id": row.device,
				"skip_auto_attendance": context.skip_auto_attendance,
			}
		)
		checkin.flags.ignore_permissions = True
		# No realtime message per checkin (two each, thousands per sync): _after_chunk sends one list_update.
		checkin.flags.notify_update = False
		if employee in context.shiftless:
			# HRMS's fetch_shift would search and find nothing; this is its own outcome for that case.
			checkin.fetch_shift = partial(_no_shift, checkin)
		# Named from numbers reserved ahead where the series allows: no series row lock held for the chunk.
		if not name and context.names:
			name = context.names.name_for(checkin)
		checkin.insert(ignore_permissions=True, set_name=name)
	except frappe.QueryDeadlockError:
		raise  # InnoDB rolled the whole transaction back, savepoint and all
	except Exception as error:
		frappe.db.rollback(save_point="bsync_checkin")
		frappe.clear_messages()
		# HRMS's validate_duplicate_log, or a checkin stored since our check: link the existing one.
		existing = existing_checkin(employee, site_time, log_type)
		if existing:
			return {
				"status": "Duplicate",
				"employee_checkin": existing,
				"reason": _duplicate_reason(existing),
			}
		return {"status": "Error", "reason": _message(error)}
	frappe.db.release_savepoint("bsync_checkin")
	return {"status": "Processed", "employee_checkin": checkin.name, "reason": None}


def existing_checkin(employee: str, time, log_type: str | None) -> str | None:
	"""The checkin HRMS would call a duplicate (same employee, time and log type), as its own check does.
	HRMS stores a missing log type as "", so "no direction" matches both "" and NULL."""
	filters = [["employee", "=", employee], ["time", "=", time]]
	filters.append(["log_type", "=", log_type] if log_type else ["log_type", "is", "not set"])
	found = frappe.get_all(
		"Employee Checkin", filters=filters, pluck="name", limit=1, order_by="creation asc"
	)
	return found[0] if found else None


def _no_shift(checkin) -> None:
	checkin.shift = None


def _as_int(value) -> int | None:
	if value is None or value == "":
		return None
	try:
		return int(value)
	except (TypeError, ValueError):
		return None


def _duplicate_reason(checkin: str) -> str:
	return f"Employee Checkin {checkin} already has this employee, time and log type"


def _message(error: Exception) -> str:
	text = strip_html(str(error)) if str(error) else type(error).__name__
	return text[:REASON_LENGTH]


OUTCOME_COLUMNS = ("status", "reason", "employee", "employee_name", "employee_checkin")


def _write_outcomes(outcomes: dict[str, dict]) -> None:
	"""Writes every punch's outcome with one UPDATE per chunk."""
	if outcomes:
		frappe.db.sql(*outcomes_update(outcomes))


def outcomes_update(outcomes: dict[str, dict]) -> tuple[str, list]:
	"""The UPDATE that writes the outcomes (punch name → outcome), and its parameters.

	The outcomes are a derived table of one row per punch, joined to the punches through their primary key (so
	InnoDB locks exactly these rows, as in claim_chunk; with a scan, which the optimizer picks on stale table
	statistics, it would lock every row it reads, deadlocking with concurrent pushes). A CASE per column with a
	branch per punch, as before, had MariaDB compare every punch's name with every branch: the chunk's most
	expensive statement (issue 12)."""
	now = now_datetime()
	params: list = []
	rows = []
	for name, outcome in outcomes.items():
		params.append(name)
		params.extend(outcome.get(column) for column in OUTCOME_COLUMNS)
		# site_time only where it was computed (a punch whose time could not be converted keeps its value).
		params.append(outcome.get("site_time"))
		rows.append(", ".join(["%s"] * (len(OUTCOME_COLUMNS) + 2)))
	# The first row names the derived table's columns.
	names = ("name", *OUTCOME_COLUMNS, "site_time")
	first = ", ".join(f"%s as `{column}`" for column in names)
	derived = " union all ".join([f"select {first}", *(f"select {row}" for row in rows[1:])])
	assignments = [f"p.`{column}` = o.`{column}`" for column in OUTCOME_COLUMNS]
	assignments.append("p.`site_time` = coalesce(o.`site_time`, p.`site_time`)")
	assignments.extend(("p.`processed_on` = %s", "p.`modified` = %s", "p.`modified_by` = %s"))
	params.extend((now, now, frappe.session.user))
	return (
		f"update ({derived}) o straight_join `tab{PUNCH}` p force index (primary) on p.`name` = o.`name` "
		f"set {', '.join(assignments)}",
		params,
	)


def _move_watermarks(devices: set[str]) -> None:
	from biometric_sync.ingest.watermark import update_watermarks

	try:
		update_watermarks(devices)
	except Exception:
		frappe.log_error(title="biometric_sync: watermark update failed")


def _after_chunk(devices: set[str], last_checkin: str | None = None) -> None:
	if last_checkin:
		# Frappe's notify_update sends this (to every Desk user) for each checkin; once a chunk is enough to
		# show an open Employee Checkin list that new rows arrived.
		frappe.publish_realtime(
			"list_update",
			{"doctype": "Employee Checkin", "name": last_checkin, "user": frappe.session.user},
			after_commit=True,
		)
	for device in sorted(devices):
		frappe.publish_realtime(
			"biometric_sync:refresh",
			{"device": device},
			doctype="Biometric Device",
			docname=device,
			after_commit=True,
		)
