"""Command lifecycle: create → claim → progress → complete; expiry; re-offer of stale claims; Desk methods."""

from unittest.mock import patch

import frappe
from frappe.utils import add_to_date, now_datetime

from biometric_sync.api import desk
from biometric_sync.api import sidecar as api
from biometric_sync.api.ingest import push_punches
from biometric_sync.errors import BiometricSyncError
from biometric_sync.outbox import outbox
from biometric_sync.sidecars import create_sidecar
from biometric_sync.tests.factories import (
	PREFIX,
	BiometricTestCase,
	as_user,
	make_device,
	make_user,
	other_connection,
	punch,
)


class TestCommandLifecycle(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.mine = create_sidecar(f"{PREFIX} Cmd")
		cls.theirs = create_sidecar(f"{PREFIX} Cmd Other")
		cls.my_user = frappe.db.get_value("Biometric Sidecar", cls.mine["sidecar"], "api_user")
		cls.their_user = frappe.db.get_value("Biometric Sidecar", cls.theirs["sidecar"], "api_user")
		cls.device = make_device("Cmd Gate", cls.mine["sidecar"], time_zone="Asia/Dubai")
		cls.manager = make_user("bsync-cmd-manager", ["Biometric Manager"])
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		frappe.db.delete(
			"Biometric Command", {"sidecar": ("in", [self.mine["sidecar"], self.theirs["sidecar"]])}
		)

	def claim(self, user=None, sidecar=None):
		with as_user(user or self.my_user):
			return api.claim_commands(sidecar or self.mine["sidecar"])["commands"]

	def test_sync_now_to_done(self):
		with as_user(self.manager):
			command = desk.sync_now(self.device)["command"]
		doc = frappe.get_doc("Biometric Command", command)
		self.assertEqual((doc.command_type, doc.status, doc.trigger), ("pull", "Queued", "manual"))
		self.assertGreater(doc.expires_on, now_datetime())

		claimed = self.claim()
		self.assertEqual([c["name"] for c in claimed], [command])
		self.assertEqual(
			(claimed[0]["command_type"], claimed[0]["device"], claimed[0]["attempts"]),
			("pull", self.device, 1),
		)
		log = claimed[0]["sync_log"]
		self.assertEqual(
			frappe.db.get_value("Biometric Sync Log", log, ["trigger", "status"]), ("manual", "Running")
		)
		self.assertEqual(self.claim(), [])  # claimed once only

		with as_user(self.my_user):
			self.assertEqual(api.report_progress(command, 50, 200, "reading")["status"], "Running")
		self.assertEqual(
			frappe.db.get_value(
				"Biometric Command", command, ["progress_done", "progress_total", "progress_message"]
			),
			(50, 200, "reading"),
		)
		with as_user(self.my_user):
			result = {"read": 200, "read_through": "2026-05-01 10:00:00", "clock_drift_seconds": 4}
			self.assertEqual(api.complete_command(command, "Done", frappe.as_json(result))["status"], "Done")
		doc.reload()
		self.assertEqual((doc.status, doc.progress_done), ("Done", 200))
		self.assertEqual(frappe.parse_json(doc.result)["read"], 200)
		log_row = frappe.db.get_value(
			"Biometric Sync Log", log, ["status", "read_count", "finished"], as_dict=True
		)
		self.assertEqual((log_row.status, log_row.read_count), ("Success", 200))
		self.assertIsNotNone(log_row.finished)
		device = frappe.db.get_value(
			"Biometric Device", self.device, ["status", "read_through", "clock_drift_seconds"], as_dict=True
		)
		self.assertEqual((device.status, device.clock_drift_seconds), ("Online", 4))
		self.assertEqual(str(device.read_through), "2026-05-01 11:30:00")  # Dubai 10:00 = Kolkata 11:30

		with as_user(self.my_user):  # a repeated completion changes nothing
			self.assertEqual(api.complete_command(command, "Failed", {"error": "late"})["status"], "Done")
		self.assertEqual(frappe.db.get_value("Biometric Command", command, "status"), "Done")

	def test_a_runs_uploads_count_as_new_without_counting_as_read_again(self):
		command = outbox.create_command("pull", self.mine["sidecar"], self.device)
		log = self.claim()[0]["sync_log"]
		items = [punch(self.device, "RUN-COUNT", f"2026-05-02 08:00:0{i}") for i in range(3)]
		with as_user(self.my_user):
			push_punches(self.mine["sidecar"], self.device, items[:2], log)
			# An old read_through: the device's watermark must not move ahead of what other tests set.
			api.complete_command(command, "Done", {"read": 3, "read_through": "2000-01-01 00:00:00"})
			push_punches(self.mine["sidecar"], self.device, items[2:], log)  # an upload after the result
		row = frappe.db.get_value("Biometric Sync Log", log, ["read_count", "new_count"], as_dict=True)
		self.assertEqual((row.read_count, row.new_count), (3, 3))

	def test_sync_now_with_a_range_converts_to_device_time(self):
		with as_user(self.manager):
			command = desk.sync_now(self.device, "2026-05-01", "2026-05-02 12:00:00")["command"]
		doc = frappe.get_doc("Biometric Command", command)
		self.assertEqual(doc.command_type, "pull_range")
		# site Asia/Kolkata → device Asia/Dubai: 90 minutes earlier
		self.assertEqual(
			frappe.parse_json(doc.payload), {"from": "2026-04-30 22:30:00", "to": "2026-05-02 10:30:00"}
		)
		with as_user(self.manager), self.assertRaises(BiometricSyncError) as caught:
			desk.sync_now(self.device, "2026-05-03", "2026-05-01")
		self.assertEqual(caught.exception.code, "INVALID_ARGUMENT")

	def test_failed_command_marks_the_device_and_the_log(self):
		with as_user(self.manager):
			command = desk.sync_now(self.device)["command"]
		log = self.claim()[0]["sync_log"]
		with as_user(self.my_user):
			api.complete_command(command, "Failed", {"error": "connection refused"})
		self.assertEqual(
			frappe.db.get_value("Biometric Sync Log", log, ["status", "error"]),
			("Failed", "connection refused"),
		)
		self.assertEqual(
			frappe.db.get_value("Biometric Device", self.device, ["status", "last_error"]),
			("Error", "connection refused"),
		)

	def test_a_device_that_cannot_be_reached_is_offline_with_its_error(self):
		with as_user(self.manager):
			command = desk.sync_now(self.device)["command"]
		self.claim()
		error = "DEVICE_UNREACHABLE: 192.0.2.10:4370 did not answer"
		with as_user(self.my_user):
			api.complete_command(command, "Failed", {"error": error, "code": "DEVICE_UNREACHABLE"})
		self.assertEqual(
			frappe.db.get_value("Biometric Device", self.device, ["status", "last_error"]), ("Offline", error)
		)

	def test_test_connection_and_status_for_the_dialog(self):
		with as_user(self.manager):
			command = desk.test_connection(self.device)["command"]
		claimed = self.claim()
		self.assertEqual(claimed[0]["command_type"], "test_connection")
		self.assertIsNone(claimed[0]["sync_log"])
		with as_user(self.my_user):
			api.complete_command(
				command, "Done", {"memory_used_percent": 12, "device_time": "2026-05-01 10:00:00"}
			)
		with as_user(self.manager):
			status = desk.command_status(command)
		self.assertEqual(status.status, "Done")
		self.assertEqual(status.result["device_time"], "2026-05-01 10:00:00")

	def test_only_managers_use_the_desk_methods(self):
		hr_user = make_user("bsync-cmd-hr", ["HR User"])
		with as_user(hr_user), self.assertRaises(BiometricSyncError) as caught:
			desk.sync_now(self.device)
		self.assertEqual((caught.exception.code, caught.exception.http_status_code), ("NOT_PERMITTED", 403))

	def test_a_sidecar_cannot_touch_another_sidecars_commands(self):
		command = outbox.create_command("pull", self.mine["sidecar"], self.device)
		self.assertEqual(self.claim(self.their_user, self.theirs["sidecar"]), [])
		with as_user(self.their_user):
			for call in (
				lambda: api.report_progress(command, 1, 2),
				lambda: api.complete_command(command, "Done"),
			):
				with self.assertRaises(BiometricSyncError) as caught:
					call()
				self.assertEqual(caught.exception.code, "NOT_YOUR_SIDECAR")
		with as_user(self.my_user), self.assertRaises(BiometricSyncError) as caught:
			api.complete_command(command, "Finished")
		self.assertEqual(caught.exception.code, "INVALID_STATUS")
		with as_user(self.my_user), self.assertRaises(BiometricSyncError) as caught:
			api.report_progress(f"{PREFIX} no such command", 1, 2)
		self.assertEqual((caught.exception.code, caught.exception.http_status_code), ("UNKNOWN_COMMAND", 404))

	def test_stale_commands_expire(self):
		queued = outbox.create_command("pull", self.mine["sidecar"], self.device)
		running = outbox.create_command("pull", self.mine["sidecar"], self.device)
		self.claim()
		past = add_to_date(now_datetime(), minutes=-1)
		frappe.db.set_value("Biometric Command", [queued, running], "expires_on", past)
		frappe.db.set_value("Biometric Command", queued, "status", "Queued")
		self.assertEqual(self.claim(), [])  # expired commands are not handed out
		fresh = outbox.create_command("test_connection", self.mine["sidecar"], self.device)
		expired = set(outbox.expire_stale())
		# expire_stale is site-wide: on a shared site other stale commands may expire too.
		self.assertTrue({queued, running} <= expired)
		self.assertNotIn(fresh, expired)
		self.assertEqual(frappe.db.get_value("Biometric Command", fresh, "status"), "Queued")
		for name in (queued, running):
			self.assertEqual(frappe.db.get_value("Biometric Command", name, "status"), "Expired")
		log = frappe.db.get_value("Biometric Command", running, "sync_log")
		self.assertEqual(frappe.db.get_value("Biometric Sync Log", log, "status"), "Failed")

	def test_a_silent_claim_is_offered_again(self):
		command = outbox.create_command("pull", self.mine["sidecar"], self.device)
		first = self.claim()[0]
		old = add_to_date(now_datetime(), minutes=-(outbox.LEASE_MINUTES + 1))
		frappe.db.set_value("Biometric Command", command, "modified", old, update_modified=False)
		again = self.claim()
		self.assertEqual([c["name"] for c in again], [command])
		self.assertEqual(again[0]["attempts"], 2)
		self.assertEqual(again[0]["sync_log"], first["sync_log"])

	def test_a_disabled_device_gets_no_commands_until_it_is_enabled_again(self):
		queued = outbox.create_command(
			"user_set", self.mine["sidecar"], self.device, {"user_id": "41", "name": "Asha"}
		)
		frappe.db.set_value("Biometric Device", self.device, "enabled", 0)
		try:
			# Not handed out (the sidecar would only refuse it and retry it for days), still waiting.
			self.assertEqual(self.claim(), [])
			self.assertEqual(frappe.db.get_value("Biometric Command", queued, "status"), "Queued")
			with as_user(self.manager):
				for call in (desk.sync_now, desk.test_connection, desk.read_users, desk.enrol_now):
					with self.subTest(call.__name__), self.assertRaises(BiometricSyncError) as caught:
						call(self.device)
					self.assertEqual(caught.exception.code, "DEVICE_DISABLED")
		finally:
			frappe.db.set_value("Biometric Device", self.device, "enabled", 1)
		self.assertEqual([c["name"] for c in self.claim()], [queued])

	def test_a_claim_in_progress_blocks_no_new_command_for_the_sidecar(self):
		outbox.create_command("pull", self.mine["sidecar"], self.device)
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.delete, "Biometric Command", {"sidecar": self.mine["sidecar"]})
		# The claim's transaction is still open while a Sync Now inserts another command for the same sidecar:
		# the claim locks its own rows only (no index gaps), so the insert does not wait (it would time out in 2 s).
		self.assertEqual(len(outbox.claim(self.mine["sidecar"])), 1)
		other = other_connection()
		try:
			other.sql("set session innodb_lock_wait_timeout = 2")
			for _ in range(5):
				name = f"{PREFIX}-{frappe.generate_hash(length=10)}"
				other.sql(
					"""insert into `tabBiometric Command` (name, command_type, sidecar, device, status, creation,
					modified, owner, modified_by, docstatus, idx)
					values (%(name)s, 'pull', %(sidecar)s, %(device)s, 'Queued', now(), now(), 'Administrator',
					'Administrator', 0, 0)""",
					{"name": name, "sidecar": self.mine["sidecar"], "device": self.device},
				)
			other.rollback()
		finally:
			other.rollback()
			other.close()
		frappe.db.rollback()

	def test_sync_now_is_retried_on_a_deadlock_instead_of_failing(self):
		original = outbox.create_command
		calls = []

		def deadlocks_once(*args, **kwargs):
			calls.append(1)
			if len(calls) == 1:
				raise frappe.QueryDeadlockError("(1213, 'Deadlock found when trying to get lock')")
			return original(*args, **kwargs)

		with patch.object(outbox, "create_command", deadlocks_once), as_user(self.manager):
			command = desk.sync_now(self.device)["command"]
		self.assertEqual(len(calls), 2)
		self.assertEqual(frappe.db.get_value("Biometric Command", command, "status"), "Queued")

	def test_new_commands_nudge_the_sidecar_user(self):
		published = []
		original = frappe.publish_realtime

		def spy(event=None, message=None, *args, **kwargs):
			published.append((event, message, kwargs.get("user")))
			return original(event, message, *args, **kwargs)

		frappe.publish_realtime = spy
		try:
			command = outbox.create_command("reload_config", self.mine["sidecar"])
		finally:
			frappe.publish_realtime = original
		self.assertIn(("biometric_sync:command", {"command": command}, self.my_user), published)

	def test_device_changes_queue_one_reload_config(self):
		doc = frappe.get_doc("Biometric Device", self.device)
		doc.host = "192.0.2.99"
		doc.save()
		doc.port = 4371
		doc.save()
		reloads = frappe.get_all(
			"Biometric Command",
			filters={"sidecar": self.mine["sidecar"], "command_type": "reload_config", "status": "Queued"},
		)
		self.assertEqual(len(reloads), 1)

	def test_a_new_comm_key_of_the_same_length_reaches_the_sidecar(self):
		# Frappe masks a saved Password field as "*" per character, so "1111" → "4242" looked unchanged and
		# the sidecar kept using the wrong key until its periodic refresh (found on a bench: fixing a wrong comm
		# key, Test Connection still said "rejected the comm key").
		queued = {"sidecar": self.mine["sidecar"], "command_type": "reload_config", "status": "Queued"}
		doc = frappe.get_doc("Biometric Device", self.device)
		doc.comm_key = "1111"
		doc.save()
		frappe.db.set_value("Biometric Command", queued, "status", "Done")  # the sidecar took that one
		doc = frappe.get_doc("Biometric Device", self.device)
		doc.comm_key = "4242"
		doc.save()
		self.assertEqual(len(frappe.get_all("Biometric Command", filters=queued)), 1)
		frappe.db.set_value("Biometric Command", queued, "status", "Done")
		doc = frappe.get_doc("Biometric Device", self.device)
		doc.save()
		self.assertEqual(len(frappe.get_all("Biometric Command", filters=queued)), 0)
