"""Processing per chunk: locks only the chunk's rows, lookups done once per chunk, shifts still fetched by HRMS,
and the follow-up run that closes the tail of a running job."""

from datetime import datetime
from unittest.mock import patch

import frappe
from frappe.utils import add_days, getdate
from rq.job import JobStatus

from biometric_sync.api.ingest import push_punches
from biometric_sync.ingest import bulk_checkins, processor, tasks
from biometric_sync.ingest.processor import CHUNK_SIZE, claim_chunk, process_pending, shiftless_employees
from biometric_sync.ingest.tasks import partition_count as unpatched_partition_count  # setUp patches it
from biometric_sync.ingest.uid import staging_name
from biometric_sync.tests.factories import (
	PREFIX,
	BiometricTestCase,
	company_for_tests,
	make_device,
	make_sidecar,
	make_test_employee,
	other_connection,
	punch,
	run_token,
	staged_name,
)


def insert_pending_punch(db, device: str) -> None:
	"""A push's INSERT of one new Pending punch with a random uid, on ``db`` (another connection)."""
	uid = frappe.generate_hash(length=64)
	db.sql(
		"""insert into `tabBiometric Punch`
		(name, punch_uid, status, device, device_user_id, punch_time, site_time, creation, modified,
		owner, modified_by, docstatus, idx)
		values (%(name)s, %(uid)s, 'Pending', %(device)s, 'X', '2026-05-09 08:00:00',
		'2026-05-09 08:00:00', now(), now(), 'Administrator', 'Administrator', 0, 0)""",
		{"name": staging_name(uid, datetime(2026, 5, 9, 8)), "uid": uid, "device": device},
	)


def drop_shift_assignments(employee: str) -> None:
	"""Test cleanup: the employee's checkins and Shift Assignments (HRMS refuses to cancel an assignment that
	checkins point at, so both go directly)."""
	frappe.db.delete("Employee Checkin", {"employee": employee})
	frappe.db.delete("Shift Assignment", {"employee": employee})


class TestProcessingBatches(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.token = run_token()
		cls.sidecar = make_sidecar("Batches")
		cls.gate = make_device("Batches Gate", cls.sidecar)
		cls.annex = make_device("Batches Annex", cls.sidecar)
		cls.user_id = f"BATCH-{cls.token}"
		cls.employee = make_test_employee("bsync-batch-1", cls.user_id)
		cls.shift = f"{PREFIX} Batches Day {cls.token}"
		frappe.get_doc(
			{
				"doctype": "Shift Type",
				"__newname": cls.shift,
				"start_time": "09:00:00",
				"end_time": "17:00:00",
				"begin_check_in_before_shift_start_time": 60,
				"allow_check_out_after_shift_end_time": 60,
			}
		).insert()
		cls.assigned_id = f"BATCH-A-{cls.token}"
		cls.assigned = make_test_employee("bsync-batch-2", cls.assigned_id)
		drop_shift_assignments(cls.assigned)  # left by an earlier, interrupted run
		assignment = frappe.get_doc(
			{
				"doctype": "Shift Assignment",
				"employee": cls.assigned,
				"company": company_for_tests(),
				"shift_type": cls.shift,
				"start_date": "2026-05-01",
				"end_date": "2026-05-31",
				"status": "Active",
			}
		).insert()
		assignment.submit()
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		drop_shift_assignments(cls.assigned)
		frappe.db.commit()
		super().tearDownClass()  # cleanup(): checkins of the test devices, the Shift Type

	def drop_punches(self, items):
		"""Cleanup for tests whose processing is rolled back: their punches would stay Pending."""
		frappe.db.rollback()
		frappe.db.delete("Biometric Punch", {"name": ("in", [staged_name(item) for item in items])})
		frappe.db.commit()

	def push(self, device, *items):
		answer = push_punches(self.sidecar, device, list(items))
		self.assertTrue(all(r["status"] == "new" for r in answer["results"]), answer)

	def test_the_same_punch_from_two_devices_in_one_chunk_is_one_checkin(self):
		first = punch(self.gate, self.user_id, "2026-05-02 09:00:00", state=0)
		second = punch(self.annex, self.user_id, "2026-05-02 09:00:00", state=0)
		self.push(self.gate, first)
		self.push(self.annex, second)
		totals = process_pending()
		self.assertEqual((totals.get("Processed"), totals.get("Duplicate")), (1, 1))
		rows = [self.punch_row(item) for item in (first, second)]
		self.assertEqual(rows[0].employee_checkin, rows[1].employee_checkin)
		self.assertEqual(
			frappe.db.count("Employee Checkin", {"employee": self.employee, "time": "2026-05-02 09:00:00"}), 1
		)

	def test_hrms_still_fetches_the_shift_of_an_employee_who_has_one(self):
		self.assertEqual(shiftless_employees({self.employee, self.assigned}), {self.employee})
		with_shift = punch(self.gate, self.assigned_id, "2026-05-04 09:05:00", state=0)
		without = punch(self.gate, self.user_id, "2026-05-04 09:05:00", state=0)
		self.push(self.gate, with_shift, without)
		process_pending()
		checkin = frappe.get_doc("Employee Checkin", self.punch_row(with_shift).employee_checkin)
		self.assertEqual(checkin.shift, self.shift)
		self.assertEqual(str(checkin.shift_start), "2026-05-04 09:00:00")
		plain = frappe.get_doc("Employee Checkin", self.punch_row(without).employee_checkin)
		self.assertFalse(plain.shift)
		self.assertEqual(plain.employee_name, frappe.db.get_value("Employee", self.employee, "employee_name"))

	def test_a_default_shift_counts_as_a_shift(self):
		frappe.db.set_value("Employee", self.employee, "default_shift", self.shift)
		self.addCleanup(frappe.db.set_value, "Employee", self.employee, "default_shift", None)
		self.assertEqual(shiftless_employees({self.employee}), set())

	def test_a_claimed_chunk_blocks_neither_pushes_nor_another_worker(self):
		day = getdate("2001-05-10")  # older than anything else Pending: the chunk starts with these
		items = [
			punch(self.gate, f"NOBODY-{self.token}", f"{add_days(day, i)} 08:00:00", state=0)
			for i in range(3)
		]
		self.push(self.gate, *items)
		frappe.db.commit()
		self.addCleanup(self.drop_punches, items)
		other = other_connection()
		try:
			other.sql("set session innodb_lock_wait_timeout = 2")
			# Another worker holds the oldest punch: this chunk skips it and takes the next ones.
			held = other.sql(
				"select name from `tabBiometric Punch` where name = %s for update", staged_name(items[0])
			)
			self.assertEqual(len(held), 1)
			mine = claim_chunk()
			self.assertNotIn(staged_name(items[0]), mine)
			self.assertIn(staged_name(items[1]), mine)
			other.rollback()
			frappe.db.rollback()

			# While this transaction holds its chunk, pushes from another connection store new Pending punches
			# at once: only the chunk's own rows are locked, no index gaps (a lock wait would time out in 2 s).
			# Twenty random uids land all over the primary key, so a gap lock anywhere would be hit.
			mine = claim_chunk()
			self.assertTrue({staged_name(item) for item in items} <= set(mine))
			for _ in range(20):
				insert_pending_punch(other, self.gate)
			other.rollback()
		finally:
			other.rollback()
			other.close()
		frappe.db.rollback()

	def test_a_chunk_being_processed_does_not_block_pushes(self):
		# A whole chunk: with a long list of names the optimizer would rather scan the table than look each
		# name up, and a scanning UPDATE locks every row and gap it reads.
		day = getdate("2001-06-10")
		items = [
			punch(
				self.gate,
				f"NOBODY-{self.token}",
				f"{add_days(day, i // 100)} 08:{i % 100 // 2:02}:{i % 2:02}",
			)
			for i in range(CHUNK_SIZE)
		]
		self.push(self.gate, *items)
		frappe.db.commit()
		self.addCleanup(self.drop_punches, items)
		other = other_connection()
		try:
			other.sql("set session innodb_lock_wait_timeout = 2")
			# One chunk processed and its outcomes written (one UPDATE), not yet committed: pushes from another
			# connection still store new punches at once (a lock wait would time out in 2 s).
			process_pending(max_chunks=1, commit=False)
			self.assertEqual(self.punch_row(items[0]).status, "Unmapped")
			for _ in range(20):
				insert_pending_punch(other, self.gate)
			other.rollback()
		finally:
			other.rollback()
			other.close()
		frappe.db.rollback()

	def deadlock_once(self, real):
		"""A side effect for ``real`` that, on its first call, does what InnoDB does on a deadlock: rolls the
		whole transaction back (savepoints too) and raises."""
		calls = []

		def effect(*args, **kwargs):
			calls.append(1)
			if len(calls) == 1:
				frappe.db.rollback()
				raise frappe.QueryDeadlockError("1213, Deadlock found when trying to get lock (test)")
			return real(*args, **kwargs)

		return effect

	def assert_every_punch_has_its_checkin(self, items):
		for item in items:
			row = self.punch_row(item)
			self.assertEqual(row.status, "Processed", row.reason)
			self.assertTrue(frappe.db.exists("Employee Checkin", row.employee_checkin), row.employee_checkin)

	def test_a_deadlock_mid_chunk_loses_no_punch_the_chunk_is_done_again(self):
		# Checkins inserted one by one: the second insert deadlocks after the first was inserted, and InnoDB
		# rolls both back. Recording the first as Processed would point at a checkin that no longer exists.
		items = [punch(self.gate, self.user_id, f"2026-05-11 0{h}:00:00", state=0) for h in (7, 8, 9)]
		self.push(self.gate, *items)
		real = processor._no_shift
		with (
			patch.object(bulk_checkins, "why_not", return_value="test: one by one"),
			patch.object(processor, "_no_shift", side_effect=self.deadlock_once(real)) as shift_search,
		):
			self.assertEqual(process_pending(), {"Processed": 3})
		self.assertEqual(shift_search.call_count, 4)  # the first insert, its deadlock, then all three again
		self.assert_every_punch_has_its_checkin(items)

	def test_a_deadlock_of_the_bulk_insert_loses_no_punch(self):
		items = [punch(self.gate, self.user_id, f"2026-05-12 0{h}:00:00", state=0) for h in (7, 8)]
		self.push(self.gate, *items)
		real = bulk_checkins.ChunkRows.flush
		with patch.object(
			bulk_checkins.ChunkRows, "flush", autospec=True, side_effect=self.deadlock_once(real)
		):
			self.assertEqual(process_pending(), {"Processed": 2})
		self.assert_every_punch_has_its_checkin(items)

	def test_a_job_hands_the_worker_back_after_its_time_box_and_queues_its_continuation(self):
		day = getdate("1990-07-10")  # older than anything else Pending: the first chunk is these
		items = [
			punch(
				self.gate,
				f"NOBODY-{self.token}",
				f"{add_days(day, i // 100)} 08:{i % 100 // 2:02}:{i % 2:02}",
			)
			for i in range(CHUNK_SIZE + 10)
		]
		self.push(self.gate, *items)
		self.enqueue.reset_mock()
		# The box is over after the first chunk: one chunk (the oldest) is done, the rest waits for the next run,
		# which is queued at the back of the queue (behind the tick) instead of holding the worker.
		with (
			patch.object(tasks, "JOB_TIME_BOX_SECONDS", 0),
			patch.object(tasks, "get_job_status", return_value=JobStatus.STARTED),
		):
			tasks.process_pending_job()
		statuses = [self.punch_row(item).status for item in items]
		self.assertEqual(statuses[:CHUNK_SIZE], ["Unmapped"] * CHUNK_SIZE)
		self.assertEqual(statuses[CHUNK_SIZE:], ["Pending"] * 10)
		self.assertEqual(
			[call.kwargs.get("job_id") for call in self.enqueue.call_args_list], [tasks.FOLLOW_UP_JOB_ID]
		)
		process_pending()
		self.assertEqual(self.punch_row(items[-1]).status, "Unmapped")

	def test_partitions_split_punches_by_device_user_id_and_each_id_stays_in_one(self):
		user_ids = [f"PART-{self.token}-{i}" for i in range(12)]
		items = [
			punch(self.gate, user_id, f"1991-03-{1 + day:02d} 08:00:00")
			for user_id in user_ids
			for day in range(3)
		]
		self.push(self.gate, *items)
		in_first = {
			user_id
			for user_id in user_ids
			if frappe.db.sql("select crc32(%s) %% 2", user_id)[0][0] == 0  # the partition's own rule, in SQL
		}
		self.assertTrue(0 < len(in_first) < len(user_ids))
		process_pending(partition=(0, 2))
		done = {item["user_id"] for item in items if self.punch_row(item).status != "Pending"}
		self.assertEqual(done, in_first)  # every punch of those ids, none of the others
		process_pending(partition=(1, 2))
		self.assertFalse(any(self.punch_row(item).status == "Pending" for item in items))

	def test_one_processing_job_per_partition_with_more_workers(self):
		self.enqueue.reset_mock()
		with (
			patch.object(tasks, "partition_count", return_value=3),
			patch.object(tasks, "get_job_status", return_value=None),
		):
			tasks.enqueue_processing()
		queued = [(call.kwargs["job_id"], call.kwargs["partition"]) for call in self.enqueue.call_args_list]
		self.assertEqual(
			queued,
			[(f"{tasks.PROCESS_JOB_ID}:{i}of3", [i, 3]) for i in range(3)],
		)

	def test_one_processing_job_per_worker_unless_the_site_config_caps_them(self):
		from frappe.utils.background_jobs import generate_qname

		default = type("Worker", (), {"queue_names": lambda self: [generate_qname("default")]})()
		long_only = type("Worker", (), {"queue_names": lambda self: [generate_qname("long")]})()
		cpus = patch("os.cpu_count", return_value=8)
		with cpus, patch.dict(frappe.conf, {"biometric_sync_processing_jobs": None}):
			with patch("frappe.utils.background_jobs.get_workers", return_value=[default] * 3 + [long_only]):
				self.assertEqual(unpatched_partition_count(), 3)  # workers serving the default queue
			with patch("frappe.utils.background_jobs.get_workers", return_value=[default] * 6):
				self.assertEqual(unpatched_partition_count(), tasks.MAX_PARTITIONS)
				with patch("os.cpu_count", return_value=2):
					self.assertEqual(unpatched_partition_count(), 2)  # four jobs on two cores were slower
			with patch("frappe.utils.background_jobs.get_workers", return_value=[]):
				self.assertEqual(unpatched_partition_count(), 1)  # a job waits for a worker to come
		with cpus, patch("frappe.utils.background_jobs.get_workers", return_value=[default] * 3):
			with patch.dict(frappe.conf, {"biometric_sync_processing_jobs": 1}):
				self.assertEqual(unpatched_partition_count(), 1)
			with patch.dict(frappe.conf, {"biometric_sync_processing_jobs": 2}):
				self.assertEqual(unpatched_partition_count(), 2)
			with patch.dict(frappe.conf, {"biometric_sync_processing_jobs": 8}):
				self.assertEqual(unpatched_partition_count(), 3)  # no more than the workers

	def test_a_follow_up_does_not_run_beside_its_partitions_running_job(self):
		item = punch(self.gate, f"NOBODY-{self.token}", "1991-04-01 08:00:00")
		self.push(self.gate, item)
		other = other_connection()
		try:
			self.assertEqual(other.sql("select get_lock('biometric_sync:processing:0of1', 0)")[0][0], 1)
			# Returns at once (no worker kept waiting for the partition) and leaves the punch to the running job.
			tasks.process_pending_job()
			self.assertEqual(self.punch_row(item).status, "Pending")
		finally:
			other.sql("select release_lock('biometric_sync:processing:0of1')")
			other.close()
		tasks.process_pending_job()
		self.assertEqual(self.punch_row(item).status, "Unmapped")

	def test_the_run_holding_the_lock_looks_again_after_releasing_it(self):
		# A punch staged while the run held its partition (its follow-up found the lock taken and ended): the run
		# sees it once it has released the lock, and asks for another run.
		late = punch(self.gate, f"NOBODY-{self.token}", "1991-04-02 08:00:00")

		def run_meanwhile_a_push_arrives(**kwargs):
			self.push(self.gate, late)
			return {}

		with (
			patch(
				"biometric_sync.ingest.processor.process_pending", side_effect=run_meanwhile_a_push_arrives
			),
			patch.object(tasks, "ensure_a_run_after_commit") as another_run,
		):
			tasks.process_pending_job()
		another_run.assert_called_once_with((0, 1))
		self.drop_punches([late])

	def test_a_run_is_queued_behind_a_running_job(self):
		cases = [
			({}, tasks.PROCESS_JOB_ID),
			({tasks.PROCESS_JOB_ID: JobStatus.FINISHED}, tasks.PROCESS_JOB_ID),
			({tasks.PROCESS_JOB_ID: JobStatus.STARTED}, tasks.FOLLOW_UP_JOB_ID),
			({tasks.PROCESS_JOB_ID: JobStatus.QUEUED}, None),
			({tasks.PROCESS_JOB_ID: JobStatus.STARTED, tasks.FOLLOW_UP_JOB_ID: JobStatus.QUEUED}, None),
		]
		for states, expected in cases:
			with self.subTest(states=states):
				self.enqueue.reset_mock()
				with patch.object(tasks, "get_job_status", side_effect=states.get):
					tasks.ensure_a_run_after_commit()
				queued = [call.kwargs.get("job_id") for call in self.enqueue.call_args_list]
				self.assertEqual(queued, [expected] if expected else [])

	def test_a_push_while_the_job_runs_asks_for_a_follow_up_after_its_commit(self):
		item = punch(self.gate, f"NOBODY-{self.token}", "2026-05-20 08:00:00")
		with (
			patch.object(tasks, "get_job_status", return_value=None),
			patch.object(tasks, "ensure_a_run_after_commit") as after_commit,
		):
			self.push(self.gate, item)  # commits
		self.assertTrue(self.processing_enqueued())
		after_commit.assert_not_called()  # the job is not running: the deduplicated enqueue is enough

		item = punch(self.gate, f"NOBODY-{self.token}", "2026-05-20 08:00:01")
		with (
			patch.object(tasks, "get_job_status", return_value=JobStatus.STARTED),
			patch.object(tasks, "ensure_a_run_after_commit") as after_commit,
		):
			self.push(self.gate, item)
		after_commit.assert_called_once()
