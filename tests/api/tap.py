"""TAP for the Python checks of tests/api: report() each check, done() at the end."""
import sys

_n = _failed = 0


def report(ok, desc, detail=()):
    """One test line; when it fails, detail (lines) follows as comments."""
    global _n, _failed
    _n += 1
    print(("ok" if ok else "not ok"), _n, "-", desc)
    if not ok:
        _failed += 1
        for d in detail:
            print("#  ", d)


def done():
    """The plan line, and the exit status: 1 when a check failed."""
    print(f"1..{_n}")
    sys.exit(1 if _failed else 0)
