"""Checks the import graph on tiny workspaces written to a temporary directory:
one with a known cycle (and an import of `local` from `shared`), one with
none but with every kind of reference that must not make an edge.
"""

import io
import os
import tempfile

from cycles import report
from graph import Workspace

CYCLIC = {
    "Cargo.toml": '[workspace]\nmembers = ["shared", "local"]\n',
    "shared/Cargo.toml": '[package]\nname = "shared"\n',
    "shared/src/lib.rs": "pub mod a;\npub mod b;\npub mod c;\npub fn up() { local::Thing::new(); }\n",
    "shared/src/a.rs": "use crate::b::B;\npub struct A;\n",
    "shared/src/b.rs": "pub struct B;\npub fn f() { super::c::g(); }\n",
    "shared/src/c.rs": "pub fn g() -> crate::a::A { crate::a::A }\n",
    "local/Cargo.toml": '[package]\nname = "local"\n',
    "local/src/lib.rs": "pub struct Thing;\n",
}

ACYCLIC = {
    "Cargo.toml": '[workspace]\nmembers = ["shared", "functions/hook"]\n',
    "shared/Cargo.toml": '[package]\nname = "shared"\n',
    # A parent and its child use each other: not an edge either way.
    "shared/src/lib.rs": "pub mod store;\nmod x;\nmod y;\npub fn root() { x::X; }\n",
    "shared/src/x.rs": (
        "use crate::root;\n"
        "use crate::y::Y;\n"
        "pub struct X;\n"
        "// crate::y::back() in a comment, /* crate::y::back() */ and in a string:\n"
        'const S: &str = "crate::y::back()";\n'
        "const R: &str = r#\"crate::y::back()\"#;\n"
        "#[cfg(test)]\nmod tests {\n    use super::*;\n    fn t() { let _ = X; }\n}\n"
    ),
    # A re-export of X is no edge back to x.rs.
    "shared/src/y.rs": "pub use crate::x::X as Again;\npub struct Y;\npub fn back() {}\nfn c() -> char { '{' }\n",
    "shared/src/store/mod.rs": "mod events;\npub use events::EventStore;\n",
    "shared/src/store/events.rs": "pub trait EventStore {}\n",
    "functions/hook/Cargo.toml": '[package]\nname = "hook"\n',
    "functions/hook/src/lib.rs": "use shared::store::EventStore;\npub fn h(_: &dyn EventStore) {}\n",
    "functions/hook/src/main.rs": "fn main() { hook::h(todo!()); }\n",
}


def write(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)


def run():
    failures = []

    def check(what, ok):
        print(("ok      " if ok else "FAILED  ") + what)
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory() as root:
        write(root, CYCLIC)
        out = io.StringIO()
        code = report(root, out)
        text = out.getvalue()
        check("a cycle fails the run", code == 1)
        check("the cycle a -> b -> c -> a is printed in order",
              "cycle 1: shared/src/a.rs -> shared/src/b.rs -> shared/src/c.rs -> shared/src/a.rs" in text)
        check("an import of local from shared is reported",
              "imports local: shared/src/lib.rs:4 -> local/src/lib.rs" in text)
    with tempfile.TemporaryDirectory() as root:
        write(root, ACYCLIC)
        out = io.StringIO()
        code = report(root, out)
        text = out.getvalue()
        check("no cycle passes the run", code == 0 and "cycle 1:" not in text and "; 0 cycles in 0 groups;" in text)
        edges = {(e.src, e.dst) for e in Workspace(root).edges()}
        check("a use is an edge (x.rs -> y.rs)", ("shared/src/x.rs", "shared/src/y.rs") in edges)
        check("a re-export is followed to where the item is defined",
              ("functions/hook/src/lib.rs", "shared/src/store/events.rs") in edges)
        check("a path through another crate is an edge (main.rs -> lib.rs)",
              ("functions/hook/src/main.rs", "functions/hook/src/lib.rs") in edges)
        check("a re-export, a comment, a string, a char '{' are no edge (y.rs -> x.rs)",
              ("shared/src/y.rs", "shared/src/x.rs") not in edges)
        check("a file and its parent module are no edge",
              not any("shared/src/lib.rs" in e for e in edges))
        check("a mod declaration is no edge",
              ("shared/src/store/mod.rs", "shared/src/store/events.rs") not in edges)
    print("self-test: " + ("ok" if not failures else f"{len(failures)} failed"))
    return 1 if failures else 0
