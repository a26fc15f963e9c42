#!/bin/bash
# The state: kept across invocations, WAL, versioned; a damaged or newer
# database is reported and never overwritten; owned devices are refused.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount workstation

run V detach --group 01:00.0
is "detach: exit 0" "$RC" 0
check "state.db created" test -f "$T/state/state.db"
is "journal mode is WAL" "$(sqlite3 "$T/state/state.db" 'PRAGMA journal_mode')" wal
is "schema version 2" "$(sqlite3 "$T/state/state.db" 'PRAGMA user_version')" 2
run V status
like "a new invocation sees what the last one did" "$OUT" "0000:01:00.1 +1 +detached +vfio-pci +snd_hda_intel"
is "nothing pending" "$(state_rows)" "2 0"

# --- Owned by a guest (assign will write this; here straight into the db).
sqlite3 "$T/state/state.db" "INSERT INTO guests (name, created_at) VALUES ('win10', 0);
        UPDATE devices SET owner = 'win10', role = 'assigned' WHERE address = '0000:01:00.0';
        UPDATE devices SET owner = 'win10', role = 'held' WHERE address = '0000:01:00.1';"
log_reset
run V reattach 01:00.0
is "owned device: reattach refused (exit 1)" "$RC" 1
like "owned device: names the guest" "$ERR" "guest 'win10'"
is "owned device: nothing written" "$(log_get)" ""
run V reattach --group 01:00.1
is "owned group: reattach --group refused" "$RC" 1
run V status win10
like "status GUEST lists the guest's devices" "$OUT" "0000:01:00.0 .*assigned .*win10"
run V --json status win10
like "status --json: owner and role" "$OUT" '"role": "held"'
sqlite3 "$T/state/state.db" "UPDATE devices SET owner = NULL, role = NULL; DELETE FROM guests;"
run V reattach --group 01:00.0
is "released: reattach exit 0" "$RC" 0
is "released: drivers back" "$(ws_drivers)" "$WS_PRISTINE"

# --- A damaged database is reported and left alone.
log_reset
mkdir -p "$T/bad"
printf 'this is not a database, but it is somebody%s file\n' "'s" >"$T/bad/state.db"
cp "$T/bad/state.db" "$T/bad.orig"
run "$VFIOCTL" --root "$SIM" --state-dir "$T/bad" detach --group 01:00.0
is "damaged state: refused (exit 1)" "$RC" 1
like "damaged state: says so" "$ERR" "state.db is damaged or not a database"
check "damaged state: file unchanged" cmp "$T/bad/state.db" "$T/bad.orig"
is "damaged state: nothing written" "$(log_get)" ""
run "$VFIOCTL" --root "$SIM" --state-dir "$T/bad" status
is "damaged state: status reports it too" "$RC" 1

# --- A newer schema is reported and left alone.
mkdir -p "$T/new"
cp "$T/state/state.db" "$T/new/state.db"
sqlite3 "$T/new/state.db" 'PRAGMA user_version = 7'
cp "$T/new/state.db" "$T/new.orig"
run "$VFIOCTL" --root "$SIM" --state-dir "$T/new" detach --group 01:00.0
is "newer schema: refused (exit 1)" "$RC" 1
like "newer schema: says which version" "$ERR" "schema version 7, newer"
check "newer schema: file unchanged" cmp "$T/new/state.db" "$T/new.orig"

# --- Another application's database is not ours.
mkdir -p "$T/other"
sqlite3 "$T/other/state.db" 'CREATE TABLE t (x)'
run "$VFIOCTL" --root "$SIM" --state-dir "$T/other" detach --group 01:00.0
is "foreign database: refused" "$RC" 1
like "foreign database: says so" "$ERR" "not a vfioctl state database"

done_testing
