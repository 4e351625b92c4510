"""Punch direction from the device's punch state (pure: no frappe import).

Same rule as the sidecar (sidecar/src/domain/direction.ts): default states 0,4 → IN; 1,5 → OUT; anything
else (255 on devices without state keys, or null) → no direction, and ERPNext's shift logic decides.
The site's rules live in Biometric Sync Settings as comma-separated state lists ("0,4" / "1,5").
"""

from dataclasses import dataclass

DEFAULT_IN_STATES = "0,4"
DEFAULT_OUT_STATES = "1,5"


@dataclass(frozen=True)
class DirectionRules:
	in_states: frozenset[int]
	out_states: frozenset[int]

	def direction_for(self, state: int | None) -> str | None:
		if state is None:
			return None
		if state in self.in_states:
			return "IN"
		if state in self.out_states:
			return "OUT"
		return None

	def as_contract(self) -> dict:
		"""The shape the sidecar's config uses: ``{"in": [...], "out": [...]}``."""
		return {"in": sorted(self.in_states), "out": sorted(self.out_states)}


class DirectionRulesError(ValueError):
	pass


def parse_states(text: str | None) -> frozenset[int]:
	"""``"0, 4"`` → {0, 4}. Empty or None → empty set. Raises DirectionRulesError on anything else."""
	states: set[int] = set()
	for part in (text or "").split(","):
		part = part.strip()
		if not part:
			continue
		if not part.isdigit() or not 0 <= int(part) <= 255:
			raise DirectionRulesError(f'"{part}" is not a punch state (a whole number from 0 to 255)')
		states.add(int(part))
	return frozenset(states)


def parse_rules(in_text: str | None, out_text: str | None) -> DirectionRules:
	rules = DirectionRules(parse_states(in_text), parse_states(out_text))
	overlap = rules.in_states & rules.out_states
	if overlap:
		listed = ", ".join(str(s) for s in sorted(overlap))
		raise DirectionRulesError(f"punch states {listed} are listed as both IN and OUT")
	return rules


DEFAULT_RULES = parse_rules(DEFAULT_IN_STATES, DEFAULT_OUT_STATES)
