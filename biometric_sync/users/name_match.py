"""Suggesting Employees for a name a terminal holds (pure: no frappe import).

Terminals keep short, hand-typed names: "A. Kumar", "ANIL KUMAR", "anil  kumár", "Kumar Anil", "ANIL KUM" (cut
at the device's name length). ``normalise`` reduces a name to lower-case ASCII words (accents dropped, dots,
commas, hyphens and runs of spaces become one space); ``score`` compares two names word by word:

- the same words in the same order: 1.0 ("anil  kumár" = "Anil Kumar");
- the same words in another order: 0.95 ("Kumar Anil");
- otherwise each word of the shorter name is matched, in order, to a word of the longer one: an equal word
  counts 1, a word cut short (a prefix of 3+ letters, "kum" ~ "kumar") 0.8, an initial ("a" ~ "anil") 0.6;
  the sum is divided by the number of words of the longer name. A word that matches nothing makes it 0.

``suggest`` scores one device name against many employees through an index of words and initials, so only
employees sharing a word (or a word's initial) with it are scored: the HR page asks for every unmapped id at
once. A suggestion is **confident** when its score is at least ``CONFIDENT`` and no other employee comes
within ``MARGIN`` of it: two "A. Kumar" candidates are suggestions, never a confident one.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

CONFIDENT = 0.9
MARGIN = 0.05
MIN_SCORE = 0.5
PREFIX_MIN = 3
EQUAL, PREFIX, INITIAL, REORDERED = 1.0, 0.8, 0.6, 0.95


def normalise(name: str | None) -> tuple[str, ...]:
	"""Lower-case ASCII words of ``name``: accents dropped, punctuation and spacing collapsed."""
	if not name:
		return ()
	text = unicodedata.normalize("NFKD", str(name))
	text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
	cleaned = "".join(ch if ch.isalnum() else " " for ch in text)
	return tuple(cleaned.split())


def _word_score(short: str, long: str) -> float:
	if short == long:
		return EQUAL
	a, b = (short, long) if len(short) <= len(long) else (long, short)
	if len(a) == 1:
		return INITIAL if b.startswith(a) else 0.0
	if len(a) >= PREFIX_MIN and b.startswith(a):
		return PREFIX
	return 0.0


def _in_order(short: tuple[str, ...], long: tuple[str, ...]) -> float:
	"""Best sum of word scores matching every word of ``short`` to a distinct word of ``long``, in order."""
	n, m = len(short), len(long)
	# best[i][j]: best sum for short[:i] matched within long[:j]; -1 = impossible.
	best = [[-1.0] * (m + 1) for _ in range(n + 1)]
	for j in range(m + 1):
		best[0][j] = 0.0
	for i in range(1, n + 1):
		for j in range(i, m + 1):
			skip = best[i][j - 1]
			word = _word_score(short[i - 1], long[j - 1])
			take = best[i - 1][j - 1] + word if word and best[i - 1][j - 1] >= 0 else -1.0
			best[i][j] = max(skip, take)
	return best[n][m]


def score_words(a: tuple[str, ...], b: tuple[str, ...]) -> float:
	if not a or not b:
		return 0.0
	if a == b:
		return EQUAL
	if sorted(a) == sorted(b):
		return REORDERED
	short, long = (a, b) if len(a) <= len(b) else (b, a)
	total = _in_order(short, long)
	if total <= 0:
		return 0.0
	return round(min(total / len(long), REORDERED - 0.01), 4)


def score(device_name: str | None, employee_name: str | None) -> float:
	return score_words(normalise(device_name), normalise(employee_name))


def is_exact(device_name: str | None, employee_name: str | None) -> bool:
	"""The same name once normalised (what "Map exact name matches automatically" accepts)."""
	words = normalise(device_name)
	return bool(words) and words == normalise(employee_name)


@dataclass(frozen=True)
class Suggestion:
	employee: str
	employee_name: str
	score: float
	confident: bool

	def as_dict(self) -> dict:
		return {
			"employee": self.employee,
			"employee_name": self.employee_name,
			"score": self.score,
			"confident": self.confident,
		}


def _index_keys(word: str) -> set[tuple[str, str]]:
	keys = {("word", word), ("initial of", word[0])}
	if len(word) >= PREFIX_MIN:
		keys.add(("prefix", word[:PREFIX_MIN]))
	if len(word) == 1:
		keys.add(("initial", word))
	return keys


def _lookup_keys(word: str) -> set[tuple[str, str]]:
	if len(word) == 1:
		return {("initial of", word)}  # "A." matches every word starting with "a"
	keys = {("word", word), ("initial", word[0])}
	if len(word) >= PREFIX_MIN:
		keys.add(("prefix", word[:PREFIX_MIN]))
	return keys


class EmployeeIndex:
	"""Employees (id, name) indexed by their words and initials, built once per request."""

	def __init__(self, employees: Iterable[tuple[str, str]]):
		self.names: dict[str, str] = {}
		self.words: dict[str, tuple[str, ...]] = {}
		self.by_key: dict[tuple[str, str], set[str]] = {}
		for employee, name in employees:
			words = normalise(name)
			if not words:
				continue
			self.names[employee] = name
			self.words[employee] = words
			for word in words:
				for key in _index_keys(word):
					self.by_key.setdefault(key, set()).add(employee)

	def candidates(self, words: tuple[str, ...]) -> set[str]:
		"""Employees sharing a word, a word's first letters, or an initial with ``words``."""
		found: set[str] = set()
		for word in words:
			for key in _lookup_keys(word):
				found |= self.by_key.get(key, set())
		return found

	def suggest(
		self, device_name: str | None, limit: int = 3, min_score: float = MIN_SCORE
	) -> list[Suggestion]:
		words = normalise(device_name)
		if not words:
			return []
		scored = []
		for employee in self.candidates(words):
			value = score_words(words, self.words[employee])
			if value >= min_score:
				scored.append((value, self.names[employee], employee))
		scored.sort(key=lambda item: (-item[0], item[1], item[2]))
		out = []
		for rank, (value, name, employee) in enumerate(scored[:limit]):
			runner_up = scored[1][0] if len(scored) > 1 else 0.0
			confident = rank == 0 and value >= CONFIDENT and round(value - runner_up, 4) >= MARGIN
			out.append(Suggestion(employee, name, value, confident))
		return out

	def exact(self, device_name: str | None) -> list[str]:
		"""Employees whose normalised name equals this one."""
		words = normalise(device_name)
		if not words:
			return []
		return sorted(e for e in self.candidates(words) if self.words[e] == words)
