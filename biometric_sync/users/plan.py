"""What enrolment would change on one terminal (pure: no frappe import).

``plan`` compares who should be on a terminal (``desired``: device user id → (employee, name)) with what the
terminal holds (``on_device``: the Biometric Device Users not marked removed: id → (name, privilege)) and the
ids of employees who must leave it (``leaving``: id → employee: left, inactive, relieved, or no longer inside
the device's enrolment filters). It answers:

- ``create``: wanted, not on the terminal → ``user_set``;
- ``update``: on the terminal under another name → ``user_set``;
- ``delete``: a leaver still on the terminal → ``user_delete`` (mode from Leaver Action and the family);
- ``refused``: any of those whose terminal user is an administrator: never touched, with the reason;
- ``unchanged``: how many are already right; ``untouched``: terminal users no employee accounts for (visitors,
  contractors, the installer's admin): enrolment never deletes them.

Leavers are deleted only when the terminal is known to hold them: before the site has read a terminal's users
(Read Users), everything wanted is a ``create`` (``user_set`` is an upsert: "unchanged" is a fine answer) and
nothing is deleted.
"""

from dataclasses import dataclass, field

ADMIN = "Admin"


def admin_refusal(user_id: str) -> str:
	return f"device user {user_id} is an administrator on the terminal: enrolment never changes it"


@dataclass
class Plan:
	create: list[dict] = field(default_factory=list)
	update: list[dict] = field(default_factory=list)
	delete: list[dict] = field(default_factory=list)
	refused: list[dict] = field(default_factory=list)
	unchanged: int = 0
	untouched: int = 0

	def as_dict(self) -> dict:
		return {
			"create": self.create,
			"update": self.update,
			"delete": self.delete,
			"refused": self.refused,
			"unchanged": self.unchanged,
			"untouched": self.untouched,
		}


def plan(
	desired: dict[str, tuple[str, str]],
	on_device: dict[str, tuple[str | None, str]],
	leaving: dict[str, str],
	delete_mode: str,
) -> Plan:
	out = Plan()
	for user_id in sorted(desired):
		employee, name = desired[user_id]
		present = on_device.get(user_id)
		row = {"user_id": user_id, "employee": employee, "name": name}
		if present and present[1] == ADMIN:
			out.refused.append({**row, "reason": admin_refusal(user_id)})
		elif present is None:
			out.create.append(row)
		elif (present[0] or "") != name:
			out.update.append({**row, "device_name": present[0]})
		else:
			out.unchanged += 1
	for user_id in sorted(leaving):
		if user_id in desired:
			continue  # the id moved to someone who belongs here
		present = on_device.get(user_id)
		if present is None:
			continue
		row = {"user_id": user_id, "employee": leaving[user_id], "mode": delete_mode}
		if present and present[1] == ADMIN:
			out.refused.append({**row, "reason": admin_refusal(user_id)})
		else:
			out.delete.append({**row, "device_name": present[0]})
	out.untouched = sum(1 for user_id in on_device if user_id not in desired and user_id not in leaving)
	return out
