import unittest

from biometric_sync.ingest.direction import DEFAULT_RULES, DirectionRulesError, parse_rules, parse_states


class TestDirectionRules(unittest.TestCase):
	def test_defaults_match_the_sidecar(self):
		expected = {0: "IN", 4: "IN", 1: "OUT", 5: "OUT", 2: None, 255: None, None: None}
		for state, direction in expected.items():
			with self.subTest(state=state):
				self.assertEqual(DEFAULT_RULES.direction_for(state), direction)

	def test_contract_shape(self):
		self.assertEqual(DEFAULT_RULES.as_contract(), {"in": [0, 4], "out": [1, 5]})

	def test_parsing_tolerates_spaces_and_empty_parts(self):
		self.assertEqual(parse_states(" 0, 4 ,,"), frozenset({0, 4}))
		self.assertEqual(parse_states(""), frozenset())
		self.assertEqual(parse_states(None), frozenset())

	def test_custom_rules(self):
		rules = parse_rules("2", "3")
		self.assertEqual(rules.direction_for(2), "IN")
		self.assertEqual(rules.direction_for(3), "OUT")
		self.assertIsNone(rules.direction_for(0))

	def test_rejects_non_states(self):
		for text in ("a", "1.5", "-1", "256", "0;4"):
			with self.subTest(text=text), self.assertRaises(DirectionRulesError):
				parse_states(text)

	def test_rejects_a_state_that_is_both(self):
		with self.assertRaisesRegex(DirectionRulesError, "4"):
			parse_rules("0,4", "1,4")
