"""ML module ``random``: pseudo-random numbers and sampling.

Pure, so it needs no capability. Each program draws from its own ``random.Random``
(Mersenne Twister, seeded from the operating system) kept in the program's namespace
(:mod:`mlpy.stdlib._program`), never from the host's global ``random`` state or one that
another execution shares: ``random.setSeed(s)`` makes the rest of *that* program
reproducible -- with the same results as Python's ``random`` for the same seed, and for
``math.random()`` too, which draws from the same generator -- and changes nothing the host
or another execution sees. A session's chunks are one program.
"""

from __future__ import annotations

import random as _random
from typing import Any

from mlpy.ext import ml_function, ml_module
from mlpy.runtime.limits import check_length
from mlpy.runtime.values import typeof
from mlpy.stdlib._program import generator


def _number(value: Any, what: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, not {typeof(value)}")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an integer, not {typeof(value)}")
    return value


def _list(value: Any, what: str = "list") -> list:
    if isinstance(value, str):
        return list(value)
    if not isinstance(value, list):
        raise TypeError(f"{what} must be an array, not {typeof(value)}")
    return value


@ml_module("random", "Random number generation and sampling utilities")
class Random:
    """Numbers and samples from the generator of the running program."""

    @property
    def _rng(self) -> _random.Random:
        return generator().random

    # ------------------------------------------------------------------ seeding

    @ml_function("Seed this program's generator with a number or string; returns the seed")
    def setSeed(self, s):
        if not isinstance(s, (int, float, str)) and s is not None:
            raise TypeError(f"a seed must be a number or a string, not {typeof(s)}")
        own = generator()
        own.random.seed(s)
        own.seed = s
        return s

    @ml_function("Seed this program\'s generator with a number or string; returns the seed",
                 name="set_seed")
    def set_seed(self, s):
        return self.setSeed(s)

    @ml_function("Seed this program\'s generator with a number or string; returns the seed",
                 name="seed")
    def seed(self, s):
        return self.setSeed(s)

    @ml_function("The seed last given to setSeed in this program, or null")
    def getSeed(self):
        return generator().seed

    @ml_function("The seed last given to setSeed in this program, or null", name="get_seed")
    def get_seed(self):
        return self.getSeed()

    # ------------------------------------------------------------------ numbers

    @ml_function("A float in [0, 1)", name="random")
    def random_(self):
        return self._rng.random()

    @ml_function("A float between lo and hi (Python's uniform)")
    def randomFloat(self, lo=0, hi=1):
        return self._rng.uniform(_number(lo, "lo"), _number(hi, "hi"))

    @ml_function("A float between lo and hi (Python's uniform)", name="random_float")
    def random_float(self, lo=0, hi=1):
        return self.randomFloat(lo, hi)

    @ml_function("A float between lo and hi (Python's uniform)")
    def uniform(self, lo, hi):
        return self.randomFloat(lo, hi)

    @ml_function("An integer from lo up to, not including, hi; lo >= hi is a ValueError")
    def randomInt(self, lo=0, hi=100):
        lo, hi = _int(lo, "lo"), _int(hi, "hi")
        if lo >= hi:
            raise ValueError(f"randomInt needs lo < hi, got {lo} and {hi}")
        return self._rng.randint(lo, hi - 1)

    @ml_function("An integer from lo up to, not including, hi; lo >= hi is a ValueError",
                 name="random_int")
    def random_int(self, lo=0, hi=100):
        return self.randomInt(lo, hi)

    @ml_function("An integer from 0 to 4294967295")
    def nextInt(self):
        return self._rng.randint(0, 4294967295)

    @ml_function("An integer from 0 to 4294967295", name="next_int")
    def next_int(self):
        return self.nextInt()

    @ml_function("true or false, equally likely")
    def randomBool(self):
        return self._rng.random() < 0.5

    @ml_function("true or false, equally likely", name="random_bool")
    def random_bool(self):
        return self.randomBool()

    @ml_function("true with probability p")
    def randomBoolWeighted(self, p):
        return self._rng.random() < _number(p, "p")

    @ml_function("A number from the normal distribution")
    def randomNormal(self, mean=0, sd=1):
        return self._rng.normalvariate(_number(mean, "mean"), _number(sd, "sd"))

    @ml_function("A number from the normal distribution", name="random_normal")
    def random_normal(self, mean=0, sd=1):
        return self.randomNormal(mean, sd)

    @ml_function("A number from the normal distribution")
    def gaussian(self, mean=0, sd=1):
        return self.randomNormal(mean, sd)

    @ml_function("A number from the triangular distribution (mode: the midpoint by default)")
    def triangular(self, lo, hi, mode=None):
        lo, hi = _number(lo, "lo"), _number(hi, "hi")
        if mode is None:
            mode = (lo + hi) / 2
        return self._rng.triangular(lo, hi, _number(mode, "mode"))

    # ------------------------------------------------------------------ sampling

    @ml_function("One element of an array, or null when it is empty")
    def choice(self, lst):
        items = _list(lst)
        return self._rng.choice(items) if items else None

    @ml_function("A shuffled copy of an array; the array given is not changed")
    def shuffle(self, lst):
        items = list(_list(lst))
        self._rng.shuffle(items)
        return items

    @ml_function("n distinct elements of an array in random order (all of them, shuffled, "
                 "when n is at least its length)")
    def sample(self, lst, n):
        items, n = _list(lst), _int(n, "n")
        if n < 0:
            raise ValueError(f"sample size must not be negative, got {n}")
        if n >= len(items):
            return self.shuffle(items)
        return self._rng.sample(items, n)

    @ml_function("count distinct indices below length in random order (0 to length-1 in "
                 "order when count is at least length)")
    def randomIndices(self, length, count):
        length, count = _int(length, "length"), _int(count, "count")
        if length < 0 or count < 0:
            raise ValueError("length and count must not be negative")
        check_length(min(length, count))
        if count >= length:
            return list(range(length))
        return self._rng.sample(range(length), count)

    @ml_function("count distinct indices below length in random order (0 to length-1 in "
                 "order when count is at least length)", name="random_indices")
    def random_indices(self, length, count):
        return self.randomIndices(length, count)
