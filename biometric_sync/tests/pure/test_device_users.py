import unittest

from biometric_sync.users.plan import plan
from biometric_sync.users.schema import DeviceUserError, parse_removed, parse_users, row_name


def user(user_id="0111", **values):
	return {"user_id": user_id, "name": "Anil", "card": None, "privilege": "user", **values}


class TestParseUsers(unittest.TestCase):
	def test_ids_stay_exact_strings(self):
		users = parse_users([user("0111"), user("111"), user(" 7 ")])
		self.assertEqual([u.user_id for u in users], ["0111", "111", " 7 "])
		self.assertEqual(users[0].privilege, "User")
		self.assertIsNone(users[0].fingerprint)

	def test_flags_and_admin(self):
		[u] = parse_users([user(privilege="admin", fingerprint=True, face=False)])
		self.assertEqual((u.privilege, u.fingerprint, u.face), ("Admin", True, False))

	def test_bad_items_fail_with_a_code(self):
		for bad in (
			"x",
			user(111),
			user(""),
			user(privilege="root"),
			user(name=5),
			user(fingerprint="yes"),
			user(card="9" * 65),
		):
			with self.assertRaises(DeviceUserError) as caught:
				parse_users([bad])
			self.assertEqual(caught.exception.code, "INVALID_DEVICE_USER")
		with self.assertRaises(DeviceUserError) as caught:
			parse_users([user("5"), user("5")])
		self.assertEqual(caught.exception.code, "DUPLICATE_USER_ID")
		with self.assertRaises(DeviceUserError) as caught:
			parse_users({"users": []})
		self.assertEqual(caught.exception.code, "INVALID_ARGUMENT")

	def test_removed(self):
		self.assertEqual(parse_removed(None), [])
		self.assertEqual(parse_removed(["1", "01", "1"]), ["1", "01"])
		with self.assertRaises(DeviceUserError):
			parse_removed([1])

	def test_row_name_is_stable_and_exact(self):
		self.assertEqual(row_name("Gate", "0111"), row_name("Gate", "0111"))
		self.assertNotEqual(row_name("Gate", "0111"), row_name("Gate", "111"))
		self.assertNotEqual(row_name("Gate", "A-17"), row_name("Gate", "a-17"))
		self.assertNotEqual(row_name("Gate", "1"), row_name("Dock", "1"))


class TestPlan(unittest.TestCase):
	def test_create_update_delete_refuse(self):
		result = plan(
			desired={
				"1": ("E1", "Anil Kumar"),
				"2": ("E2", "Priya Nair"),
				"3": ("E3", "Ravi"),
				"9": ("E9", "Boss"),
			},
			on_device={
				"2": ("PRIYA", "User"),
				"3": ("Ravi", "User"),
				"4": ("Old Hand", "User"),
				"5": ("Admin Left", "Admin"),
				"9": ("Boss", "Admin"),
				"77": ("Visitor", "User"),
			},
			leaving={"4": "E4", "5": "E5", "6": "E6"},
			delete_mode="delete",
		)
		self.assertEqual([r["user_id"] for r in result.create], ["1"])
		self.assertEqual([(r["user_id"], r["device_name"]) for r in result.update], [("2", "PRIYA")])
		self.assertEqual([(r["user_id"], r["mode"]) for r in result.delete], [("4", "delete")])
		self.assertEqual(sorted(r["user_id"] for r in result.refused), ["5", "9"])
		self.assertEqual(result.unchanged, 1)
		self.assertEqual(result.untouched, 1)  # "77": no employee accounts for it

	def test_an_id_that_moved_to_someone_here_is_not_deleted(self):
		result = plan({"4": ("E1", "Anil")}, {"4": ("Old", "User")}, {"4": "E4"}, "disable")
		self.assertEqual(result.delete, [])
		self.assertEqual([r["user_id"] for r in result.update], ["4"])
