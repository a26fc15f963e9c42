#!/usr/bin/env python3
"""libvfioctl's exported symbols (TAP): every function vfioctl.h declares
VFIOCTL_EXPORT is exported by the built libvfioctl.so, nothing else is,
and each is listed once in libvfioctl.sym (and in the Debian symbols
file), so a new public function cannot
be forgotten (it would be hidden by the version script) and nothing
internal leaks. usage: t-symbols.py vfioctl.h libvfioctl.sym libvfioctl.so debian/libvfioctl1.symbols"""
import re
import subprocess
import sys

from tap import done, report

header, symfile, lib, debsymbols = sys.argv[1:5]

text = open(header).read()
declared = set(re.findall(r"VFIOCTL_EXPORT\s[^;{]*?\b(vfioctl_\w+)\s*\(", text))
# Functions made by a macro in the header (none today) would need listing here.
sym = open(symfile).read()
sym_body = re.sub(r"/\*.*?\*/", "", sym, flags=re.S)
listed = re.findall(r"^\s*(vfioctl_\w+)\s*;", sym_body, re.M)
out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                     check=True).stdout
exported = {}
for line in out.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1] == "T":
        name, _, version = parts[2].partition("@@")
        exported[name] = version

# One convention for questions: vfioctl_X_is_Y()/has_Y() return bool and
# cannot fail; one that can fail is a _get_ with a bool out-parameter.
returns = dict((m.group(2), " ".join(m.group(1).split())) for m in
               re.finditer(r"VFIOCTL_EXPORT\s([^;{]*?)\b(vfioctl_\w+)\s*\(", text))
not_bool = sorted(f"{f} returns {t}" for f, t in returns.items()
                  if re.search(r"_(is|has)_", f) and t != "bool")
report(not not_bool, "every _is_/_has_ function returns bool", not_bool)
report(len(declared) > 100, f"vfioctl.h declares the public functions ({len(declared)})")
dups = sorted({s for s in listed if listed.count(s) > 1})
report(not dups, "each symbol is listed once in libvfioctl.sym", dups)
missing = sorted(declared - set(listed))
report(not missing, "every function vfioctl.h declares is in libvfioctl.sym",
       [f"{s}: add it to the newest section of lib/libvfioctl.sym" for s in missing])
stale = sorted(set(listed) - declared)
report(not stale, "libvfioctl.sym lists nothing vfioctl.h does not declare", stale)
unexported = sorted(declared - set(exported))
report(not unexported, "libvfioctl.so exports every declared function",
       [f"{s}: declared but not exported (defined without VFIOCTL_EXPORT?)" for s in unexported])
leaked = sorted(set(exported) - declared)
report(not leaked, "libvfioctl.so exports nothing internal", leaked)
unversioned = sorted(s for s, v in exported.items() if not v.startswith("LIBVFIOCTL_"))
report(not unversioned, "every exported symbol has a LIBVFIOCTL_ version node", unversioned)
# The Debian package's symbols file says the same, version node by node.
deb = set(re.findall(r"^ (vfioctl_\w+@LIBVFIOCTL_[0-9.]+) ", open(debsymbols).read(), re.M))
ours = set()
for sec in re.finditer(r"(LIBVFIOCTL_[0-9.]+)\s*\{(.*?)\}", sym_body, re.S):
    ours |= {f"{s}@{sec.group(1)}" for s in re.findall(r"^\s*(vfioctl_\w+)\s*;", sec.group(2), re.M)}
report(deb == ours, "debian/libvfioctl1.symbols matches libvfioctl.sym",
       [f"only in libvfioctl.sym: {s} (add ' {s} VERSION' to debian/libvfioctl1.symbols)"
        for s in sorted(ours - deb)] + [f"only in the Debian symbols file: {s}" for s in sorted(deb - ours)])
done()
