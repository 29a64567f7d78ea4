"""The checks of ``import`` statements and ``capability`` blocks (part of the checker in
:mod:`mlpy.language.checks`): which modules ML may import, what each import binds (a module, a
package of modules), and what a capability block may ask for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlpy.errors import MLError
from mlpy.language import ast
from mlpy.modules.sources import ImportProblem

if TYPE_CHECKING:
    from mlpy.language.checks import Scope

# Python modules ML code may never import, whatever the module paths hold.
HOST_MODULES = frozenset(
    "os sys subprocess shutil pickle marshal imp importlib types inspect gc ctypes builtins "
    "__builtin__ socket threading multiprocessing signal pty code codeop".split()
)

PERMISSIONS = frozenset({"read", "write", "execute", "network", "system"})


class ImportChecks:
    """The checker's methods for imports and capability blocks."""

    def import_stmt(self, stmt: ast.Import, scope: Scope) -> None:
        self.bridge_names.discard(stmt.bound_name)  # until it is known to bind a Python module
        if stmt.alias:
            self.check_identifier(stmt.alias, stmt.span)
        for part in stmt.path:
            if part.startswith("_"):
                self.error("MLSEC003", f"module names cannot start with '_': '{part}'",
                           stmt.span, "security", cwe=94)
                return
        head = stmt.path[0]
        if head in HOST_MODULES:
            self.error(
                "MLSEC002", f"importing the host module '{stmt.module}' is not allowed",
                stmt.span, "security",
                ["ML reaches the host only through ML modules and granted capabilities"], cwe=94,
            )
            return
        if stmt.module == "builtin":
            self.warn("MLW004", "'builtin' is always available; the import is not needed",
                      stmt.span)
            self.module_names[stmt.bound_name] = "builtin"
            return
        try:
            kind = self.modules.resolve(stmt.module)
        except ImportProblem as problem:
            self.error(problem.code, problem.message, stmt.span, "import", problem.hints)
            return
        except MLError as error:  # the imported module itself does not compile
            hint = f"imported by {self.filename}:{stmt.span.line}"
            error.hints.append(hint)
            for diagnostic in getattr(error, "diagnostics", ()):
                if diagnostic.severity == "error":
                    diagnostic.suggestions.append(hint)
            raise
        if kind == "ml":
            self.ml_imports.append(stmt.module)
            self.ml_functions[stmt.module] = self.modules.ml_unit(stmt.module).def_only
        if stmt.alias is None and len(stmt.path) > 1:
            self.import_package(stmt)
            return
        if stmt.bound_name in self.package_imports:
            self.import_conflict(stmt, stmt.bound_name)
            return
        self.module_names[stmt.bound_name] = stmt.module
        self.import_plans[id(stmt)] = ("ml" if kind == "ml" else "bridge", stmt.module)
        if kind != "ml":
            self.bridge_names.add(stmt.bound_name)

    def import_package(self, stmt: ast.Import) -> None:
        """`import a.b.c;` binds `a` to a package whose `b.c` is the module."""
        head = stmt.path[0]
        bound = self.module_names.get(head)
        if bound is not None and head not in self.package_imports:
            self.import_conflict(stmt, head)
            return
        for depth in range(1, len(stmt.path)):
            prefix = ".".join(stmt.path[:depth])
            if prefix in self.package_imports.get(head, ()):
                self.import_conflict(stmt, prefix)
                return
        names = self.remember_package(head, stmt.path)
        self.import_plans[id(stmt)] = ("package", head, tuple(names))

    def remember_package(self, head: str, path: list[str]) -> list[str]:
        self.package_depth = max(self.package_depth, len(path) - 1)
        for depth in range(1, len(path)):
            self.package_members.setdefault(".".join(path[:depth]), set()).add(path[depth])
        names = self.package_imports.setdefault(head, [])
        module = ".".join(path)
        if module not in names:
            names.append(module)
        self.module_names[head] = head
        return names

    def import_conflict(self, stmt: ast.Import, name: str) -> None:
        self.error("E_IMPORT_CONFLICT",
                   f"'{name}' is already bound to a module; it cannot also hold the modules "
                   "under it", stmt.span, "import",
                   [f"write `import {stmt.module} as {stmt.path[-1]};`"])

    def capability(self, stmt: ast.CapabilityDecl) -> None:
        for resource in stmt.resources:
            if resource.value.strip("'\"") in ("*", "**"):
                self.error("MLSEC010", "a capability cannot claim every resource ('*')",
                           resource.span, "security", ["name the files or hosts it needs"])
        for permission, target, span in stmt.allows:
            if permission not in PERMISSIONS:
                self.error("MLC030", f"unknown permission '{permission}'", span, "syntax",
                           [f"use one of: {', '.join(sorted(PERMISSIONS))}"])
            elif permission in ("system", "execute") and (
                target is None or target.value.strip("'\"") == "*"
            ):
                self.error("MLSEC011", f"'allow {permission}' needs a specific target", span,
                           "security", [f'write `allow {permission} "name";`'])
