"""The ``random`` module: pure (no grant), a private generator per execution, Python's
sequences after a seed, never the host's global ``random`` state."""

from __future__ import annotations

import random

import pytest


def test_seeded_sequence_is_pythons(run):
    out = run.output("""
        import random;
        print(random.setSeed(42), random.randomInt(1, 10), random.random());
    """)
    assert out == "42 2 0.025010755222666936\n"


ALL_CALLS = """
    import random;
    random.setSeed(7);
    r = [random.random(), random.randomFloat(), random.random_float(2, 3), random.uniform(1, 2),
         random.randomInt(), random.random_int(5, 6), random.nextInt(), random.next_int(),
         random.randomBool(), random.random_bool(), random.randomBoolWeighted(1),
         random.randomBoolWeighted(0), random.randomNormal(), random.random_normal(10, 0),
         random.gaussian(1, 2), random.triangular(0, 10), random.triangular(0, 10, 9),
         random.choice([1, 2, 3]), random.choice([]), random.shuffle([1, 2, 3, 4]),
         random.shuffle([]), random.sample([1, 2, 3, 4], 2), random.sample([1, 2], 5),
         random.sample([], 1), random.randomIndices(10, 3), random.random_indices(3, 5),
         random.getSeed(), random.get_seed()];
    print(r);
"""


def test_every_function_needs_no_grant_and_is_deterministic_after_a_seed(run):
    first, second = run.output(ALL_CALLS), run.output(ALL_CALLS)
    assert first == second
    r = run(ALL_CALLS.replace("print(r);", "result = r;")).value
    assert 0 <= r[0] < 1 and 0 <= r[1] <= 1 and 2 <= r[2] <= 3 and 1 <= r[3] <= 2
    assert 0 <= r[4] < 100 and r[5] == 5 and 0 <= r[6] <= 4294967295
    assert r[10] is True and r[11] is False and r[13] == 10
    assert 0 <= r[15] <= 10 and r[17] in (1, 2, 3) and r[18] is None
    assert sorted(r[19]) == [1, 2, 3, 4] and r[20] == []
    assert len(r[21]) == 2 and sorted(r[22]) == [1, 2] and r[23] == []
    assert len(set(r[24])) == 3 and all(0 <= i < 10 for i in r[24]) and r[25] == [0, 1, 2]
    assert r[26] == 7 and r[27] == 7


def test_the_mapping_matches_pythons_generator(run):
    result = run("""
        import random;
        random.set_seed(3);
        result = [random.randomInt(0, 6), random.uniform(1, 2), random.nextInt(),
                  random.randomNormal(0, 1), random.shuffle([1, 2, 3, 4, 5]),
                  random.sample([1, 2, 3, 4, 5], 3), random.randomIndices(20, 4)];
    """)
    py = random.Random(3)
    expected = [py.randint(0, 5), py.uniform(1, 2), py.randint(0, 4294967295),
                py.normalvariate(0, 1)]
    items = [1, 2, 3, 4, 5]
    py.shuffle(items)
    expected += [items, py.sample([1, 2, 3, 4, 5], 3), py.sample(range(20), 4)]
    assert result.value == expected


def test_seeding_in_ml_leaves_the_host_generator_alone(run):
    random.seed(1234)
    expected = random.Random(1234).random()
    run.output("import random; random.seed(1); x = random.random();")
    assert random.random() == expected


def test_executions_do_not_share_a_seed(run):
    run.output("import random; random.setSeed(5);")
    result = run("import random; result = random.getSeed();")
    assert result.value is None


def test_results_are_arrays_never_tuples(run):
    result = run("import random; result = [random.sample([1, 2, 3], 2), "
                 "random.shuffle([1, 2]), random.randomIndices(5, 2)];")
    assert all(type(v) is list for v in result.value)


@pytest.mark.parametrize("program, kind", [
    ("random.randomInt(5, 5);", "ValueError"),
    ("random.randomInt('a', 5);", "TypeError"),
    ("random.sample([1], -1);", "ValueError"),
    ("random.shuffle(3);", "TypeError"),
    ("random.randomIndices(-1, 2);", "ValueError"),
])
def test_bad_arguments_are_catchable_errors(run, program, kind):
    out = run.output(f"import random; try {{ {program} }} except (e) {{ print(e.type); }}")
    assert out == f"{kind}\n"


def test_sizes_are_limited(run):
    result = run("import random; x = random.randomIndices(1000000000000, 1000000000000);")
    assert not result.ok
