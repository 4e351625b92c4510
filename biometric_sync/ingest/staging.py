"""The single writer of Biometric Punch rows (the staging table).

A punch's name is made of its time and its uid (``uid.staging_name``), one name per punch, so the primary key
rejects a second copy: re-sends, pull + push of the same punch, and concurrent batches all end up as one row. Per item the answer is ``new``, ``duplicate`` or ``rejected``
(with a stable ``code``, see ``biometric_sync.ingest.schema``).

How a batch is stored, fast path first:
1. validate every item (pure); a uid seen twice in the batch is a ``duplicate`` the second time;
2. one SELECT finds uids already stored → ``duplicate``;
3. the rest go in ONE multi-row INSERT (sorted by name, so concurrent batches lock keys in the same order),
   inside a savepoint;
4. if that INSERT hits a duplicate key (another request stored one of these uids after step 2, the race the
   primary key settles), roll back to the savepoint and insert row by row, each in its own savepoint: a
   duplicate key → ``duplicate``; any other storage error → ``rejected`` with code STORE_FAILED. One bad item
   never fails the batch.

Deadlocks and lock timeouts are not handled here: InnoDB has rolled the whole transaction back, so the caller
(``api.ingest``) retries the batch.
"""

from dataclasses import dataclass, field

import frappe
from frappe.utils import now_datetime

from biometric_sync import bulk_sql
from biometric_sync.ingest.schema import CleanPunch, PunchError, validate_punch
from biometric_sync.ingest.timezones import convert_wall_time, is_valid_time_zone
from biometric_sync.ingest.uid import staging_name

DOCTYPE = "Biometric Punch"
COLUMNS = (
	"name",
	"punch_uid",
	"creation",
	"modified",
	"modified_by",
	"owner",
	"docstatus",
	"idx",
	"status",
	"device",
	"device_user_id",
	"punch_time",
	"site_time",
	"direction",
	"state",
	"verify",
	"raw",
	"sync_log",
)


@dataclass
class StageResult:
	results: list[dict]
	new_uids: list[str] = field(default_factory=list)

	def count(self, status: str) -> int:
		return sum(1 for r in self.results if r["status"] == status)


def stage_punches(
	device: str, device_time_zone: str | None, site_time_zone: str, items: list, sync_log: str | None
) -> StageResult:
	"""Stores the valid, new punches of ``items`` for ``device`` as Pending. Returns one result per item."""
	results: list[dict] = [{} for _ in items]
	candidates: dict[str, tuple[int, CleanPunch]] = {}
	for index, item in enumerate(items):
		checked = validate_punch(item, device)
		if isinstance(checked, PunchError):
			results[index] = rejected(checked.uid, checked.code, checked.message)
		elif checked.uid in candidates:
			results[index] = {"uid": checked.uid, "status": "duplicate"}
		else:
			candidates[checked.uid] = (index, checked)

	stored = existing_names([staging_name(punch.uid, punch.time) for _, punch in candidates.values()])
	fresh = []
	for uid, (index, punch) in candidates.items():
		if staging_name(uid, punch.time) in stored:
			results[index] = {"uid": uid, "status": "duplicate"}
		else:
			fresh.append((index, punch))

	zone = device_time_zone if is_valid_time_zone(device_time_zone) else site_time_zone
	rows = {
		staging_name(punch.uid, punch.time): _row(punch, zone, site_time_zone, sync_log) for _, punch in fresh
	}
	outcome = insert_rows(rows)
	new_uids = []
	for index, punch in fresh:
		status = outcome[staging_name(punch.uid, punch.time)]
		if status == "new":
			new_uids.append(punch.uid)
			results[index] = {"uid": punch.uid, "status": "new"}
		elif status == "duplicate":
			results[index] = {"uid": punch.uid, "status": "duplicate"}
		else:
			results[index] = rejected(punch.uid, "STORE_FAILED", status)
	return StageResult(results=results, new_uids=new_uids)


def rejected(uid: object, code: str, message: str) -> dict:
	return {"uid": uid, "status": "rejected", "code": code, "error": message}


def existing_names(names: list[str]) -> set[str]:
	if not names:
		return set()
	return set(frappe.get_all(DOCTYPE, filters={"name": ("in", names)}, pluck="name"))


def insert_rows(rows: dict[str, tuple]) -> dict[str, str]:
	"""name → "new" | "duplicate" | <error text>. Fast path: one INSERT for all rows."""
	if not rows:
		return {}
	ordered = [rows[name] for name in sorted(rows)]
	frappe.db.savepoint("bsync_stage")
	try:
		bulk_sql.insert(DOCTYPE, COLUMNS, ordered)
	except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
		raise
	except Exception as error:
		frappe.db.rollback(save_point="bsync_stage")
		if not _is_duplicate_key(error):
			frappe.log_error(title="biometric_sync: batch insert failed, retrying row by row")
		return {row[0]: _insert_one(row) for row in ordered}
	frappe.db.release_savepoint("bsync_stage")
	return dict.fromkeys(rows, "new")


def _insert_one(row: tuple) -> str:
	frappe.db.savepoint("bsync_row")
	try:
		bulk_sql.insert(DOCTYPE, COLUMNS, [row])
	except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
		raise
	except Exception as error:
		frappe.db.rollback(save_point="bsync_row")
		return "duplicate" if _is_duplicate_key(error) else (str(error) or type(error).__name__)[:500]
	frappe.db.release_savepoint("bsync_row")
	return "new"


def _is_duplicate_key(error: Exception) -> bool:
	for check in ("is_primary_key_violation", "is_duplicate_entry", "is_unique_key_violation"):
		method = getattr(frappe.db, check, None)
		if method and method(error):
			return True
	return isinstance(error, frappe.DuplicateEntryError)


def _row(punch: CleanPunch, device_zone: str, site_zone: str, sync_log: str | None) -> tuple:
	now = now_datetime()
	user = frappe.session.user
	values = {
		"name": staging_name(punch.uid, punch.time),
		"punch_uid": punch.uid,
		"creation": now,
		"modified": now,
		"modified_by": user,
		"owner": user,
		"docstatus": 0,
		"idx": 0,
		"status": "Pending",
		"device": punch.device,
		"device_user_id": punch.user_id,
		"punch_time": punch.time,
		"site_time": convert_wall_time(punch.time, device_zone, site_zone),
		"direction": punch.direction,
		# Data columns: Frappe's Int columns are NOT NULL, and "no state" must not read as state 0 (= IN).
		"state": None if punch.state is None else str(punch.state),
		"verify": None if punch.verify is None else str(punch.verify),
		"raw": punch.raw,
		"sync_log": sync_log,
	}
	return tuple(values[column] for column in COLUMNS)
