#!/usr/bin/env python3
"""Invariants of vfioctl's state against the (simulated) kernel, checked
after every stress round and crash-sweep point (DESIGN 7.4):
  - no group owned twice, and state and `list --json` agree on owners;
  - every owned group is viable;
  - every device is on its original driver, or the state records it;
  - no driver_override left on a device that is on a host driver;
  - no unfinished operation in the journal (unless allowed);
  - PRAGMA integrity_check is ok.
Usage: invariants.py VFIOCTL ROOT STATE_DIR PRISTINE_JSON [--allow-pending]
PRISTINE_JSON maps address -> driver before anything ran. Prints one line
per violation and exits 1 when there is any."""
import json, os, sqlite3, subprocess, sys

vfioctl, root, state_dir, pristine_file = sys.argv[1:5]
allow_pending = "--allow-pending" in sys.argv
pristine = json.load(open(pristine_file))
STUBS = {"vfio-pci", "pci-stub"}
bad = []

def drv(addr):
    p = os.path.join(root, "sys/bus/pci/devices", addr, "driver")
    return os.path.basename(os.readlink(p)) if os.path.islink(p) else None

def ovr(addr):
    try:
        v = open(os.path.join(root, "sys/bus/pci/devices", addr, "driver_override")).read().strip()
    except OSError:
        return None
    return None if v in ("(null)", "") else v

rows, pending = {}, 0
db = os.path.join(state_dir, "state.db")
if os.path.exists(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    ic = con.execute("PRAGMA integrity_check").fetchone()[0]
    if ic != "ok":
        bad.append("integrity_check: %s" % ic)
    for a, g, owner in con.execute("SELECT address, iommu_group, owner FROM devices"):
        rows[a] = (g, owner)
    pending = con.execute("SELECT count(*) FROM operations").fetchone()[0]
    con.close()
if pending and not allow_pending:
    bad.append("%d unfinished operation(s) in the journal" % pending)

owners = {}
for a, (g, owner) in rows.items():
    if owner:
        owners.setdefault(g, set()).add(owner)
for g, o in owners.items():
    if len(o) > 1:
        bad.append("group %d owned by %s" % (g, " and ".join(sorted(o))))

out = subprocess.run([vfioctl, "--root", root, "--state-dir", state_dir, "--json", "list", "--all"],
                     capture_output=True, text=True)
if out.returncode != 0:
    bad.append("list --json: exit %d: %s" % (out.returncode, out.stderr.strip()))
else:
    for grp in json.loads(out.stdout)["groups"]:
        want = owners.get(grp["group"])
        want = sorted(want)[0] if want else None
        if grp["owner"] != want:
            bad.append("group %d: list says owner %s, state %s" % (grp["group"], grp["owner"], want))
        if grp["owner"] and not grp["viable"]:
            bad.append("group %d owned by %s is not viable" % (grp["group"], grp["owner"]))

for a, orig in pristine.items():
    d = drv(a)
    if d != orig and a not in rows:
        bad.append("%s on %s, not its original %s, and not recorded" % (a, d, orig))
    o = ovr(a)
    if o and d and d not in STUBS:
        bad.append("%s: stale driver_override %s on host driver %s" % (a, o, d))

for b in bad:
    print("invariant: " + b)
sys.exit(1 if bad else 0)
