"""Developer sessions: ``nox -s tests``, ``nox -s docs``, ``nox -s examples``, ``nox -s bench``.

``tests`` runs once per supported Python: ``nox -s tests-3.11``, ``tests-3.12``,
``tests-3.13`` (``nox -s tests`` runs each one installed, and skips, saying so, those that
are not). A convenience only: CI (``.ci/run``) does not need nox. Arguments after ``--`` go
to the tool, e.g. ``nox -s tests-3.12 -- -k strings`` or ``nox -s bench -- --quick``.
"""

import shutil

import nox

nox.options.sessions = ["tests", "docs", "examples"]

# Every Python the package supports (pyproject.toml: requires-python and the classifiers).
PYTHONS = ["3.11", "3.12", "3.13"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The test suite."""
    session.install(".[test,cli,docs]")  # the docs tests import the docs extension
    session.run("pytest", *(session.posargs or ["-n", "auto", "--dist", "loadfile", "tests"]))


@nox.session
def docs(session: nox.Session) -> None:
    """Build the guide as HTML and EPUB (warnings are errors) and check the site as CI does:
    its internal links, then every page in headless Chromium (screenshots in
    docs/_build/screenshots/; skipped, saying so, where Debian's chromium is not installed)."""
    session.install(".[docs]")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html",
                *session.posargs)
    session.run("sphinx-build", "-W", "--keep-going", "-b", "epub", "-d",
                "docs/_build/html/.doctrees", "docs", "docs/_build/epub")
    session.run("python", "docs/_ext/check_links.py", "docs/_build/html")
    if shutil.which("chromium"):
        session.run("python", "docs/_ext/check_site.py", "docs/_build/html")
    else:
        session.warn("the browser check is skipped: Chromium is not installed "
                     "(Debian: apt-get install -y chromium)")


@nox.session
def examples(session: nox.Session) -> None:
    """Every example project, with the frameworks it integrates with (the ``examples``
    extra: FastAPI, Flask, Django, PySide6, pydantic, ...), and the guide's checks."""
    session.install(".[test,cli,examples]")
    session.run("pytest", *(session.posargs or ["-n", "auto", "--dist", "loadfile", "examples",
                                                "tests/test_guide.py"]))


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark report (ratios against plain Python); never fails for being slow."""
    session.install(".")
    session.run("python", "benchmarks/run.py", *session.posargs)
