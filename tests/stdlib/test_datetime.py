"""The ``datetime`` module: reading the clock needs ``datetime.now``; construction, parsing,
arithmetic and formatting need nothing."""

from __future__ import annotations

import datetime as dt

import pytest


def test_construction_components_and_display(run):
    out = run.output("""
        import datetime;
        d = datetime.create(2024, 2, 29, 10, 30, 5);
        print(d, typeof(d), str(d), [d]);
        print(d.year(), d.month(), d.day(), d.hour(), d.minute(), d.second(), d.weekday());
        print(d.toISOString(), d.toString(), d.to_string(), d.format(), d.format("%d/%m/%Y"));
        print(d.date(), typeof(d.date()), d.time(), typeof(d.time()));
        print(datetime.createDate(2024, 1, 31), datetime.createTime(8, 5), datetime.createTime(),
              datetime.createTime(1, 2, 3, 4));
        print(datetime.createDelta(1, 2, 3, 4), typeof(datetime.createDelta()));
    """)
    assert out == (
        "2024-02-29T10:30:05 DateTime 2024-02-29T10:30:05 [2024-02-29T10:30:05]\n"
        "2024 2 29 10 30 5 3\n"
        "2024-02-29T10:30:05 2024-02-29T10:30:05 2024-02-29T10:30:05 2024-02-29 10:30:05 "
        "29/02/2024\n"
        "2024-02-29 Date 10:30:05 Time\n"
        "2024-01-31 08:05:00 00:00:00 01:02:03.000004\n"
        "1 day, 2:03:04 TimeDelta\n")


def test_datetime_arithmetic(run):
    out = run.output("""
        import datetime;
        d = datetime.create(2024, 2, 28, 22);
        print(d.addDays(1), d.add_days(-1), d.addHours(3), d.add_hours(1), d.addMinutes(90),
              d.add_minutes(1), d.addSeconds(61), d.add_seconds(0.5));
        print(d.startOfDay(), d.endOfDay(), d.startOfMonth(), d.endOfMonth());
        print(d.startOfYear(), d.endOfYear(), d.start_of_day(), d.end_of_day());
        print(d.start_of_month(), d.end_of_month(), d.start_of_year(), d.end_of_year());
        e = datetime.create(2024, 3, 1);
        delta = e.diff(d);
        print(delta, delta.days(), delta.seconds(), delta.totalSeconds(), delta.totalMinutes(),
              delta.totalHours(), delta.totalDays());
        print(d.add(delta), e.subtract(delta), d.isBefore(e), d.isAfter(e), d.isSame(d.addDays(0)));
        print(d.isSameDay(d.startOfDay()), d.is_same_day(e), d.isSameDay(d.date()));
        n = d.diff(e);
        print(n, n.isNegative(), n.abs(), delta.add(delta), delta.subtract(delta),
              delta.multiply(2), delta.multiply(0.5).isNegative());
        print(d < e, d == datetime.create(2024, 2, 28, 22), d.timestamp() > 0);
    """)
    assert out == (
        "2024-02-29T22:00:00 2024-02-27T22:00:00 2024-02-29T01:00:00 2024-02-28T23:00:00 "
        "2024-02-28T23:30:00 2024-02-28T22:01:00 2024-02-28T22:01:01 2024-02-28T22:00:00.500000\n"
        "2024-02-28T00:00:00 2024-02-28T23:59:59.999999 2024-02-01T00:00:00 "
        "2024-02-29T23:59:59.999999\n"
        "2024-01-01T00:00:00 2024-12-31T23:59:59.999999 2024-02-28T00:00:00 "
        "2024-02-28T23:59:59.999999\n"
        "2024-02-01T00:00:00 2024-02-29T23:59:59.999999 2024-01-01T00:00:00 "
        "2024-12-31T23:59:59.999999\n"
        "1 day, 2:00:00 1 7200 93600.0 1560.0 26.0 1.0833333333333333\n"
        "2024-03-01T00:00:00 2024-02-28T22:00:00 true false true\n"
        "true false true\n"
        "-2 days, 22:00:00 true 1 day, 2:00:00 2 days, 4:00:00 0:00:00 2 days, 4:00:00 false\n"
        "true true true\n")


def test_dates_and_times(run):
    out = run.output("""
        import datetime;
        d = datetime.createDate(2024, 3, 2);
        print(d.year(), d.month(), d.day(), d.weekday(), d.isWeekend(), d.toISOString());
        print(d.addDays(30), d.subtractDays(2), d.diff(datetime.createDate(2024, 1, 1)));
        t = datetime.createTime(13, 4, 5);
        print(t.hour(), t.minute(), t.second(), t.toISOString());
    """)
    assert out == ("2024 3 2 5 true 2024-03-02\n2024-04-01 2024-02-29 61\n13 4 5 13:04:05\n")


def test_module_helpers(run):
    out = run.output("""
        import datetime;
        sat = datetime.createDate(2024, 3, 2);
        mon = datetime.create(2024, 3, 4, 9);
        print(datetime.daysInMonth(2024, 2), datetime.days_in_month(2023, 2),
              datetime.daysInMonth(2024, 13), datetime.isLeapYear(2000), datetime.isLeapYear(1900));
        print(datetime.isWeekend(sat), datetime.isWeekday(sat), datetime.is_weekend(mon),
              datetime.is_weekday(mon));
        print(datetime.addBusinessDays(sat, 1), datetime.add_business_days(sat, 5),
              datetime.addBusinessDays(mon, -1), datetime.addBusinessDays(mon, 11),
              datetime.addBusinessDays(mon, 0));
        print(datetime.businessDaysBetween(sat, mon), datetime.business_days_between(
              datetime.createDate(2024, 3, 15), datetime.createDate(2024, 3, 1)));
        b = datetime.createDate(2000, 3, 5);
        print(datetime.calculateAge(b, datetime.createDate(2024, 3, 4)),
              datetime.calculate_age(b, datetime.create(2024, 3, 5)));
        print(datetime.utc(), datetime.createTimeZone(5, 30), datetime.createTimeZone(-3),
              datetime.createTimeZone(1, 0, "CET"));
        print(datetime.parseISO("2024-02-29T10:30:00"), datetime.parseISO("2024-02-29"),
              datetime.parseISO("2024-01-01T01:00:00+01:00"));
        print(datetime.fromTimestamp(0).year() >= 1969, typeof(datetime.from_timestamp(86400)));
    """)
    assert out == (
        "29 28 0 true false\n"
        "true false false true\n"
        "2024-03-04 2024-03-08 2024-03-01T09:00:00 2024-03-19T09:00:00 2024-03-04T09:00:00\n"
        "1 11\n"
        "23 24\n"
        "UTC {'hours': 5, 'minutes': 30, 'name': 'UTC+5:30'} "
        "{'hours': -3, 'minutes': 0, 'name': 'UTC-3:00'} "
        "{'hours': 1, 'minutes': 0, 'name': 'CET'}\n"
        "2024-02-29T10:30:00 2024-02-29T00:00:00 2024-01-01T00:00:00\n"
        "true DateTime\n")


@pytest.mark.parametrize("n", [1, 4, 5, 6, 9, 10, 11, 23, -1, -5, -6, -12])
@pytest.mark.parametrize("day", range(1, 8))
def test_business_days_agree_with_walking_day_by_day(run, n, day):
    start = dt.date(2024, 4, day)
    walked, step = start, 1 if n > 0 else -1
    for _ in range(abs(n)):
        walked += dt.timedelta(days=step)
        while walked.weekday() >= 5:
            walked += dt.timedelta(days=step)
    result = run(f"import datetime; result = str(datetime.addBusinessDays("
                 f"datetime.createDate(2024, 4, {day}), {n}));")
    assert result.value == walked.isoformat()


def test_reading_the_clock_needs_datetime_now(run):
    before = dt.datetime.now()
    result = run("import datetime; n = datetime.now(); u = datetime.now('utc'); "
                 "result = [n.year(), typeof(u), str(datetime.today())];",
                 ["datetime.now"])
    assert result.value[0] >= before.year and result.value[1] == "DateTime"
    assert result.value[2] >= before.date().isoformat()
    out = run.output("import datetime; b = datetime.createDate(2000, 1, 1); "
                     "print(datetime.calculateAge(b) >= 24);", ["datetime.now"])
    assert out == "true\n"


@pytest.mark.parametrize("call", [
    "datetime.now()", "datetime.today()", "datetime.now('utc')",
    "f = datetime.now; f()", "o = {t: datetime.today}; o.t()",
    "datetime.calculateAge(datetime.createDate(2000, 1, 1))",
])
def test_the_clock_is_refused_without_a_grant_on_every_path(run, call):
    run.refused(f"import datetime; {call};")
    out = run.output(f"import datetime; try {{ {call}; }} except (e) {{ print(e.type); }}")
    assert out == "CapabilityError\n"


def test_only_declared_members_are_reachable(run):
    for program in ["d = datetime.create(2024, 1, 1); x = d.value;",
                    "d = datetime.create(2024, 1, 1); x = d.replace(year=1);",
                    "x = datetime.createDelta(1).value;"]:
        result = run("import datetime; " + program)
        assert not result.ok


@pytest.mark.parametrize("program, kind, message", [
    ("datetime.create(2023, 2, 29)", "ValueError", "Invalid datetime components: "),
    ("datetime.createDate(2024, 13, 1)", "ValueError", "Invalid date: "),
    ("datetime.createTime(25)", "ValueError", "Invalid time: "),
    ("datetime.parseISO('soon')", "ValueError", "Invalid ISO datetime string 'soon'"),
    ("datetime.create('2024', 1, 1)", "TypeError", "year must be an integer"),
    ("datetime.create(2024, 1, 1).addDays(10000000)", "ValueError", "outside the years"),
    ("datetime.create(2024, 1, 1).diff(3)", "TypeError", "other must be a DateTime"),
    ("datetime.fromTimestamp(100000000000000000000)", "ValueError", "Invalid timestamp"),
    ("datetime.create(2024, 1, 1) < datetime.createDate(2024, 1, 1)", "TypeError",
     "cannot compare"),
])
def test_bad_values_are_catchable_errors(run, program, kind, message):
    out = run.output(f"import datetime; try {{ x = {program}; }} "
                     "except (e) { print(e.type); print(e.message); }")
    got_kind, got_message = out.splitlines()[:2]
    assert got_kind == kind and message in got_message


def test_pure_functions_need_no_grant(run):
    result = run("import datetime; result = [getCapabilities(), "
                 "str(datetime.create(2024, 1, 1).addDays(1))];")
    assert result.value == [[], "2024-01-02T00:00:00"]
