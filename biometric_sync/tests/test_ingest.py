"""push_punches: idempotency (also under concurrent requests), partial-bad batches, coded errors."""

from unittest.mock import patch

import frappe

from biometric_sync.api.ingest import MAX_PUNCHES, push_punches
from biometric_sync.errors import BiometricSyncError
from biometric_sync.sidecars import create_sidecar
from biometric_sync.tests.factories import (
	PREFIX,
	BiometricTestCase,
	as_user,
	http_call,
	http_target,
	make_device,
	make_sidecar,
	punch,
	run_threads,
	staged_name,
)

METHOD = "biometric_sync.api.ingest.push_punches"


class TestPushPunches(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.config = create_sidecar(f"{PREFIX} Ingest", location="Test floor")
		cls.sidecar = cls.config["sidecar"]
		cls.user = frappe.db.get_value("Biometric Sidecar", cls.sidecar, "api_user")
		cls.device = make_device("Ingest Gate", cls.sidecar)
		cls.other_sidecar = make_sidecar("Ingest Other")
		cls.other_device = make_device("Ingest Other Gate", cls.other_sidecar)
		frappe.db.commit()

	def push(self, punches, device=None, sidecar=None, sync_log=None):
		with as_user(self.user):
			return push_punches(sidecar or self.sidecar, device or self.device, punches, sync_log)

	def statuses(self, answer):
		return [r["status"] for r in answer["results"]]

	def test_same_batch_twice_is_stored_once(self):
		batch = [punch(self.device, uid, "2026-02-02 09:00:00") for uid in ("0111", "111", "A-17")]
		first = self.push(batch)
		self.assertEqual(self.statuses(first), ["new", "new", "new"])
		self.assertEqual([r["uid"] for r in first["results"]], [p["uid"] for p in batch])
		self.assertEqual(first["counts"], {"new": 3, "duplicate": 0, "rejected": 0})

		second = self.push(batch)
		self.assertEqual(self.statuses(second), ["duplicate"] * 3)
		self.assertEqual(
			frappe.db.count("Biometric Punch", {"name": ("in", [staged_name(p) for p in batch])}), 3
		)

		row = self.punch_row(batch[0])
		self.assertEqual(row.status, "Pending")
		self.assertEqual(row.device_user_id, "0111")  # the string as sent, leading zero kept
		self.assertEqual(str(row.punch_time), "2026-02-02 09:00:00")
		self.assertEqual(row.direction, "IN")
		self.assertEqual(row.sync_log, first["sync_log"])

	def test_new_punches_enqueue_deduplicated_processing(self):
		batch = [punch(self.device, "enq", "2026-02-03 09:00:00")]
		self.push(batch)
		self.assertTrue(self.processing_enqueued())
		call = self.enqueue.call_args
		self.assertTrue(call.kwargs["deduplicate"])
		self.assertTrue(call.kwargs["enqueue_after_commit"])

		self.enqueue.reset_mock()
		self.push(batch)  # only duplicates: nothing new to process
		self.assertFalse(self.processing_enqueued())

	def test_answer_is_committed_before_returning(self):
		batch = [punch(self.device, "commit", "2026-02-04 09:00:00")]
		self.push(batch)
		frappe.db.rollback()  # whatever the call left uncommitted is gone now
		self.assertTrue(frappe.db.exists("Biometric Punch", staged_name(batch[0])))

	def test_a_uid_twice_in_one_batch(self):
		item = punch(self.device, "twice", "2026-02-05 09:00:00")
		self.assertEqual(self.statuses(self.push([item, dict(item)])), ["new", "duplicate"])

	def test_one_bad_item_never_fails_the_batch(self):
		good1 = punch(self.device, "g1", "2026-02-06 09:00:00")
		good2 = punch(self.device, "g2", "2026-02-06 09:00:01")
		bad_time = punch(self.device, "b1", "2026-02-30 09:00:00")
		bad_uid = dict(punch(self.device, "b2", "2026-02-06 09:00:02"), uid="0" * 64)
		not_an_object = "nope"
		answer = self.push([good1, bad_time, good2, bad_uid, not_an_object])
		results = answer["results"]
		self.assertEqual(self.statuses(answer), ["new", "rejected", "new", "rejected", "rejected"])
		self.assertEqual(results[1]["code"], "INVALID_TIME")
		self.assertEqual(results[3]["code"], "UID_MISMATCH")
		self.assertEqual(results[3]["uid"], "0" * 64)
		self.assertEqual(results[4]["code"], "INVALID_PUNCH")
		self.assertTrue(all(r.get("error") for r in results if r["status"] == "rejected"))
		self.assertTrue(frappe.db.exists("Biometric Punch", staged_name(good1)))
		self.assertTrue(frappe.db.exists("Biometric Punch", staged_name(good2)))
		self.assertFalse(
			frappe.db.exists("Biometric Punch", {"device": self.device, "punch_uid": bad_time["uid"]})
		)

		log = frappe.get_doc("Biometric Sync Log", answer["sync_log"])
		self.assertEqual(log.trigger, "push")
		self.assertEqual(log.status, "Partial")
		self.assertGreaterEqual(log.error_count, 3)

	def test_race_after_the_existence_check_is_a_duplicate(self):
		item = punch(self.device, "race", "2026-02-07 09:00:00")
		other = punch(self.device, "race2", "2026-02-07 09:00:00")
		self.push([item])
		# Pretend the row was stored by a concurrent request after our SELECT: the INSERT meets the primary key.
		with patch("biometric_sync.ingest.staging.existing_names", return_value=set()):
			answer = self.push([other, item])
		self.assertEqual(self.statuses(answer), ["new", "duplicate"])
		self.assertEqual(frappe.db.count("Biometric Punch", {"name": staged_name(item)}), 1)

	def test_raw_payload_is_stored_verbatim(self):
		raw = 'it\'s a "quote" and a back\\slash\\ ; drop table x; --'
		item = punch(self.device, "raw", "2026-02-08 09:00:00", raw=raw)
		self.push([item])
		self.assertEqual(self.punch_row(item).raw, raw)

	def test_site_time_uses_the_device_time_zone(self):
		dubai = make_device("Ingest Dubai", self.sidecar, time_zone="Asia/Dubai")
		item = punch(dubai, "tz", "2026-02-09 08:00:00")
		self.push([item], device=dubai)
		row = self.punch_row(item)
		self.assertEqual(str(row.punch_time), "2026-02-09 08:00:00")
		self.assertEqual(str(row.site_time), "2026-02-09 09:30:00")  # site: Asia/Kolkata

	def test_too_many_punches(self):
		batch = [
			punch(self.device, "big", f"2026-02-10 09:{i // 60:02d}:{i % 60:02d}")
			for i in range(MAX_PUNCHES + 1)
		]
		with self.assertRaises(BiometricSyncError) as caught:
			self.push(batch)
		self.assertEqual(caught.exception.code, "BATCH_TOO_LARGE")
		self.assertEqual(caught.exception.http_status_code, 413)
		self.assertFalse(frappe.db.exists("Biometric Punch", staged_name(batch[0])))

	def test_device_must_belong_to_the_sidecar(self):
		item = punch(self.other_device, "x", "2026-02-11 09:00:00")
		with self.assertRaises(BiometricSyncError) as caught:
			self.push([item], device=self.other_device)
		self.assertEqual(
			(caught.exception.code, caught.exception.http_status_code), ("DEVICE_NOT_OWNED", 403)
		)
		with self.assertRaises(BiometricSyncError) as caught:
			self.push([item], device=f"{PREFIX} No Such Device")
		self.assertEqual((caught.exception.code, caught.exception.http_status_code), ("UNKNOWN_DEVICE", 404))

	def test_a_sidecar_user_cannot_push_as_another_sidecar(self):
		item = punch(self.other_device, "x", "2026-02-11 09:00:00")
		with self.assertRaises(BiometricSyncError) as caught:
			self.push([item], device=self.other_device, sidecar=self.other_sidecar)
		self.assertEqual(caught.exception.code, "NOT_YOUR_SIDECAR")

	def test_users_without_the_role_are_refused(self):
		with as_user("Guest"), self.assertRaises(BiometricSyncError) as caught:
			push_punches(self.sidecar, self.device, [], None)
		self.assertEqual((caught.exception.code, caught.exception.http_status_code), ("NOT_PERMITTED", 403))


class TestPushPunchesOverHttp(BiometricTestCase):
	"""Real requests through Frappe's WSGI app with the sidecar's API token, each on its own DB connection."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.config = create_sidecar(f"{PREFIX} Http")
		cls.sidecar = cls.config["sidecar"]
		cls.device = make_device("Http Gate", cls.sidecar)
		cls.other_device = make_device("Http Other Gate", make_sidecar("Http Other"))
		frappe.db.commit()

	def call(self, payload):
		return http_call(METHOD, payload, self.config["api_key"], self.config["api_secret"])

	def test_concurrent_overlapping_batches_store_each_uid_once(self):
		times = [f"2026-03-01 08:{i // 60:02d}:{i % 60:02d}" for i in range(300)]
		batch_a = [punch(self.device, "conc", t) for t in times[:200]]
		batch_b = [punch(self.device, "conc", t) for t in times[100:]]  # 100 uids in both
		args = (self.config["api_key"], self.config["api_secret"])
		responses = run_threads(
			http_target(METHOD, {"sidecar": self.sidecar, "device": self.device, "punches": batch_a}, *args),
			http_target(METHOD, {"sidecar": self.sidecar, "device": self.device, "punches": batch_b}, *args),
		)
		for response in responses:
			self.assertEqual(response.status_code, 200, response.json)
		new_by_uid: dict[str, int] = {}
		for response in responses:
			for result in response.json["message"]["results"]:
				self.assertIn(result["status"], ("new", "duplicate"))
				new_by_uid[result["uid"]] = new_by_uid.get(result["uid"], 0) + (result["status"] == "new")
		all_uids = {p["uid"] for p in batch_a + batch_b}
		self.assertEqual(set(new_by_uid), all_uids)
		self.assertTrue(all(count == 1 for count in new_by_uid.values()), "each uid is new exactly once")
		names = [staged_name(p) for p in batch_a + batch_b]
		self.assertEqual(frappe.db.count("Biometric Punch", {"name": ("in", names)}), 300)

	def test_errors_carry_http_status_and_code(self):
		item = punch(self.other_device, "x", "2026-03-02 09:00:00")
		response = self.call({"sidecar": self.sidecar, "device": self.other_device, "punches": [item]})
		self.assertEqual(response.status_code, 403)
		self.assertEqual(response.json["code"], "DEVICE_NOT_OWNED")

		many = [punch(self.device, "m", "2026-03-02 09:00:00")] * (MAX_PUNCHES + 1)
		response = self.call({"sidecar": self.sidecar, "device": self.device, "punches": many})
		self.assertEqual(response.status_code, 413)
		self.assertEqual(response.json["code"], "BATCH_TOO_LARGE")

	def test_get_is_not_allowed(self):
		response = http_call(
			METHOD,
			{"sidecar": self.sidecar, "device": self.device, "punches": "[]"},
			self.config["api_key"],
			self.config["api_secret"],
			http_method="get",
		)
		self.assertNotEqual(response.status_code, 200)

	def test_wrong_secret_is_unauthorized(self):
		response = http_call(
			METHOD,
			{"sidecar": self.sidecar, "device": self.device, "punches": []},
			self.config["api_key"],
			"wrong",
		)
		self.assertEqual(response.status_code, 401)
