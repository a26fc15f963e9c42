# Helpers shared by the reservation CLI tests (sourced after detach-lib.sh).

# The configuration folder of the test, as /etc/vfioctl would be: root's, 0755.
CFG=$T/etc-vfioctl
mkdir -m 0755 "$CFG"

# V ARGS...: vfioctl against the current sim mount, the test's state and config.
V() {
        "$VFIOCTL" --root "$SIM" --state-dir "$T/state" --config-dir "$CFG" "$@"
}

RES_HEADER="# vfioctl boot-time reservations: each device below belongs to its stub driver
# from boot on. Written by 'vfioctl reserve' and 'vfioctl unreserve'; it may be
# edited by hand (vfioctl(8), RESERVATIONS). 'member' lines are the rest of the
# device's IOMMU group when it was reserved: a group that changed is left alone."

# topo_edit NAME PYTHON: writes $T/NAME.json, the workstation changed by the
# Python statements (t: the topology, dev(ADDR): one of its devices).
topo_edit() {
        python3 - "$HOSTS/workstation.json" "$T/$1.json" "$2" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
def dev(a):
    return next(d for d in t["devices"] if d["address"] == a)
exec(sys.argv[3])
json.dump(t, open(sys.argv[2], "w"), indent=1)
PY
}

# new_boot TOPOLOGY: the same machine booted again: a fresh mount (drivers
# as the topology has them, as built-in drivers would have bound them)
# and an empty /run (state), the reservations kept.
new_boot() {
        [ -n "${SIM:-}" ] && sim_unmount "$SIM"
        sim_mount "$1"
        rm -rf "$T/state"
}
