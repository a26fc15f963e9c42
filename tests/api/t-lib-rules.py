#!/usr/bin/env python3
"""Rules of the library's code that a reader would otherwise have to keep
checking by hand (DESIGN §6), as TAP:
 - every path into the tree is built by lib/sysfs.c: no other lib/*.c
   formats one ("%s/driver", SYSFS_PCI_DRIVERS "/%s/bind") with snprintf;
   the shell commands a message suggests ("echo ... > .../bind") are text
   for the user, not paths the library opens;
 - library messages are neutral: no string names a command of the tool
   ('vfioctl recover') or an option (--group); the reason enum carries the
   why and tools/ words the advice. One exception, named below.
usage: t-lib-rules.py LIBDIR"""
import os
import re
import sys

from tap import done, report

libdir = sys.argv[1]

def calls(text, name):
    """(line, argument text) of each call of name(...), balanced parentheses."""
    for m in re.finditer(r"\b%s\s*\(" % name, text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        yield text.count("\n", 0, m.start()) + 1, text[m.end():i - 1]


path_format = re.compile(r'"[^"]*%[su]/[a-z_-]+|SYSFS_[A-Z_]+\s*"/')
built = []
for f in sorted(os.listdir(libdir)):
    if not f.endswith(".c") or f == "sysfs.c":
        continue
    text = open(os.path.join(libdir, f)).read()
    for line, args in calls(text, "snprintf"):
        if path_format.search(args) and "echo" not in args:
            built.append(f"lib/{f}:{line}: snprintf({' '.join(args.split())[:70]}...): "
                         "use a path builder of sysfs.c (internal.h)")
report(not built, "no lib file but sysfs.c builds a sysfs path", built)

# Strings carrying command-line words, per file: none but reserve.c's,
# the header comment of the reservations file, which tells an admin who
# writes the file (no message: no caller words it).
LEFT = {"reserve.c": 1}
word = re.compile(r"'vfioctl [a-z]|(?<![\w-])--[a-z][a-z-]+")
found = {}
for f in sorted(os.listdir(libdir)):
    if not f.endswith(".c"):
        continue
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), open(os.path.join(libdir, f)).read(), flags=re.S)
    # Adjacent literals are one string to C: "run 'vfioctl " "recover'".
    for m in re.finditer(r'"(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*', text):
        s = re.sub(r'"\s*"', "", m.group(0))
        if word.search(s):
            found.setdefault(f, []).append(f"lib/{f}:{text.count(chr(10), 0, m.start()) + 1}: {s[:80]}")
worse = []
for f, hits in sorted(found.items()):
    if len(hits) > LEFT.get(f, 0):
        worse += hits
report(not worse, "library messages name no command or option of the tool", worse)
done()
