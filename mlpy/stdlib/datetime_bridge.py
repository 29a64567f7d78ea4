"""ML module ``datetime``: naive dates, times and durations.

Only reading the clock is an effect: ``now()``, ``today()`` (and ``calculateAge`` without a
``current`` date, which asks for today) need ``datetime.now``. Construction, parsing,
arithmetic and formatting are pure and need no capability (DESIGN D8). The host's time zone
is host information like its clock: ``fromTimestamp`` and ``timestamp()`` read times as
local time for a program granted ``datetime.now`` (and for host code), as UTC otherwise.

The values are objects whose declared methods are all ML may reach: ``DateTime``, ``Date``,
``Time`` and ``TimeDelta``. ``print`` and ``str()`` show them as ISO text.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import functools
from typing import Any

from mlpy.capabilities import require
from mlpy.ext import ml_class, ml_function, ml_module
from mlpy.runtime.limits import check_length
from mlpy.runtime.state import current_state
from mlpy.runtime.values import typeof

_END_OF_DAY = _dt.time(23, 59, 59, 999999)
_STRFTIME_GROWTH = 512  # how much longer than its format a strftime result can be


def _zone() -> _dt.tzinfo | None:
    """The zone naive times are read in: local time (None) for host code and for a program
    granted ``datetime.now``; UTC for any other program, which may not learn where the host
    is."""
    state = current_state()
    if state is None or state.capabilities.allows("datetime.now"):
        return None
    return _dt.UTC


def _alias(fn: Any, name: str) -> Any:
    """Another ML name for a declared method (the same behaviour, its own metadata)."""
    meta = fn._ml_function

    @functools.wraps(fn)
    def alias(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    del alias._ml_function
    alias.__name__ = name
    return ml_function(alias, meta.description, name=name, capabilities=meta.capabilities)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be an integer, not {typeof(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{what} must be a whole number, not {value}")
        value = int(value)
    return value


def _number(value: Any, what: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, not {typeof(value)}")
    return value


def _shift(moment: Any, **amount: Any) -> Any:
    for what, value in amount.items():
        _number(value, what)
    try:
        return moment + _dt.timedelta(**amount)
    except OverflowError:
        raise ValueError("the result is outside the years 1 to 9999") from None


def _day(value: Any, what: str = "argument") -> _dt.date:
    """The calendar date of a DateTime or Date."""
    if isinstance(value, DateTime):
        return value.value.date()
    if isinstance(value, Date):
        return value.value
    raise TypeError(f"{what} must be a DateTime or a Date, not {typeof(value)}")


def _moment(value: Any, what: str = "argument") -> _dt.datetime:
    if isinstance(value, DateTime):
        return value.value
    raise TypeError(f"{what} must be a DateTime, not {typeof(value)}")


def _delta(value: Any, what: str = "argument") -> _dt.timedelta:
    if isinstance(value, TimeDelta):
        return value.value
    raise TypeError(f"{what} must be a TimeDelta, not {typeof(value)}")


class _Value:
    """A wrapped Python value: equality, ordering and hashing by it (same class only)."""

    value: Any

    def __init__(self, value: Any):
        self.value = value

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.value == self.value

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.value))

    def __lt__(self, other: Any) -> bool:
        return self.value < self._other(other)

    def __le__(self, other: Any) -> bool:
        return self.value <= self._other(other)

    def __gt__(self, other: Any) -> bool:
        return self.value > self._other(other)

    def __ge__(self, other: Any) -> bool:
        return self.value >= self._other(other)

    def _other(self, other: Any) -> Any:
        if type(other) is not type(self):
            raise TypeError(f"cannot compare {typeof(self)} with {typeof(other)}")
        return other.value


class _Calendar(_Value):
    """What a DateTime and a Date share: their calendar-day accessors and their ISO display.
    Not an ``ml_class`` itself: each subclass's ``ml_class`` collects these declared methods
    through the MRO."""

    def _ml_display(self) -> str:
        return self.value.isoformat()

    @ml_function("The year")
    def year(self):
        return self.value.year

    @ml_function("The month, 1 to 12")
    def month(self):
        return self.value.month

    @ml_function("The day of the month")
    def day(self):
        return self.value.day

    @ml_function("The day of the week: Monday is 0, Sunday 6")
    def weekday(self):
        return self.value.weekday()


class _Clock:
    """The time-of-day accessors a DateTime and a Time share (collected by their
    ``ml_class`` through the MRO)."""

    value: Any

    @ml_function("The hour, 0 to 23")
    def hour(self):
        return self.value.hour

    @ml_function("The minute")
    def minute(self):
        return self.value.minute

    @ml_function("The second")
    def second(self):
        return self.value.second


@ml_class("DateTime", "A date and time of day, without a time zone")
class DateTime(_Calendar, _Clock):
    value: _dt.datetime

    @ml_function("Seconds since 1970-01-01 UTC, reading this time as local time (as UTC "
                 "without datetime.now)")
    def timestamp(self):
        return self.value.replace(tzinfo=_zone()).timestamp()

    @ml_function("A new DateTime n days later (earlier when negative)")
    def addDays(self, n):
        return DateTime(_shift(self.value, days=n))

    @ml_function("A new DateTime n hours later")
    def addHours(self, n):
        return DateTime(_shift(self.value, hours=n))

    @ml_function("A new DateTime n minutes later")
    def addMinutes(self, n):
        return DateTime(_shift(self.value, minutes=n))

    @ml_function("A new DateTime n seconds later")
    def addSeconds(self, n):
        return DateTime(_shift(self.value, seconds=n))

    add_days = _alias(addDays, "add_days")
    add_hours = _alias(addHours, "add_hours")
    add_minutes = _alias(addMinutes, "add_minutes")
    add_seconds = _alias(addSeconds, "add_seconds")

    @ml_function("Midnight of the same day")
    def startOfDay(self):
        return DateTime(_dt.datetime.combine(self.value.date(), _dt.time()))

    @ml_function("23:59:59.999999 of the same day")
    def endOfDay(self):
        return DateTime(_dt.datetime.combine(self.value.date(), _END_OF_DAY))

    @ml_function("Midnight of the first day of the month")
    def startOfMonth(self):
        return DateTime(_dt.datetime(self.value.year, self.value.month, 1))

    @ml_function("23:59:59.999999 of the last day of the month")
    def endOfMonth(self):
        last = calendar.monthrange(self.value.year, self.value.month)[1]
        return DateTime(_dt.datetime.combine(
            _dt.date(self.value.year, self.value.month, last), _END_OF_DAY))

    @ml_function("Midnight of January 1st")
    def startOfYear(self):
        return DateTime(_dt.datetime(self.value.year, 1, 1))

    @ml_function("23:59:59.999999 of December 31st")
    def endOfYear(self):
        return DateTime(_dt.datetime.combine(_dt.date(self.value.year, 12, 31), _END_OF_DAY))

    start_of_day = _alias(startOfDay, "start_of_day")
    end_of_day = _alias(endOfDay, "end_of_day")
    start_of_month = _alias(startOfMonth, "start_of_month")
    end_of_month = _alias(endOfMonth, "end_of_month")
    start_of_year = _alias(startOfYear, "start_of_year")
    end_of_year = _alias(endOfYear, "end_of_year")

    @ml_function("Whether another DateTime or Date falls on the same calendar day")
    def isSameDay(self, other):
        return self.value.date() == _day(other, "other")

    is_same_day = _alias(isSameDay, "is_same_day")

    @ml_function("The text of the time in a Python strftime format")
    def format(self, fmt="%Y-%m-%d %H:%M:%S"):
        if not isinstance(fmt, str):
            raise TypeError(f"format must be a string, not {typeof(fmt)}")
        # A conversion can have a width ("%_2000Y"); Python's strftime gives up on (and
        # returns "" for) a result that needs a buffer over 256 times the format's length.
        check_length(len(fmt) * _STRFTIME_GROWTH, 1)
        return self.value.strftime(fmt)

    @ml_function("ISO 8601 text, such as 2024-02-29T10:30:00")
    def toISOString(self):
        return self.value.isoformat()

    toString = _alias(toISOString, "toString")
    to_string = _alias(toISOString, "to_string")

    @ml_function("The calendar date, as a Date")
    def date(self):
        return Date(self.value.date())

    @ml_function("The time of day, as a Time")
    def time(self):
        return Time(self.value.time())

    @ml_function("The TimeDelta from another DateTime to this one (this minus other)")
    def diff(self, other):
        return TimeDelta(self.value - _moment(other, "other"))

    @ml_function("A new DateTime, a TimeDelta later")
    def add(self, delta):
        return _plus(self.value, _delta(delta, "delta"), DateTime)

    @ml_function("A new DateTime, a TimeDelta earlier")
    def subtract(self, delta):
        return _plus(self.value, -_delta(delta, "delta"), DateTime)

    @ml_function("Whether this time is before another")
    def isBefore(self, other):
        return self.value < _moment(other, "other")

    @ml_function("Whether this time is after another")
    def isAfter(self, other):
        return self.value > _moment(other, "other")

    @ml_function("Whether this time equals another")
    def isSame(self, other):
        return self.value == _moment(other, "other")


def _plus(value: Any, delta: _dt.timedelta, wrap: type) -> Any:
    try:
        return wrap(value + delta)
    except OverflowError:
        raise ValueError("the result is outside the years 1 to 9999") from None


@ml_class("Date", "A calendar date")
class Date(_Calendar):
    value: _dt.date

    @ml_function("Whether the date is a Saturday or a Sunday")
    def isWeekend(self):
        return self.value.weekday() >= 5

    @ml_function("YYYY-MM-DD")
    def toISOString(self):
        return self.value.isoformat()

    @ml_function("A new Date n days later")
    def addDays(self, n):
        return Date(_shift(self.value, days=_int(n, "days")))

    @ml_function("A new Date n days earlier")
    def subtractDays(self, n):
        return Date(_shift(self.value, days=-_int(n, "days")))

    @ml_function("Whole days from another Date to this one (this minus other)")
    def diff(self, other):
        if not isinstance(other, Date):
            raise TypeError(f"other must be a Date, not {typeof(other)}")
        return (self.value - other.value).days


@ml_class("Time", "A time of day")
class Time(_Value, _Clock):
    def _ml_display(self) -> str:
        return self.value.isoformat()

    @ml_function("HH:MM:SS (with microseconds when not zero)")
    def toISOString(self):
        return self.value.isoformat()


@ml_class("TimeDelta", "A duration, possibly negative, shown as Python shows a timedelta "
                       "(1 day, 2:00:00)")
class TimeDelta(_Value):
    def _ml_display(self) -> str:
        return str(self.value)

    @ml_function("Whole days (Python's normalised form: may be negative)")
    def days(self):
        return self.value.days

    @ml_function("Seconds besides the whole days, 0 to 86399")
    def seconds(self):
        return self.value.seconds

    @ml_function("The whole duration in seconds")
    def totalSeconds(self):
        return self.value.total_seconds()

    @ml_function("The whole duration in minutes")
    def totalMinutes(self):
        return self.value.total_seconds() / 60

    @ml_function("The whole duration in hours")
    def totalHours(self):
        return self.value.total_seconds() / 3600

    @ml_function("The whole duration in days")
    def totalDays(self):
        return self.value.total_seconds() / 86400

    @ml_function("The sum of two durations")
    def add(self, other):
        return _plus(self.value, _delta(other, "other"), TimeDelta)

    @ml_function("This duration minus another")
    def subtract(self, other):
        return _plus(self.value, -_delta(other, "other"), TimeDelta)

    @ml_function("This duration times a number")
    def multiply(self, factor):
        try:
            return TimeDelta(self.value * _number(factor, "factor"))
        except OverflowError:
            raise ValueError("the duration is too large") from None

    @ml_function("Whether the duration is negative")
    def isNegative(self):
        return self.value < _dt.timedelta(0)

    @ml_function("The duration without its sign")
    def abs(self):  # the ML name; the builtin stays visible inside methods
        return TimeDelta(abs(self.value))


def _business_days_from(start: _dt.date, n: int) -> _dt.date:
    """``n`` weekdays after (before, when negative) ``start``, stepping over Saturdays and
    Sundays: the first block of up to five steps is walked, every later block of five is a
    week (so a huge ``n`` costs no loop)."""
    step = 1 if n > 0 else -1
    count = abs(n)
    walk = (count - 1) % 5 + 1
    day = start
    for _ in range(walk):
        day += _dt.timedelta(days=step)
        while day.weekday() >= 5:
            day += _dt.timedelta(days=step)
    return day + _dt.timedelta(days=step * 7 * ((count - walk) // 5))


def _weekdays_between(a: _dt.date, b: _dt.date) -> int:
    start, end = min(a, b), max(a, b)
    weeks, extra = divmod((end - start).days + 1, 7)
    first = start.weekday()
    return weeks * 5 + sum(1 for i in range(extra) if (first + i) % 7 < 5)


@ml_module("datetime", "Date and time manipulation with timezone support")
class Datetime:
    """Only ``now`` and ``today`` read the clock and need ``datetime.now``."""

    @ml_function("The current local date and time as a DateTime; the current UTC time when "
                 "tz is not null",
                 capabilities=["datetime.now"])
    def now(self, tz=None):
        if tz is None:
            return DateTime(_dt.datetime.now())
        return DateTime(_dt.datetime.now(_dt.UTC).replace(tzinfo=None))

    @ml_function("Today's local date as a Date", capabilities=["datetime.now"])
    def today(self):
        return Date(_dt.date.today())

    @ml_function("A DateTime from its components; impossible ones are a ValueError "
                 "(Invalid datetime components: ...)")
    def create(self, year, month, day, hour=0, minute=0, second=0):
        parts = [_int(v, w) for v, w in ((year, "year"), (month, "month"), (day, "day"),
                                         (hour, "hour"), (minute, "minute"),
                                         (second, "second"))]
        try:
            return DateTime(_dt.datetime(*parts))
        except ValueError as error:
            raise ValueError(f"Invalid datetime components: {error}") from None

    @ml_function("A Date from its components; impossible ones are a ValueError (Invalid "
                 "date: ...)")
    def createDate(self, year, month, day):
        parts = [_int(v, w) for v, w in ((year, "year"), (month, "month"), (day, "day"))]
        try:
            return Date(_dt.date(*parts))
        except ValueError as error:
            raise ValueError(f"Invalid date: {error}") from None

    @ml_function("A Time from its components; impossible ones are a ValueError (Invalid "
                 "time: ...)")
    def createTime(self, hour=0, minute=0, second=0, microsecond=0):
        parts = [_int(v, w) for v, w in ((hour, "hour"), (minute, "minute"),
                                         (second, "second"), (microsecond, "microsecond"))]
        try:
            return Time(_dt.time(*parts))
        except ValueError as error:
            raise ValueError(f"Invalid time: {error}") from None

    @ml_function("A TimeDelta of days, hours, minutes and seconds (any may be negative or "
                 "fractional)")
    def createDelta(self, days=0, hours=0, minutes=0, seconds=0):
        amounts = {w: _number(v, w) for v, w in ((days, "days"), (hours, "hours"),
                                                 (minutes, "minutes"), (seconds, "seconds"))}
        try:
            return TimeDelta(_dt.timedelta(**amounts))
        except OverflowError:
            raise ValueError("the duration is too large") from None

    @ml_function("The local DateTime of a Unix timestamp in seconds (the UTC one without "
                 "datetime.now)")
    def fromTimestamp(self, ts):
        zone = _zone()
        try:
            moment = _dt.datetime.fromtimestamp(_number(ts, "timestamp"), zone)
            return DateTime(moment.replace(tzinfo=None))
        except (OverflowError, OSError, ValueError) as error:
            raise ValueError(f"Invalid timestamp {ts}: {error}") from None

    from_timestamp = _alias(fromTimestamp, "from_timestamp")

    @ml_function("A DateTime from ISO 8601 text such as 2024-02-29 or 2024-02-29T10:30:00 "
                 "(converted to UTC when it has an offset); other text is a ValueError "
                 "(Invalid ISO datetime string ...)")
    def parseISO(self, text):
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, not {typeof(text)}")
        try:
            value = _dt.datetime.fromisoformat(text)
        except ValueError as error:
            raise ValueError(f"Invalid ISO datetime string {text!r}: {error}") from None
        if value.tzinfo is not None:  # naive values only: convert to UTC
            value = value.astimezone(_dt.UTC).replace(tzinfo=None)
        return DateTime(value)

    @ml_function("The number of days in a month (0 for a month outside 1 to 12)")
    def daysInMonth(self, year, month):
        year, month = _int(year, "year"), _int(month, "month")
        if not 1 <= month <= 12 or not 1 <= year <= 9999:
            return 0
        return calendar.monthrange(year, month)[1]

    days_in_month = _alias(daysInMonth, "days_in_month")

    @ml_function("Whether a year is a leap year")
    def isLeapYear(self, year):
        return calendar.isleap(_int(year, "year"))

    @ml_function("Whether a DateTime or Date is a Saturday or a Sunday")
    def isWeekend(self, dt):
        return _day(dt, "dt").weekday() >= 5

    @ml_function("Whether a DateTime or Date is a Monday to Friday")
    def isWeekday(self, dt):
        return _day(dt, "dt").weekday() < 5

    is_weekend = _alias(isWeekend, "is_weekend")
    is_weekday = _alias(isWeekday, "is_weekday")

    @ml_function("Whole years from birth to current (to today when current is null, which "
                 "needs datetime.now)")
    def calculateAge(self, birth, current=None):
        born = _day(birth, "birth")
        if current is None:
            require("datetime.now")
            at = _dt.date.today()
        else:
            at = _day(current, "current")
        before_birthday = (at.month, at.day) < (born.month, born.day)
        return at.year - born.year - int(before_birthday)

    calculate_age = _alias(calculateAge, "calculate_age")

    @ml_function("A new DateTime or Date n weekdays later (earlier when negative), skipping "
                 "Saturdays and Sundays; n = 0 returns dt")
    def addBusinessDays(self, dt, n):
        n = _int(n, "n")
        start = _day(dt, "dt")
        if n == 0:
            return dt
        try:
            day = _business_days_from(start, n)
        except OverflowError:
            raise ValueError("the result is outside the years 1 to 9999") from None
        if isinstance(dt, Date):
            return Date(day)
        return DateTime(_dt.datetime.combine(day, dt.value.time()))

    add_business_days = _alias(addBusinessDays, "add_business_days")

    @ml_function("The number of Monday-to-Friday dates from a to b, both included, in "
                 "either order")
    def businessDaysBetween(self, a, b):
        return _weekdays_between(_day(a, "a"), _day(b, "b"))

    business_days_between = _alias(businessDaysBetween, "business_days_between")

    @ml_function('The text "UTC"')
    def utc(self):
        return "UTC"

    @ml_function("An object {hours, minutes, name} describing a fixed UTC offset; the default "
                 "name is like UTC+5:30")
    def createTimeZone(self, hours, minutes=0, name=""):
        hours, minutes = _int(hours, "hours"), _int(minutes, "minutes")
        if not isinstance(name, str):
            raise TypeError(f"name must be a string, not {typeof(name)}")
        if not name:
            sign = "-" if hours < 0 or (hours == 0 and minutes < 0) else "+"
            name = f"UTC{sign}{abs(hours)}:{abs(minutes):02d}"
        return {"hours": hours, "minutes": minutes, "name": name}
