"""The app's indexes: present after install and migrate, restored when missing, ours removed at uninstall, and
every hot query on a growing table able to use one (EXPLAIN).

A test table is small, so the optimizer may still prefer a scan; what is asserted is that the index is a
possible key of the query. ``benchmarks/site-history.ts`` prints the plans chosen on a table with years of rows.
"""

from unittest.mock import patch

import frappe

from biometric_sync import indexes
from biometric_sync.ingest.processor import outcomes_update
from biometric_sync.install import after_migrate
from biometric_sync.tests.factories import BiometricTestCase

# (what runs it, the query, the index it must be able to use)
HOT_QUERIES = [
	(
		"claim_chunk: the oldest Pending punches",
		"select name from `tabBiometric Punch` where status = 'Pending' order by site_time, name limit 4000",
		"bsync_status_site_time",
	),
	(
		"update_device_watermark: a device's oldest Pending punch",
		"select min(site_time) from `tabBiometric Punch` where device = 'X' and status = 'Pending'",
		"bsync_device_status_site_time",
	),
	(
		"unmapped_groups",
		"select device_user_id, device, site_time from `tabBiometric Punch` where status = 'Unmapped' limit 20000",
		"bsync_status_site_time",
	),
	(
		"replay: a device user id's Unmapped punches",
		"select name from `tabBiometric Punch` where status = 'Unmapped' and device_user_id = '17'",
		"bsync_user_id_site_time",
	),
	(
		"Desk list and retention of punches",
		"select name from `tabBiometric Punch` order by creation desc limit 20",
		"bsync_creation",
	),
	(
		"prune: unlink pruned logs from punches",
		"select name from `tabBiometric Punch` where sync_log in ('BSL-1', 'BSL-2')",
		"bsync_sync_log",
	),
	(
		"Punches page: one device, newest first",
		"select name from `tabBiometric Punch` where device = 'X' order by site_time desc, name desc limit 50",
		"bsync_device_site_time",
	),
	(
		"Punches page: one device user id, newest first",
		"select name from `tabBiometric Punch` where device_user_id = '17' "
		"order by site_time desc, name desc limit 50",
		"bsync_user_id_site_time",
	),
	(
		"Sync logs page, newest first",
		"select name from `tabBiometric Sync Log` order by started desc, name desc limit 50",
		"bsync_started",
	),
	(
		"overview: each device's newest run",
		"select device, max(started) from `tabBiometric Sync Log` where device in ('X', 'Y') group by device",
		"bsync_device_started",
	),
	(
		"prune: logs past retention",
		"select name from `tabBiometric Sync Log` where creation < '2020-01-01' limit 500",
		"bsync_creation",
	),
	(
		"claim: a sidecar's open commands",
		"select name from `tabBiometric Command` where sidecar = 'S' and status in ('Queued', 'Claimed', 'Running') "
		"order by creation, name limit 100",
		"bsync_sidecar_status_creation",
	),
	(
		"expire_stale",
		"select name from `tabBiometric Command` where status in ('Queued', 'Claimed', 'Running') "
		"and expires_on < '2020-01-01' limit 500",
		"bsync_status_expires_on",
	),
	(
		"Employee form's Device Enrolment: the user commands about one Employee",
		"select name from `tabBiometric Command` where employee = 'HR-EMP-1' "
		"and command_type in ('user_set', 'user_delete') order by creation desc limit 200",
		"bsync_employee_creation",
	),
	(
		"coalescing user commands and the relieving-date check",
		"select name from `tabBiometric Command` where device = 'X' and device_user_id = '17' "
		"and command_type = 'user_delete'",
		"bsync_device_user_id",
	),
	(
		"unmapped_groups: the names terminals hold for these ids",
		"select device_user_id, user_name from `tabBiometric Device User` where device_user_id in ('1', '2') "
		"and removed_on is null",
		"bsync_user_id",
	),
	(
		"report_device_users / enrolment plan: one device's present users",
		"select name from `tabBiometric Device User` where device = 'X' and removed_on is null",
		"bsync_device_removed",
	),
	(
		"shift_types_fed_by: the shifts a device's recent checkins fed",
		"select distinct shift from `tabEmployee Checkin` where device_id in ('X', 'Y') and shift is not null "
		"and time >= '2026-01-01'",
		"bsync_device_time",
	),
	(
		"HRMS's duplicate check on every new checkin",
		"select name from `tabEmployee Checkin` where employee = 'HR-EMP-1' and time = '2026-01-01 09:00:00' "
		"and log_type = 'IN'",
		"bsync_employee_time",
	),
]


# This app's tables that grow with every punch, run or command.
GROWING_TABLES = [
	"Biometric Punch",
	"Biometric Sync Log",
	"Biometric Command",
	"Biometric Device User",
	"Biometric Attendance Mark",
]


def index_columns(doctype: str, name: str) -> list[str]:
	rows = frappe.db.sql(f"show index from `tab{doctype}` where Key_name = %s", name, as_dict=True)
	return [row.Column_name for row in sorted(rows, key=lambda row: row.Seq_in_index)]


class TestIndexes(BiometricTestCase):
	def test_every_index_is_there_after_migrate_with_its_columns(self):
		after_migrate()
		after_migrate()  # idempotent
		for doctype, wanted in (indexes.OWN_INDEXES | indexes.FOREIGN_INDEXES).items():
			for name, columns in wanted:
				with self.subTest(doctype=doctype, index=name):
					self.assertEqual(index_columns(doctype, name), columns)

	def test_a_missing_index_comes_back_at_migrate_and_uninstall_removes_only_ours(self):
		name, columns = indexes.CHECKIN_INDEX
		indexes.drop_foreign_indexes()
		self.addCleanup(indexes.ensure_indexes)
		self.assertEqual(index_columns("Employee Checkin", name), [])
		self.assertEqual(index_columns("Employee Checkin", "employee"), ["employee"])  # HRMS's own stays
		after_migrate()
		self.assertEqual(index_columns("Employee Checkin", name), columns)
		# Adding an index must not leave a Property Setter behind (frappe.db.add_index would, for one column).
		self.assertFalse(
			frappe.db.exists(
				"Property Setter", {"doc_type": ("like", "Biometric%"), "property": "search_index"}
			)
		)

	def test_indexes_nothing_reads_are_gone_after_migrate(self):
		# A site on the previous version had them (our status + device user id one on punches): every processed
		# punch wrote it twice.
		after_migrate()
		for doctype, names in indexes.UNUSED_INDEXES.items():
			wanted = {name for name, _columns in indexes.OWN_INDEXES.get(doctype, [])}
			for name in names:
				with self.subTest(doctype=doctype, index=name):
					self.assertEqual(index_columns(doctype, name), [])
					self.assertNotIn(name, wanted)

	def test_migrate_drops_an_unused_index_and_keeps_every_row(self):
		# On a small table of ours (building one on a lived-in punch table would take minutes here).
		name = "bsync_test_unused"
		frappe.db.sql_ddl(f"alter table `tabBiometric Sync Log` add index if not exists `{name}` (`trigger`)")
		self.addCleanup(
			frappe.db.sql_ddl, f"alter table `tabBiometric Sync Log` drop index if exists `{name}`"
		)
		rows = frappe.db.count("Biometric Sync Log")
		with patch.dict(indexes.UNUSED_INDEXES, {"Biometric Sync Log": [name]}):
			after_migrate()
			self.assertEqual(index_columns("Biometric Sync Log", name), [])
			after_migrate()  # nothing left to drop
		self.assertEqual(frappe.db.count("Biometric Sync Log"), rows)
		self.assertEqual(index_columns("Biometric Sync Log", "bsync_device_started"), ["device", "started"])

	def test_frappes_modified_index_stays_on_every_growing_table(self):
		# Frappe's Meta reads the newest `modified` of any table estimated over 100,000 rows whenever it builds
		# the doctype's meta; without the index that read scanned every punch (15 s at 3 million, found when it
		# was dropped to spare processing a write per punch).
		for doctype in GROWING_TABLES:
			with self.subTest(doctype=doctype):
				self.assertEqual(index_columns(doctype, "modified"), ["modified"])

	def test_no_index_on_a_growing_table_repeats_the_start_of_another(self):
		# Every insert and status change pays for every index; one whose columns open another index serves no
		# query the longer one does not (the doctype's one-column index on device_user_id, beside
		# (device_user_id, site_time), cost staging an index write per punch for nothing).
		for doctype in GROWING_TABLES:
			parts: dict[str, list[tuple[int, str]]] = {}
			for row in frappe.db.sql(f"show index from `tab{doctype}`", as_dict=True):
				if row.Non_unique:  # the primary key and unique keys enforce something; they stay
					parts.setdefault(row.Key_name, []).append((row.Seq_in_index, row.Column_name))
			columns = {name: [column for _seq, column in sorted(seqs)] for name, seqs in parts.items()}
			repeats = [
				f"{name} {cols} opens {other} {other_cols}"
				for name, cols in columns.items()
				for other, other_cols in columns.items()
				if other != name and other_cols[: len(cols)] == cols
			]
			with self.subTest(doctype=doctype):
				self.assertEqual(repeats, [])

	def test_every_hot_query_can_use_an_index_of_ours(self):
		for label, query, index in HOT_QUERIES:
			with self.subTest(query=label):
				plan = frappe.db.sql(f"explain {query}", as_dict=True)[0]
				usable = {*(plan.possible_keys or "").split(","), plan.key}
				# min()/max() answered from an index by the optimizer itself shows no key, only this note.
				answered_from_an_index = "min/max" in (plan.Extra or "") or "optimized away" in (
					plan.Extra or ""
				)
				self.assertTrue(index in usable or answered_from_an_index, plan)

	def test_the_outcome_update_reaches_punches_through_their_primary_key_only(self):
		# Writing a chunk's outcomes locks exactly its punches: the outcomes are read first, each punch found
		# by its name (a scan would lock every punch it reads and block pushes).
		outcome = {"status": "Processed", "employee": "HR-EMP-1", "site_time": "2026-01-01 09:00:00"}
		query, params = outcomes_update({"P-1": outcome, "P-2": {"status": "Unmapped", "reason": "none"}})
		plan = frappe.db.sql(f"explain {query}", params, as_dict=True)
		punches = [row for row in plan if row.table == "p"]
		self.assertEqual(len(punches), 1, plan)
		self.assertEqual((punches[0].type, punches[0].key), ("eq_ref", "PRIMARY"), plan)
		self.assertEqual(plan[0].table, "<derived2>", plan)
