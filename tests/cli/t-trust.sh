#!/bin/bash
# What vfioctl believes (issue 14, items 1-3 and 10): a state folder other
# users can write, a symlinked state.db, and rows that are not what vfioctl
# writes are refused with a message that says what to do, and nothing is
# written to sysfs. Recover keeps the safety rule (rule 9). list says when
# it cannot read the owners.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount workstation

# VS DIR ARGS...: vfioctl with another state folder.
VS() {
        local dir=$1; shift
        "$VFIOCTL" --root "$SIM" --state-dir "$dir" "$@"
}

# A journal entry that "rolls back" the boot NVMe to vfio-pci, as a user
# who could write the state folder would plant it (issue 14, item 1).
plant_nvme_journal() {
        sqlite3 "$1/state.db" "INSERT INTO operations (id, kind, command, pid, started_at)
                VALUES (1, 'detach', 'vfioctl detach 02:00.0', 1, 0);
                INSERT INTO op_changes (op_id, seq, address, iommu_group, before_driver,
                        before_override, target_driver, target_override)
                VALUES (1, 0, '0000:02:00.0', 6, 'vfio-pci', 'vfio-pci', 'nvme', NULL);"
}

# --- Item 1: an untrusted state folder.
mkdir -m 0700 "$T/nobody"
run VS "$T/nobody" status
is "fresh state folder: status exit 0" "$RC" 0
VS "$T/nobody" recover >/dev/null 2>&1
sqlite3 "$T/nobody/state.db" "PRAGMA journal_mode" >/dev/null
plant_nvme_journal "$T/nobody"
chown -R nobody "$T/nobody"
log_reset
run VS "$T/nobody" detach 05:00.0 --group
is "state folder owned by nobody: detach refused (exit 1)" "$RC" 1
like "owned by nobody: says who owns it" "$ERR" "state folder $T/nobody is owned by uid [0-9]+, not by root"
like "owned by nobody: says how to fix it" "$ERR" "chown root:root $T/nobody && chmod 0700 $T/nobody"
is "owned by nobody: nothing written (the planted journal was not rolled back)" "$(log_get)" ""
is "owned by nobody: the NVMe keeps its driver" "$(drv 0000:02:00.0)" nvme
run VS "$T/nobody" status
is "owned by nobody: status refused too" "$RC" 1
run VS "$T/nobody" list
is "owned by nobody: list says owners are unknown (exit 1)" "$RC" 1
like "owned by nobody: list names the reason" "$ERR" "owners unknown.*owned by uid"

chown -R root "$T/nobody"
chmod 0777 "$T/nobody"
log_reset
run VS "$T/nobody" detach 05:00.0 --group
is "state folder mode 0777: refused (exit 1)" "$RC" 1
like "mode 0777: says every user can write it" "$ERR" "can be written by every user \(mode 0777\)"
like "mode 0777: says how to fix it" "$ERR" "chmod go-w $T/nobody"
is "mode 0777: nothing written" "$(log_get)" ""
chmod 0770 "$T/nobody"
run VS "$T/nobody" recover
is "mode 0770: recover refused (exit 1)" "$RC" 1
like "mode 0770: says its group can write it" "$ERR" "can be written by its group"
is "untrusted folder: nothing written at all" "$(log_get)" ""
chmod 0755 "$T/nobody"

# --- Item 2, rule 9: recover does not unbind what the host uses.
log_reset
run VS "$T/nobody" recover
is "planted journal for the NVMe holding /: recover does not roll it back (exit 3)" "$RC" 3
like "recover says why: the NVMe is mounted" "$OUT$ERR" "nvme0n1 is mounted on /"
is "recover: the NVMe keeps its driver" "$(drv 0000:02:00.0)" nvme
is "recover: nothing written" "$(log_get)" ""
run VS "$T/nobody" status
like "recover: the operation stays in the journal" "$OUT" "Unfinished: 'vfioctl detach 02:00.0'"

# --- Item 2: rows read back are checked like user input.
run V detach --group 01:00.0
is "setup: detach --group 01:00.0" "$RC" 0
cp "$T/state/state.db" "$T/good.db"
echo secret >"$T/outside"
sqlite3 "$T/state/state.db" \
        "UPDATE devices SET original_driver = '../../../../../../../../$T/outside/x' WHERE address = '0000:01:00.0'"
log_reset
run V reattach --group 01:00.0
is "recorded driver '../..': reattach refused (exit 1)" "$RC" 1
like "recorded driver '../..': names the column and value" "$ERR" \
        "devices.original_driver '\.\./\.\./.*' is not valid"
is "recorded driver '../..': nothing written" "$(log_get)" ""
is "recorded driver '../..': the file outside the root is untouched" "$(cat "$T/outside")" secret
run V status
is "recorded driver '../..': status reports it (exit 1)" "$RC" 1
run V --json list
is "recorded driver '../..': list --json exits 1" "$RC" 1
like "recorded driver '../..': list --json has state_error" "$OUT" '"state_error": ".*is not valid'

for bad in "stub_driver='vfio/../x'" "original_override='a b'" "address='../0000:01:00.0'" \
           "address='0000:01:00.0/../../x'" "address='1:0.0'" "owner='..', role='held'" "owner='a/b', role='held'"; do
        cp "$T/good.db" "$T/state/state.db"
        rm -f "$T/state/state.db-wal" "$T/state/state.db-shm"
        sqlite3 "$T/state/state.db" "PRAGMA foreign_keys = OFF; UPDATE devices SET $bad WHERE address = '0000:01:00.1'"
        log_reset
        run V reattach --group 01:00.0
        is "recorded $bad: reattach refused (exit 1)" "$RC" 1
        like "recorded $bad: says the state is not valid" "$ERR" "is not valid"
        is "recorded $bad: nothing written" "$(log_get)" ""
done

cp "$T/good.db" "$T/state/state.db"
rm -f "$T/state/state.db-wal" "$T/state/state.db-shm"
sqlite3 "$T/state/state.db" "INSERT INTO operations (id, kind, command, pid, started_at)
        VALUES (1, 'detach', 'x', 1, 0);
        INSERT INTO op_changes (op_id, seq, address, iommu_group, before_driver,
                before_override, target_driver, target_override)
        VALUES (1, 0, '0000:05:00.0/../../../../..', 8, 'e1000e', NULL, 'vfio-pci', 'vfio-pci');"
log_reset
run V recover
is "journal address with '/..': recover refused (exit 1)" "$RC" 1
like "journal address: names the table" "$ERR" "op_changes.address '0000:05:00.0/\.\./.*' is not valid"
is "journal address: nothing written" "$(log_get)" ""
sqlite3 "$T/state/state.db" "UPDATE op_changes SET address = '0000:05:00.0',
        before_driver = '../../../../x'"
run V recover
is "journal driver '../..': recover refused (exit 1)" "$RC" 1
like "journal driver: names the column" "$ERR" "op_changes.before_driver '\.\./.*' is not valid"
is "journal driver: nothing written" "$(log_get)" ""
cp "$T/good.db" "$T/state/state.db"
rm -f "$T/state/state.db-wal" "$T/state/state.db-shm"
run V reattach --group 01:00.0
is "the intact state still reattaches" "$RC" 0
is "and every device is back" "$(ws_drivers)" "$WS_PRISTINE"

# --- Item 3: a symlinked state.db is not followed.
mkdir -m 0700 "$T/real" "$T/link"
VS "$T/real" recover >/dev/null 2>&1
ln -s "$T/real/state.db" "$T/link/state.db"
cp "$T/real/state.db" "$T/real.orig"
log_reset
run VS "$T/link" detach --group 01:00.0
is "symlinked state.db: detach refused (exit 1)" "$RC" 1
like "symlinked state.db: says so and what to do" "$ERR" \
        "$T/link/state.db is a symbolic link; .*remove the link"
is "symlinked state.db: nothing written" "$(log_get)" ""
check "symlinked state.db: the target is unchanged" cmp "$T/real/state.db" "$T/real.orig"
run VS "$T/link" status
is "symlinked state.db: status refused too" "$RC" 1
ln -s "$T/nowhere" "$T/link/dangling" && mv "$T/link/dangling" "$T/link/state.db"
run VS "$T/link" status
is "dangling state.db link: refused, not read as no state" "$RC" 1

# --- Item 10: list with a state it cannot read says so.
mkdir -m 0700 "$T/newer"
cp "$T/good.db" "$T/newer/state.db"
sqlite3 "$T/newer/state.db" 'PRAGMA user_version = 9'
run VS "$T/newer" list
is "newer schema: list exits 1" "$RC" 1
like "newer schema: list says owners are unknown" "$ERR" "owners unknown.*schema version 9"
like "newer schema: the owner column shows ?" "$OUT" "0000:01:00.0 +GPU +nouveau +host +\?"
run VS "$T/newer" --json list
is "newer schema: list --json exits 1" "$RC" 1
like "newer schema: list --json has state_error" "$OUT" '"state_error": ".*schema version 9'
mkdir -m 0700 "$T/damaged"
head -c 3000 "$T/good.db" >"$T/damaged/state.db"
printf 'garbage%.0s' $(seq 200) >>"$T/damaged/state.db"
run VS "$T/damaged" --json list
is "damaged state: list --json exits 1" "$RC" 1
like "damaged state: list --json has state_error" "$OUT" '"state_error": '
run VS "$T/none" --json list
is "no state yet: list --json exits 0" "$RC" 0
check "no state yet: list --json has no state_error key" \
        bash -c "! grep -q state_error <<<'$OUT'"

done_testing
