#!/usr/bin/env python3
"""Invariants of vfioctl's state against the (simulated) kernel, checked
after every stress round and crash-sweep point (DESIGN 7.4):
  - no group owned twice, and state and `list --json` agree on owners;
  - every owned group is viable;
  - every device is on its original driver, or the state records it; a
    device that came later (a VF) is on a host driver, or recorded; one
    that is gone (a VF removed) is not recorded;
  - no driver_override left on a device that is on a host driver;
  - a PF's sriov_drivers_autoprobe is on unless the state records the PF;
  - no unfinished operation in the journal (unless allowed);
  - PRAGMA integrity_check is ok.
Usage: invariants.py VFIOCTL ROOT STATE_DIR PRISTINE_JSON [--allow-pending]
                     [--snapshot FILE [--reservations FILE]]
PRISTINE_JSON maps address -> driver before anything ran. Prints one line
per violation and exits 1 when there is any. --snapshot writes what the
crash sweep compares for all or nothing: every device with its driver and
override, a PF's VF count and autoprobe, the reservations' entries."""
import json, os, sqlite3, subprocess, sys

vfioctl, root, state_dir, pristine_file = sys.argv[1:5]
allow_pending = "--allow-pending" in sys.argv

def opt(name):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else None

def snapshot(out, reservations):
    d = os.path.join(root, "sys/bus/pci/devices")
    lines = []
    for a in sorted(os.listdir(d)):
        p = os.path.join(d, a)
        l = os.path.join(p, "driver")
        o = open(os.path.join(p, "driver_override")).read().strip()
        line = [a, os.path.basename(os.readlink(l)) if os.path.islink(l) else "-", o]
        if os.path.exists(os.path.join(p, "sriov_numvfs")):
            line += ["vfs=" + open(os.path.join(p, "sriov_numvfs")).read().strip(),
                     "autoprobe=" + open(os.path.join(p, "sriov_drivers_autoprobe")).read().strip()]
        lines.append(" ".join(line))
    # The entries, not the comments: unreserve of the last one leaves the header.
    try:
        res = [l for l in open(reservations).read().splitlines() if l.strip() and l[0] != "#"]
    except (FileNotFoundError, TypeError):
        res = []
    lines.append("reservations: " + ("|".join(res) if res else "none"))
    open(out, "w").write("\n".join(lines) + "\n")

if opt("--snapshot"):
    snapshot(opt("--snapshot"), opt("--reservations"))
    if pristine_file == "-":
        sys.exit(0)
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

def present(addr):
    return os.path.isdir(os.path.join(root, "sys/bus/pci/devices", addr))

rows, pending, sriov_pfs = {}, 0, set()
db = os.path.join(state_dir, "state.db")
if os.path.exists(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    ic = con.execute("PRAGMA integrity_check").fetchone()[0]
    if ic != "ok":
        bad.append("integrity_check: %s" % ic)
    for a, g, owner in con.execute("SELECT address, iommu_group, owner FROM devices"):
        rows[a] = (g, owner)
    pending = con.execute("SELECT count(*) FROM operations").fetchone()[0]
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'sriov_pfs'").fetchone():
        sriov_pfs = {a for (a,) in con.execute("SELECT address FROM sriov_pfs")}
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

now = sorted(os.listdir(os.path.join(root, "sys/bus/pci/devices")))
for a in now:
    d = drv(a)
    if a in pristine:
        if d != pristine[a] and a not in rows:
            bad.append("%s on %s, not its original %s, and not recorded" % (a, d, pristine[a]))
    elif a not in rows and (d is None or d in STUBS):
        bad.append("%s (new since the start) on %s and not recorded" % (a, d))
    o = ovr(a)
    if o and d and d not in STUBS:
        bad.append("%s: stale driver_override %s on host driver %s" % (a, o, d))
    ap = os.path.join(root, "sys/bus/pci/devices", a, "sriov_drivers_autoprobe")
    if os.path.exists(ap) and a not in sriov_pfs and open(ap).read().strip() != "1":
        bad.append("%s: sriov_drivers_autoprobe off, and the state does not record the PF" % a)
for a in rows:
    if not present(a):
        bad.append("state records %s, which is gone" % a)

for b in bad:
    print("invariant: " + b)
sys.exit(1 if bad else 0)
