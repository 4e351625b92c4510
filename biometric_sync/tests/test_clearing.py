"""Clearing a device's log, the site's part: who may ask, confirm_punches, the Sync Log of a clear, refusals,
and the scheduler's clear at the memory threshold (the sidecar's part is tested against the ZK simulator)."""

import frappe
from frappe.utils import add_to_date, now_datetime

from biometric_sync.api import desk
from biometric_sync.api import sidecar as api
from biometric_sync.api.ingest import push_punches
from biometric_sync.errors import BiometricSyncError
from biometric_sync.outbox import scheduler
from biometric_sync.sidecars import create_sidecar
from biometric_sync.tests.factories import (
	PREFIX,
	BiometricTestCase,
	as_user,
	make_device,
	make_user,
	punch,
	run_token,
)


class TestClearLog(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.mine = create_sidecar(f"{PREFIX} Clear")
		cls.theirs = create_sidecar(f"{PREFIX} Clear Other")
		cls.my_user = frappe.db.get_value("Biometric Sidecar", cls.mine["sidecar"], "api_user")
		cls.their_user = frappe.db.get_value("Biometric Sidecar", cls.theirs["sidecar"], "api_user")
		cls.device = make_device("Clear Gate", cls.mine["sidecar"], allow_clear_log=1)
		cls.locked = make_device("Clear Locked", cls.mine["sidecar"])
		cls.manager = make_user("bsync-clear-manager", ["Biometric Manager"])
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		frappe.db.delete("Biometric Command", {"sidecar": self.mine["sidecar"]})
		frappe.db.set_value(
			"Biometric Device",
			self.device,
			{"status": "Online", "last_error": None, "memory_used_percent": 0},
		)

	def claim(self):
		with as_user(self.my_user):
			return api.claim_commands(self.mine["sidecar"])["commands"]

	def test_confirm_punches_lists_what_is_not_staged_for_that_device(self):
		token = run_token()
		staged = punch(self.device, token, "2026-06-01 09:00:00")
		elsewhere = punch(self.locked, token, "2026-06-01 09:00:00")
		never = punch(self.device, token, "2026-06-01 18:00:00")
		keys = [{"uid": item["uid"], "time": item["time"]} for item in (staged, never, elsewhere)]
		with as_user(self.my_user):
			push_punches(self.mine["sidecar"], self.device, [staged])
			push_punches(self.mine["sidecar"], self.locked, [elsewhere])
			answer = api.confirm_punches(self.mine["sidecar"], self.device, punches=frappe.as_json(keys))
			# A sidecar from before punches were named by time and uid sends the uids alone.
			old_sidecar = api.confirm_punches(
				self.mine["sidecar"], self.device, uids=[staged["uid"], never["uid"], elsewhere["uid"]]
			)
			# The staged uid with another time is not that punch.
			wrong_time = api.confirm_punches(
				self.mine["sidecar"],
				self.device,
				punches=[{"uid": staged["uid"], "time": "2026-06-01 09:00:01"}],
			)
		# Another device's punch does not confirm this device's log.
		self.assertEqual(answer, {"missing": [never["uid"], elsewhere["uid"]]})
		self.assertEqual(old_sidecar, answer)
		self.assertEqual(wrong_time, {"missing": [staged["uid"]]})

	def test_confirm_punches_refuses_another_sidecars_device_and_oversized_or_malformed_asks(self):
		one = [{"uid": "a" * 64, "time": "2026-06-01 09:00:00"}]
		with as_user(self.their_user), self.assertRaises(BiometricSyncError) as caught:
			api.confirm_punches(self.theirs["sidecar"], self.device, punches=one)
		self.assertEqual(caught.exception.code, "DEVICE_NOT_OWNED")
		with as_user(self.my_user), self.assertRaises(BiometricSyncError) as caught:
			api.confirm_punches(self.mine["sidecar"], self.device, punches=one * (api.MAX_CONFIRM_UIDS + 1))
		self.assertEqual(caught.exception.code, "BATCH_TOO_LARGE")
		with as_user(self.my_user), self.assertRaises(BiometricSyncError) as caught:
			api.confirm_punches(self.mine["sidecar"], self.device, uids=["a"] * (api.MAX_CONFIRM_UIDS + 1))
		self.assertEqual(caught.exception.code, "BATCH_TOO_LARGE")
		malformed = [
			{"punches": "[1, 2]"},
			{"punches": [{"uid": "a" * 64}]},
			{"punches": [{"uid": "a" * 64, "time": "2026-06-01T09:00:00"}]},
			{"punches": [{"uid": "a" * 64, "time": "2026-02-30 09:00:00"}]},
			{"uids": "[1, 2]"},
			{},
		]
		for arguments in malformed:
			with (
				self.subTest(arguments),
				as_user(self.my_user),
				self.assertRaises(BiometricSyncError) as caught,
			):
				api.confirm_punches(self.mine["sidecar"], self.device, **arguments)
			self.assertEqual(caught.exception.code, "INVALID_ARGUMENT")

	def test_clear_log_only_where_allowed_and_one_at_a_time(self):
		with as_user(self.manager), self.assertRaises(BiometricSyncError) as caught:
			desk.clear_log(self.locked)
		self.assertEqual(caught.exception.code, "CLEAR_NOT_ALLOWED")
		with as_user(self.manager):
			first = desk.clear_log(self.device)["command"]
			again = desk.clear_log(self.device)["command"]
		self.assertEqual(first, again)
		self.assertEqual(
			frappe.db.get_value("Biometric Command", first, ["command_type", "requested_by"]),
			("clear_log", self.manager),
		)

	def test_families_that_cannot_clear_do_not_keep_the_setting(self):
		hik = make_device(
			"Clear Hik", self.mine["sidecar"], driver="hikvision", allow_clear_log=1, username="admin"
		)
		self.assertEqual(frappe.db.get_value("Biometric Device", hik, "allow_clear_log"), 0)
		with as_user(self.manager), self.assertRaises(BiometricSyncError) as caught:
			desk.clear_log(hik)
		self.assertEqual(caught.exception.code, "CLEAR_NOT_ALLOWED")

	def test_a_clear_is_recorded_with_its_counts_and_who_asked(self):
		with as_user(self.manager):
			command = desk.clear_log(self.device)["command"]
		claimed = self.claim()
		self.assertEqual([c["command_type"] for c in claimed], ["clear_log"])
		log = claimed[0]["sync_log"]
		self.assertEqual(
			frappe.db.get_value("Biometric Sync Log", log, ["trigger", "requested_by", "command"]),
			("manual", self.manager, command),
		)
		result = {"read": 3000, "confirmed": 3000, "cleared": 3000, "remaining": 0, "memory_used_percent": 0}
		with as_user(self.my_user):
			api.complete_command(command, "Done", result)
		row = frappe.db.get_value(
			"Biometric Sync Log", log, ["status", "read_count", "cleared_count"], as_dict=True
		)
		self.assertEqual((row.status, row.read_count, row.cleared_count), ("Success", 3000, 3000))
		self.assertEqual(frappe.db.get_value("Biometric Device", self.device, "memory_used_percent"), 0)

	def test_a_refused_clear_says_why_and_leaves_the_device_healthy(self):
		with as_user(self.manager):
			command = desk.clear_log(self.device)["command"]
		log = self.claim()[0]["sync_log"]
		reason = "CLEAR_LOG_CHANGED: Clear Gate: 1 record(s) on the device were taken after the read"
		with as_user(self.my_user):
			api.complete_command(command, "Failed", {"error": reason, "code": "CLEAR_LOG_CHANGED"})
		self.assertEqual(
			frappe.db.get_value("Biometric Sync Log", log, ["status", "error", "cleared_count"]),
			("Failed", reason, 0),
		)
		self.assertEqual(
			frappe.db.get_value("Biometric Device", self.device, ["status", "last_error"]), ("Online", None)
		)

	def test_the_scheduler_asks_for_a_clear_at_the_memory_threshold_not_again_for_hours(self):
		settings = frappe._dict(memory_alert_percent=80)
		frappe.db.set_value("Biometric Device", self.device, "memory_used_percent", 92)
		frappe.db.set_value("Biometric Device", self.locked, "memory_used_percent", 99)
		now = now_datetime()
		created = scheduler.create_due_clears(now, settings)
		self.assertEqual(
			[frappe.db.get_value("Biometric Command", c, ["device", "trigger"]) for c in created],
			[(self.device, "schedule")],
		)
		# Refused or done, it is not asked again within RETRY_HOURS; after that it is.
		frappe.db.set_value("Biometric Command", created[0], "status", "Failed")
		self.assertEqual(scheduler.create_due_clears(now, settings), [])
		later = add_to_date(now, hours=7)
		self.assertEqual(len(scheduler.create_due_clears(later, settings)), 1)
		# No threshold set: never.
		frappe.db.delete("Biometric Command", {"sidecar": self.mine["sidecar"]})
		self.assertEqual(scheduler.create_due_clears(now, frappe._dict(memory_alert_percent=0)), [])
