"""Transaction helpers: deadlocks retried whole, READ COMMITTED for one unit of work."""

from unittest.mock import patch

import frappe

from biometric_sync.tests.factories import PREFIX, BiometricTestCase, other_connection
from biometric_sync.transactions import DEADLOCK_RETRIES, read_committed, retry_on_deadlock


def sees_a_commit_made_meanwhile() -> bool:
	"""Whether this transaction, having read already, sees a row another connection commits afterwards: yes
	under READ COMMITTED, no under REPEATABLE READ (its snapshot is taken at the first read)."""
	name = f"{PREFIX} isolation {frappe.generate_hash(length=8)}"
	frappe.db.sql("select count(*) from `tabBiometric Punch`")
	other = other_connection()
	try:
		other.sql(
			"""insert into `tabBiometric Punch` (name, punch_uid, status, creation, modified, owner,
			modified_by, docstatus, idx) values (%(name)s, %(name)s, 'Skipped', now(), now(), 'Administrator',
			'Administrator', 0, 0)""",
			{"name": name},
		)
		other.commit()
		return bool(frappe.db.sql("select name from `tabBiometric Punch` where name = %s", name))
	finally:
		other.sql("delete from `tabBiometric Punch` where name = %s", name)
		other.commit()
		other.close()


class TestTransactions(BiometricTestCase):
	def test_a_deadlock_is_rolled_back_and_the_work_run_again(self):
		attempts = []

		def work():
			attempts.append(1)
			if len(attempts) < DEADLOCK_RETRIES:
				raise frappe.QueryDeadlockError("(1213, 'Deadlock found')")
			return "done"

		with patch.object(frappe.db, "rollback") as rollback, patch("time.sleep"):
			self.assertEqual(retry_on_deadlock(work), "done")
		self.assertEqual(len(attempts), DEADLOCK_RETRIES)
		self.assertEqual(rollback.call_count, DEADLOCK_RETRIES - 1)

	def test_a_deadlock_that_persists_is_raised_and_other_errors_at_once(self):
		def deadlocked():
			raise frappe.QueryDeadlockError("(1213, 'Deadlock found')")

		with patch.object(frappe.db, "rollback"), patch("time.sleep"):
			self.assertRaises(frappe.QueryDeadlockError, retry_on_deadlock, deadlocked)
		calls = []

		def broken():
			calls.append(1)
			raise frappe.ValidationError("not a lock problem")

		self.assertRaises(frappe.ValidationError, retry_on_deadlock, broken)
		self.assertEqual(len(calls), 1)

	def test_read_committed_for_the_work_inside_then_the_level_before(self):
		frappe.db.commit()
		self.assertFalse(
			sees_a_commit_made_meanwhile()
		)  # MariaDB's default, REPEATABLE READ, which Frappe keeps
		with read_committed():
			self.assertTrue(sees_a_commit_made_meanwhile())
		frappe.db.commit()  # the restored level applies from the next transaction
		self.assertFalse(sees_a_commit_made_meanwhile())
