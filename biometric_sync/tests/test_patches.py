"""Patches: a site running the previous version keeps every punch through ``bench migrate``."""

from unittest.mock import patch

import frappe

from biometric_sync.api.ingest import push_punches
from biometric_sync.patches import name_punches_by_time_and_uid
from biometric_sync.sidecars import create_sidecar
from biometric_sync.tests.factories import (
	PREFIX,
	BiometricTestCase,
	as_user,
	make_device,
	punch,
	run_token,
	staged_name,
)


def stage_as_before(item: dict, status: str = "Pending", site_time: str | None = "same") -> None:
	"""A punch as the previous version staged it: named by its uid alone."""
	frappe.db.sql(
		"""insert into `tabBiometric Punch`
		(name, punch_uid, status, device, device_user_id, punch_time, site_time, raw, creation, modified,
		owner, modified_by, docstatus, idx)
		values (%(uid)s, %(uid)s, %(status)s, %(device)s, %(user_id)s, %(time)s, %(site_time)s, %(raw)s, now(), now(),
		'Administrator', 'Administrator', 0, 0)""",
		{**item, "status": status, "site_time": item["time"] if site_time == "same" else site_time},
	)


class TestNamePunchesByTimeAndUid(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sidecar = create_sidecar(f"{PREFIX} Patches")
		cls.user = frappe.db.get_value("Biometric Sidecar", cls.sidecar["sidecar"], "api_user")
		cls.device = make_device("Patches Gate", cls.sidecar["sidecar"])
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		frappe.db.delete("Biometric Punch", {"device": self.device})
		frappe.db.commit()

	def test_old_punches_are_renamed_keep_their_fields_and_a_resend_is_still_a_duplicate(self):
		token = run_token()
		old = [
			punch(self.device, token, f"2025-0{month}-0{day} 09:0{day}:00")
			for month in (1, 2)
			for day in (1, 2, 3)
		]
		# More punches in one second than a slice holds (several people at one terminal reading).
		old[3:3] = [punch(self.device, f"{token}-{n}", "2025-01-03 09:03:00") for n in range(3)]
		for item in old[:-1]:
			stage_as_before(item, status="Processed")
		stage_as_before(old[-1], status="Processed", site_time=None)  # hand-made: staging always sets it
		# Several slices, so the walk from one slice to the next is exercised.
		with patch.object(name_punches_by_time_and_uid, "SLICE", 2):
			name_punches_by_time_and_uid.execute()

		for item in old:
			row = frappe.db.get_value(
				"Biometric Punch", staged_name(item), ["punch_uid", "status", "raw"], as_dict=True
			)
			self.assertEqual((row.punch_uid, row.status, row.raw), (item["uid"], "Processed", item["raw"]))
			self.assertFalse(frappe.db.exists("Biometric Punch", item["uid"]))
		self.assertEqual(frappe.db.count("Biometric Punch", {"device": self.device}), len(old))

		# The sidecar sends them again after the update (a restart, a clear's re-read): nothing new is staged.
		with as_user(self.user):
			answer = push_punches(self.sidecar["sidecar"], self.device, old)
		self.assertEqual({result["status"] for result in answer["results"]}, {"duplicate"})
		self.assertEqual(frappe.db.count("Biometric Punch", {"device": self.device}), len(old))

		# Run again (a migrate that stopped midway, or a second migrate): nothing left to rename.
		before = sorted(frappe.get_all("Biometric Punch", {"device": self.device}, pluck="name"))
		name_punches_by_time_and_uid.execute()
		self.assertEqual(
			sorted(frappe.get_all("Biometric Punch", {"device": self.device}, pluck="name")), before
		)

	def test_a_punch_sent_again_during_the_migrate_stays_one_row(self):
		# Sidecars push while the site migrates: an old punch sent again before its row is renamed is staged a
		# second time under the new name.
		token = run_token()
		twin_pending = punch(self.device, token, "2025-03-01 09:00:00")
		twin_processed = punch(self.device, token, "2025-03-01 18:00:00")
		stage_as_before(twin_pending, status="Processed")
		stage_as_before(twin_processed, status="Unmapped")
		with as_user(self.user):
			push_punches(self.sidecar["sidecar"], self.device, [twin_pending, twin_processed])
		frappe.db.set_value("Biometric Punch", staged_name(twin_processed), "status", "Processed")
		self.assertEqual(frappe.db.count("Biometric Punch", {"device": self.device}), 4)

		name_punches_by_time_and_uid.execute()

		rows = frappe.get_all("Biometric Punch", {"device": self.device}, ["name", "status"], order_by="name")
		# Still Pending: the twin goes and the old row keeps its outcome; already processed: the twin stays.
		self.assertEqual(
			[(row.name, row.status) for row in rows],
			[(staged_name(twin_pending), "Processed"), (staged_name(twin_processed), "Processed")],
		)
