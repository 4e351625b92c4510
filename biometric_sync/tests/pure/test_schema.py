import unittest
from datetime import datetime

from biometric_sync.ingest.schema import CleanPunch, PunchError, validate_punch
from biometric_sync.ingest.uid import punch_uid

DEVICE = "Main Gate"


def punch(**overrides):
	item = {
		"device": DEVICE,
		"user_id": "0111",
		"time": "2026-11-02 08:59:07",
		"direction": "IN",
		"state": 0,
		"verify": 1,
		"raw": "0111\t2026-11-02 08:59:07\t0\t1",
	}
	item.update(overrides)
	if "uid" not in overrides:
		item["uid"] = punch_uid(item.get("device", DEVICE), str(item.get("user_id")), str(item.get("time")))
	return item


class TestValidPunch(unittest.TestCase):
	def test_clean_values(self):
		result = validate_punch(punch(), DEVICE)
		self.assertIsInstance(result, CleanPunch)
		self.assertEqual(result.user_id, "0111")
		self.assertEqual(result.time, datetime(2026, 11, 2, 8, 59, 7))
		self.assertEqual((result.direction, result.state, result.verify), ("IN", 0, 1))

	def test_optional_fields_may_be_null_or_absent(self):
		item = punch(direction=None, state=None, verify=None, raw=None)
		del item["raw"]
		result = validate_punch(item, DEVICE)
		self.assertIsInstance(result, CleanPunch)
		self.assertIsNone(result.direction)
		self.assertIsNone(result.raw)

	def test_device_defaults_to_the_request_device(self):
		item = punch()
		del item["device"]
		self.assertIsInstance(validate_punch(item, DEVICE), CleanPunch)

	def test_user_id_is_kept_exactly(self):
		result = validate_punch(punch(user_id=" 007 "), DEVICE)
		self.assertEqual(result.user_id, " 007 ")


class TestRejectedPunch(unittest.TestCase):
	def assertCode(self, item, code):
		result = validate_punch(item, DEVICE)
		self.assertIsInstance(result, PunchError, result)
		self.assertEqual(result.code, code)
		self.assertTrue(result.message)
		return result

	def test_not_an_object(self):
		self.assertCode(["uid"], "INVALID_PUNCH")
		self.assertCode(None, "INVALID_PUNCH")

	def test_uid(self):
		item = punch()
		del item["uid"]
		self.assertCode(item, "MISSING_UID")
		self.assertEqual(self.assertCode(punch(uid=123), "INVALID_UID").uid, 123)  # echoed as sent
		self.assertEqual(self.assertCode(punch(uid="f" * 65), "INVALID_UID").uid, "f" * 65)

	def test_uid_must_be_the_hash_of_the_item(self):
		result = self.assertCode(punch(uid="0" * 64), "UID_MISMATCH")
		self.assertEqual(result.uid, "0" * 64)
		other = punch()
		other["time"] = "2026-11-02 08:59:08"  # uid still of :07
		self.assertCode(other, "UID_MISMATCH")

	def test_user_id(self):
		self.assertCode(punch(user_id=""), "MISSING_USER_ID")
		self.assertCode(punch(user_id=None), "MISSING_USER_ID")
		self.assertCode(punch(user_id=111, uid="x"), "INVALID_USER_ID")
		self.assertCode(punch(user_id="9" * 141), "USER_ID_TOO_LONG")

	def test_time(self):
		self.assertCode(punch(time=None), "MISSING_TIME")
		for bad in (
			"2026-11-02T08:59:07",
			"2026-11-02 08:59",
			"02/11/2026 08:59:07",
			"2026-02-30 08:00:00",
			1700000000,
		):
			with self.subTest(time=bad):
				self.assertCode(punch(time=bad, uid="x"), "INVALID_TIME")

	def test_device_mismatch(self):
		self.assertCode(punch(device="Back Door"), "DEVICE_MISMATCH")

	def test_direction_state_verify_raw(self):
		self.assertCode(punch(direction="in"), "INVALID_DIRECTION")
		self.assertCode(punch(state="0"), "INVALID_STATE")
		self.assertCode(punch(state=True), "INVALID_STATE")
		self.assertCode(punch(verify=1.5), "INVALID_VERIFY")
		self.assertCode(punch(raw={"a": 1}), "INVALID_RAW")
		self.assertCode(punch(raw="x" * 10_001), "RAW_TOO_LARGE")
