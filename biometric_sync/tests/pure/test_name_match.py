import unittest

from biometric_sync.users.name_match import EmployeeIndex, is_exact, normalise, score


class TestNormalise(unittest.TestCase):
	def test_case_spacing_accents_and_punctuation(self):
		self.assertEqual(normalise("  anil  kumár "), ("anil", "kumar"))
		self.assertEqual(normalise("A. KUMAR"), ("a", "kumar"))
		self.assertEqual(normalise("Jean-Luc O'Neil"), ("jean", "luc", "o", "neil"))
		self.assertEqual(normalise(None), ())
		self.assertEqual(normalise("  "), ())


class TestScore(unittest.TestCase):
	def test_same_name_after_normalising_is_1(self):
		self.assertEqual(score("anil  kumár", "Anil Kumar"), 1.0)
		self.assertTrue(is_exact("ANIL KUMAR", "Anil Kumar"))
		self.assertFalse(is_exact("A. Kumar", "Anil Kumar"))
		self.assertFalse(is_exact("", ""))

	def test_reordered_words(self):
		self.assertEqual(score("Kumar Anil", "Anil Kumar"), 0.95)

	def test_initials_and_cut_names_score_below_exact(self):
		initial = score("A. Kumar", "Anil Kumar")
		cut = score("Anil Kum", "Anil Kumar")
		self.assertGreater(initial, 0.5)
		self.assertLess(initial, cut)
		self.assertLess(cut, score("Kumar Anil", "Anil Kumar"))

	def test_fewer_words_on_the_device(self):
		self.assertGreater(score("Anil", "Anil Kumar Sharma"), 0)
		self.assertLess(score("Anil", "Anil Kumar Sharma"), score("Anil Sharma", "Anil Kumar Sharma"))

	def test_unrelated_names_score_0(self):
		self.assertEqual(score("Priya Nair", "Anil Kumar"), 0)
		self.assertEqual(score("B. Kumar", "Anil Singh"), 0)
		self.assertEqual(score("Anand", "Anil"), 0)  # a shared first letter is not a prefix
		self.assertEqual(score(None, "Anil"), 0)


EMPLOYEES = [
	("E1", "Anil Kumar"),
	("E2", "Ananya Iyer"),
	("E3", "Priya Nair"),
	("E4", "Arjun Kumar"),
	("E5", "Rohan Mehta"),
]


class TestSuggest(unittest.TestCase):
	def setUp(self):
		self.index = EmployeeIndex(EMPLOYEES)

	def test_exact_name_is_first_and_confident(self):
		found = self.index.suggest("anil  kumár")
		self.assertEqual(found[0].employee, "E1")
		self.assertEqual(found[0].score, 1.0)
		self.assertTrue(found[0].confident)
		self.assertTrue(all(not s.confident for s in found[1:]))

	def test_an_initial_that_fits_two_people_is_not_confident(self):
		found = self.index.suggest("A. Kumar")
		self.assertEqual({s.employee for s in found[:2]}, {"E1", "E4"})
		self.assertFalse(any(s.confident for s in found))

	def test_an_initial_that_fits_one_person(self):
		found = self.index.suggest("P Nair")
		self.assertEqual([s.employee for s in found], ["E3"])
		self.assertFalse(found[0].confident)  # an initial is a guess: a person accepts it

	def test_nothing_for_unknown_names_or_no_name(self):
		self.assertEqual(self.index.suggest("Visitor 7"), [])
		self.assertEqual(self.index.suggest(None), [])

	def test_best_first_and_limited(self):
		index = EmployeeIndex([(f"K{i}", f"Kumar {chr(65 + i)}") for i in range(10)])
		found = index.suggest("Kumar", limit=3)
		self.assertEqual(len(found), 3)
		self.assertEqual([s.score for s in found], sorted((s.score for s in found), reverse=True))

	def test_exact_lists_every_employee_with_that_name(self):
		index = EmployeeIndex([*EMPLOYEES, ("E9", "ANIL KUMAR")])
		self.assertEqual(index.exact("Anil Kumar"), ["E1", "E9"])
		self.assertEqual(index.exact("Anil"), [])
