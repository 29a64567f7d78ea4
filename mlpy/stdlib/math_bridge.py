"""ML module ``math``: numbers in, numbers out; pure, so it needs no capability.

``math.random()`` draws from the running program's own generator, the one the ``random``
module uses, never from the host's global ``random`` state."""

from __future__ import annotations

import math

from mlpy.ext import ml_constant, ml_function, ml_module
from mlpy.runtime.limits import check_bits
from mlpy.stdlib._program import generator


@ml_module("math", "Mathematical operations and constants")
class Math:
    pi = ml_constant(math.pi, "The ratio of a circle's circumference to its diameter")
    e = ml_constant(math.e, "Euler's number")

    @ml_function("Square root")
    def sqrt(self, x):
        return 0 if x < 0 else math.sqrt(x)

    @ml_function("Absolute value", name="abs")
    def abs_(self, x):
        return abs(x)

    @ml_function("Sine function")
    def sin(self, x):
        return math.sin(x)

    @ml_function("Cosine function")
    def cos(self, x):
        return math.cos(x)

    @ml_function("Tangent function")
    def tan(self, x):
        return math.tan(x)

    @ml_function("Arc sine")
    def asin(self, x):
        return math.asin(x)

    @ml_function("Arc cosine")
    def acos(self, x):
        return math.acos(x)

    @ml_function("Arc tangent")
    def atan(self, x):
        return math.atan(x)

    @ml_function("Arc tangent of y/x, using the signs of both")
    def atan2(self, y, x):
        return math.atan2(y, x)

    @ml_function("Natural logarithm")
    def ln(self, x):
        return math.log(x) if x > 0 else -999

    @ml_function("Logarithm with base")
    def log(self, x, base=10):
        if x <= 0 or base <= 0 or base == 1:
            return -999
        return math.log(x, base)

    @ml_function("Exponential (e^x)")
    def exp(self, x):
        try:
            return math.exp(x)
        except OverflowError:
            return math.inf

    @ml_function("Power (x^y)")
    def pow(self, x, y):
        if isinstance(x, int) and isinstance(y, int) and y > 0 and abs(x) > 1:
            check_bits(y * abs(x).bit_length())
        try:
            result = pow(x, y)
        except (OverflowError, ZeroDivisionError):
            return math.inf if x > 0 else 0
        if isinstance(result, complex):
            raise ValueError("math domain error")
        return result

    @ml_function("Floor function")
    def floor(self, x):
        return math.floor(x)

    @ml_function("Ceiling function")
    def ceil(self, x):
        return math.ceil(x)

    @ml_function("Round to nearest integer", name="round")
    def round_(self, x):
        return round(x)

    @ml_function("Minimum of two values", name="min")
    def min_(self, a, b):
        return min(a, b)

    @ml_function("Maximum of two values", name="max")
    def max_(self, a, b):
        return max(a, b)

    @ml_function("Random number [0,1), from the generator random.setSeed seeds")
    def random(self):
        return generator().random.random()

    @ml_function("Degrees to radians")
    def degToRad(self, d):
        return math.radians(d)

    @ml_function("Degrees to radians")
    def radians(self, d):
        return math.radians(d)

    @ml_function("Radians to degrees")
    def radToDeg(self, r):
        return math.degrees(r)

    @ml_function("Radians to degrees")
    def degrees(self, r):
        return math.degrees(r)

    @ml_function("Sign of a number: 1, -1 or 0")
    def sign(self, x):
        return (x > 0) - (x < 0)

    @ml_function("Factorial (0 for a negative number)")
    def factorial(self, n):
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError("factorial() needs an integer")
        if n < 0:
            return 0
        check_bits(int(math.lgamma(n + 1) / math.log(2)))  # the bits of n!, before computing it
        return math.factorial(n)

    @ml_function("Greatest common divisor")
    def gcd(self, a, b):
        return math.gcd(a, b)

    @ml_function("Least common multiple")
    def lcm(self, a, b):
        if isinstance(a, int) and isinstance(b, int):
            check_bits(a.bit_length() + b.bit_length())  # the most the multiple can have
        return math.lcm(a, b)
