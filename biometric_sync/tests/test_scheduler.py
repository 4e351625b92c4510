"""The per-minute tick: due pulls, silent sidecars, alerts, retention."""

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_to_date, now_datetime

from biometric_sync.api.ingest import push_punches
from biometric_sync.ingest.processor import process_pending
from biometric_sync.outbox import scheduler
from biometric_sync.tests.factories import (
	PREFIX,
	BiometricTestCase,
	make_device,
	make_sidecar,
	make_user,
	punch,
	staged_name,
)


class TestScheduler(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = make_user("bsync-alerts", ["Biometric Manager"])
		cls.sidecar = make_sidecar("Sched")
		cls.zk = make_device("Sched ZK", cls.sidecar, pull_interval=5)
		cls.adms = make_device("Sched ADMS", cls.sidecar, driver="adms", pull_interval=5)
		cls.disabled = make_device("Sched Off", cls.sidecar, enabled=0, pull_interval=5)
		cls.manual_only = make_device("Sched Manual", cls.sidecar, pull_interval=0)
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		frappe.db.delete("Biometric Command", {"sidecar": self.sidecar})

	def ours(self, names):
		return sorted(n for n in names if n.startswith(PREFIX))

	def pulls(self, device):
		return frappe.get_all(
			"Biometric Command",
			filters={"device": device, "command_type": "pull"},
			fields=["name", "status", "trigger", "creation"],
		)

	def test_due_pulls_are_created_once_per_interval(self):
		now = now_datetime()
		created = scheduler.create_due_pulls(now)
		self.assertEqual(
			self.ours(frappe.db.get_value("Biometric Command", c, "device") for c in created), [self.zk]
		)
		[command] = self.pulls(self.zk)
		self.assertEqual((command.status, command.trigger), ("Queued", "schedule"))

		self.assertEqual([d.name for d in scheduler.due_devices(now) if d.name == self.zk], [])  # one is open
		frappe.db.set_value("Biometric Command", command.name, "status", "Done")
		self.assertEqual(
			[d.name for d in scheduler.due_devices(add_to_date(now, minutes=4)) if d.name == self.zk], []
		)
		self.assertEqual(
			[d.name for d in scheduler.due_devices(add_to_date(now, minutes=6)) if d.name == self.zk],
			[self.zk],
		)
		for device in (self.adms, self.disabled, self.manual_only):
			self.assertEqual(self.pulls(device), [])

	def test_silent_sidecars_go_offline_with_an_alert(self):
		silent = make_sidecar("Sched Silent")
		alive = make_sidecar("Sched Alive")
		now = now_datetime()
		frappe.db.set_value(
			"Biometric Sidecar", silent, {"status": "Online", "last_heartbeat": add_to_date(now, minutes=-30)}
		)
		frappe.db.set_value(
			"Biometric Sidecar", alive, {"status": "Online", "last_heartbeat": add_to_date(now, minutes=-1)}
		)
		# Its devices: one the sidecar last read fine, one in error; and a device of the sidecar still calling.
		seen = add_to_date(now, minutes=-31)
		healthy = make_device("Sched Silent OK", silent)
		failing = make_device("Sched Silent Err", silent)
		elsewhere = make_device("Sched Alive OK", alive)
		frappe.db.set_value("Biometric Device", healthy, {"status": "Online", "last_seen": seen})
		frappe.db.set_value(
			"Biometric Device", failing, {"status": "Error", "last_error": "DEVICE_TIMEOUT: no answer"}
		)
		frappe.db.set_value("Biometric Device", elsewhere, {"status": "Online", "last_seen": now})
		marked = scheduler.mark_silent_sidecars(now, frappe.get_cached_doc("Biometric Sync Settings"))
		self.assertEqual(self.ours(marked), [silent])
		self.assertEqual(frappe.db.get_value("Biometric Sidecar", silent, "status"), "Offline")
		self.assertEqual(frappe.db.get_value("Biometric Sidecar", alive, "status"), "Online")
		# Nothing vouches for the silent sidecar's devices: Online no longer says what is true (found on a bench:
		# with the sidecar stopped, every device stayed Online beside a "sidecar silent" alert).
		device = lambda name: frappe.db.get_value(  # noqa: E731
			"Biometric Device", name, ["status", "last_seen", "last_error"], as_dict=True
		)
		self.assertEqual((device(healthy).status, device(healthy).last_seen), ("Offline", seen))
		self.assertEqual(
			(device(failing).status, device(failing).last_error), ("Error", "DEVICE_TIMEOUT: no answer")
		)
		self.assertEqual(device(elsewhere).status, "Online")
		self.assertTrue(
			frappe.db.exists(
				"Notification Log", {"for_user": self.manager, "document_name": silent, "type": "Alert"}
			)
		)

	def test_alerts_reach_hr_and_system_managers_administrator_and_the_listed_users(self):
		hr = make_user("bsync-alert-hr", ["HR Manager"])
		listed = make_user("bsync-alert-listed", ["Employee"])
		bystander = make_user("bsync-alert-bystander", ["Employee"])
		settings = frappe.get_doc("Biometric Sync Settings")
		previous = settings.alert_users
		settings.alert_users = listed
		settings.save()
		self.addCleanup(frappe.db.set_single_value, "Biometric Sync Settings", "alert_users", previous)
		frappe.db.set_value("Biometric Device", self.zk, "memory_used_percent", 99)
		self.addCleanup(frappe.db.delete, "Notification Log", {"document_name": self.zk})
		self.addCleanup(
			frappe.db.set_value, "Biometric Device", self.zk, {"memory_used_percent": 0, "open_alerts": None}
		)
		scheduler.device_alerts(frappe.get_doc("Biometric Sync Settings"))
		alerted = set(
			frappe.get_all(
				"Notification Log",
				filters={"document_name": self.zk, "subject": ("like", "Log memory%")},
				pluck="for_user",
			)
		)
		self.assertTrue({"Administrator", hr, listed, self.manager} <= alerted, alerted)
		self.assertNotIn(bystander, alerted)

	def test_a_device_unreachable_for_long_is_an_alert(self):
		gone = make_device("Sched Gone", self.sidecar, pull_interval=0)
		now = now_datetime()
		self.addCleanup(frappe.db.delete, "Notification Log", {"document_name": gone})
		unreachable = lambda: frappe.get_all(  # noqa: E731
			"Notification Log", filters={"document_name": gone, "subject": ("like", "%cannot be reached")}
		)
		settings = frappe._dict(
			clock_drift_alert_seconds=0, memory_alert_percent=0, device_offline_alert_minutes=60
		)
		error = "DEVICE_UNREACHABLE: 192.0.2.10:4370 did not answer"
		# Offline for 20 minutes: not yet.
		frappe.db.set_value(
			"Biometric Device",
			gone,
			{"status": "Offline", "last_seen": add_to_date(now, minutes=-20), "last_error": error},
		)
		scheduler.device_alerts(settings)
		self.assertEqual(unreachable(), [])
		# Two hours: an alert, once.
		frappe.db.set_value("Biometric Device", gone, "last_seen", add_to_date(now, hours=-2))
		self.assertIn((gone, "unreachable"), scheduler.device_alerts(settings))
		scheduler.device_alerts(settings)
		self.assertGreaterEqual(len(unreachable()), 1)
		count = len(unreachable())
		scheduler.device_alerts(settings)
		self.assertEqual(len(unreachable()), count)
		# The page shows it too.
		from biometric_sync.api import ui

		self.assertIn(("unreachable", gone), {(a["kind"], a["name"]) for a in ui.overview()["alerts"]})
		# An Error (it answered, wrongly) is not "unreachable".
		frappe.db.set_value("Biometric Device", gone, {"status": "Error", "open_alerts": None})
		self.assertNotIn((gone, "unreachable"), scheduler.device_alerts(settings))

	def test_a_setting_added_by_a_newer_version_gets_its_default_on_migrate(self):
		from biometric_sync.install import ensure_settings

		field, kept = "device_offline_alert_minutes", "memory_alert_percent"
		before = frappe.db.get_single_value("Biometric Sync Settings", kept)
		self.addCleanup(frappe.db.set_single_value, "Biometric Sync Settings", kept, before)
		frappe.db.set_single_value("Biometric Sync Settings", kept, 77)
		# A site on the previous version has no value for the new field at all.
		frappe.db.delete("Singles", {"doctype": "Biometric Sync Settings", "field": field})
		ensure_settings()
		self.assertEqual(frappe.db.get_single_value("Biometric Sync Settings", field), 60)
		self.assertEqual(frappe.db.get_single_value("Biometric Sync Settings", kept), 77)

	def test_an_alert_comes_again_only_after_its_condition_was_resolved(self):
		self.addCleanup(frappe.db.delete, "Notification Log", {"document_name": self.zk})
		self.addCleanup(
			frappe.db.set_value,
			"Biometric Device",
			self.zk,
			{"last_error": None, "open_alerts": None, "clock_drift_seconds": 0, "memory_used_percent": 0},
		)
		settings = frappe.get_doc("Biometric Sync Settings")
		frappe.db.set_value(
			"Biometric Device",
			self.zk,
			{
				"clock_drift_seconds": 0,
				"memory_used_percent": 0,
				"last_error": "DEVICE_AUTH_FAILED: rejected",
			},
		)

		def raised():
			return [r for r in scheduler.device_alerts(settings) if r[0] == self.zk]

		self.assertEqual(raised(), [(self.zk, "auth")])
		self.assertEqual(raised(), [])  # still refused: told once
		frappe.db.set_value("Biometric Device", self.zk, "last_error", None)
		self.assertEqual(raised(), [])  # resolved
		frappe.db.set_value("Biometric Device", self.zk, "last_error", "DEVICE_AUTH_FAILED: rejected again")
		self.assertEqual(raised(), [(self.zk, "auth")])  # back: told again
		told = frappe.db.count("Notification Log", {"for_user": self.manager, "document_name": self.zk})
		self.assertEqual(told, 2)

	def test_settings_refuse_an_alert_user_that_does_not_exist(self):
		settings = frappe.get_doc("Biometric Sync Settings")
		settings.alert_users = "nobody-at-all@bsync-test.invalid"
		self.assertRaises(frappe.ValidationError, settings.save)

	def test_clock_and_memory_alerts_are_sent_once(self):
		frappe.db.set_value(
			"Biometric Device", self.zk, {"clock_drift_seconds": -600, "memory_used_percent": 97}
		)
		frappe.db.set_value(
			"Biometric Device", self.manual_only, {"clock_drift_seconds": 5, "memory_used_percent": 10}
		)
		settings = frappe.get_cached_doc("Biometric Sync Settings")
		raised = [r for r in scheduler.device_alerts(settings) if r[0].startswith(PREFIX)]
		self.assertEqual(sorted(raised), [(self.zk, "clock"), (self.zk, "memory")])
		self.assertEqual(
			frappe.db.count("Notification Log", {"for_user": self.manager, "document_name": self.zk}), 2
		)
		self.assertEqual([r for r in scheduler.device_alerts(settings) if r[0].startswith(PREFIX)], [])
		self.assertEqual(
			frappe.db.count("Notification Log", {"for_user": self.manager, "document_name": self.zk}), 2
		)

	# Retention of ~25 years: prune acts on the whole site, so only rows this test dates back to 2000 qualify and
	# a lived-in site's own history is left alone.
	@change_settings("Biometric Sync Settings", {"log_retention_days": 9000, "punch_retention_days": 9000})
	def test_retention_prunes_only_finished_old_rows(self):
		old_done = punch(self.zk, "prune-unknown-1", "2026-01-01 09:00:00")
		old_unmapped = punch(self.zk, "prune-unknown-2", "2026-01-01 09:00:01")
		recent = punch(self.zk, "prune-unknown-3", "2026-01-01 09:00:02")
		answer = push_punches(self.sidecar, self.zk, [old_done, old_unmapped, recent])
		process_pending()
		frappe.db.set_value(
			"Biometric Punch", [staged_name(old_done), staged_name(recent)], "status", "Processed"
		)
		long_ago = "2000-01-01 00:00:00"
		frappe.db.set_value(
			"Biometric Punch", [staged_name(old_done), staged_name(old_unmapped)], "creation", long_ago
		)
		frappe.db.set_value("Biometric Sync Log", answer["sync_log"], "creation", long_ago)

		pruned = scheduler.prune(now_datetime(), frappe.get_doc("Biometric Sync Settings"))
		self.assertGreaterEqual(pruned["punches"], 1)
		self.assertFalse(frappe.db.exists("Biometric Punch", staged_name(old_done)))
		self.assertTrue(
			frappe.db.exists("Biometric Punch", staged_name(old_unmapped))
		)  # Unmapped is never pruned
		self.assertTrue(frappe.db.exists("Biometric Punch", staged_name(recent)))
		self.assertFalse(frappe.db.exists("Biometric Sync Log", answer["sync_log"]))
		self.assertIsNone(frappe.db.get_value("Biometric Punch", staged_name(recent), "sync_log"))

	def test_tick_runs_every_step_and_queues_processing_for_pending_punches(self):
		push_punches(self.sidecar, self.zk, [punch(self.zk, "tick", "2026-01-02 09:00:00")])
		self.enqueue.reset_mock()
		scheduler.tick()
		self.assertTrue(self.processing_enqueued())
		self.assertEqual(len([c for c in self.pulls(self.zk) if c.status == "Queued"]), 1)
