#!/bin/bash
# A malformed topology is refused with a message naming the problem, exit
# status 2, and nothing mounted.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/simlib.sh"

DRIVERS='"drivers": [{"name": "e1000e", "ids": ["8086:10d3"]}, {"name": "vfio-pci"}]'
DEV='"address": "0000:03:00.0", "vendor": "0x8086", "device": "0x10d3", "class": "0x020000"'

# bad NAME JSON REGEX
bad() {
        local dir
        printf '%s\n' "$2" >"$T/$1.json"
        dir=$(mktemp -d "$T/mnt.XXXXXX")
        run "$PCISIM" "$T/$1.json" "$dir"
        is "$1: exit 2" "$RC" 2
        like "$1: message" "$ERR" "$3"
        check "$1: not mounted" bash -c "! mountpoint -q '$dir'"
}

bad not-json '{"iommu": true,' 'line [0-9]+'
bad not-object '[1, 2]' 'expected an object'
bad no-devices '{"iommu": true, "drivers": []}' '"devices" must be an array'
bad unknown-key "{$DRIVERS, \"devices\": [], \"iommmu\": true}" 'unknown key "iommmu"'
bad iommu-type "{\"iommu\": \"yes\", $DRIVERS, \"devices\": []}" '"iommu" must be true or false'
bad bad-address "{$DRIVERS, \"devices\": [{\"address\": \"03:00.0\", \"vendor\": \"0x8086\", \"device\": \"0x10d3\", \"class\": \"0x020000\", \"group\": 1}]}" \
        'devices\[0\].*bad address "03:00.0"'
bad upper-address "{$DRIVERS, \"devices\": [{\"address\": \"0000:0A:00.0\", \"vendor\": \"0x8086\", \"device\": \"0x10d3\", \"class\": \"0x020000\", \"group\": 1}]}" \
        'bad address "0000:0A:00.0"'
bad duplicate "{$DRIVERS, \"devices\": [{$DEV, \"group\": 1}, {$DEV, \"group\": 2}]}" \
        'devices\[1\].*duplicate address 0000:03:00.0'
bad unknown-driver "{$DRIVERS, \"devices\": [{$DEV, \"group\": 1, \"driver\": \"e1000\"}]}" \
        'driver "e1000" is not in "drivers"'
bad no-group "{$DRIVERS, \"devices\": [{$DEV}]}" 'missing "group" \("iommu" is true\)'
bad group-without-iommu "{\"iommu\": false, $DRIVERS, \"devices\": [{$DEV, \"group\": 1}]}" \
        '"group" given but "iommu" is false'
bad vendor-type "{$DRIVERS, \"devices\": [{$DEV, \"group\": 1, \"subsystem_vendor\": \"8086\"}]}" \
        '"subsystem_vendor" must be a hex string'
bad group-type "{$DRIVERS, \"devices\": [{$DEV, \"group\": \"1\"}]}" '"group" must be an integer'
bad bad-id "{\"drivers\": [{\"name\": \"e1000e\", \"ids\": [\"8086-10d3\"]}], \"devices\": []}" \
        'drivers\[0\].*"ids"\[0\] must be "vvvv:dddd"'
bad dup-driver "{\"drivers\": [{\"name\": \"x\"}, {\"name\": \"x\"}], \"devices\": []}" 'duplicate driver "x"'
bad vfio-bridge "{$DRIVERS, \"devices\": [{\"address\": \"0000:00:1c.0\", \"vendor\": \"0x8086\", \"device\": \"0xa110\", \"class\": \"0x060400\", \"header_type\": 1, \"group\": 1, \"driver\": \"vfio-pci\"}]}" \
        'a bridge cannot be bound to vfio-pci'
bad boot-vga-nic "{$DRIVERS, \"devices\": [{$DEV, \"group\": 1, \"boot_vga\": true}]}" '"boot_vga" on a device that is not a display'
bad vf-overlap "{$DRIVERS, \"devices\": [{$DEV, \"group\": 1, \"driver\": \"e1000e\", \"sriov_totalvfs\": 2, \"vf_device\": \"0x10ed\", \"vf_offset\": 1}, {\"address\": \"0000:03:00.2\", \"vendor\": \"0x8086\", \"device\": \"0x10d3\", \"class\": \"0x020000\", \"group\": 2}]}" \
        'VF 1 would be at 0000:03:00.2, which is taken'
bad net-no-driver "{$DRIVERS, \"devices\": [{$DEV, \"group\": 1, \"net\": [{\"name\": \"eth0\"}]}]}" \
        '"net" and "block" need a "driver"'
bad operstate "{$DRIVERS, \"devices\": [{$DEV, \"group\": 1, \"driver\": \"e1000e\", \"net\": [{\"name\": \"eth0\", \"operstate\": \"UP\"}]}]}" \
        'bad operstate "UP"'
bad duplicate-key "{\"iommu\": true, \"iommu\": false, $DRIVERS, \"devices\": []}" 'duplicate'
run "$PCISIM" "$T/missing.json" "$T"
is "missing file: exit 2" "$RC" 2
run "$PCISIM" only-one-arg
is "usage: exit 2" "$RC" 2
like "usage message" "$ERR" "Usage: pcisim"

# Comments (keys starting with _) are allowed, and a minimal file works.
printf '%s\n' "{\"_comment\": \"x\", $DRIVERS, \"devices\": [{$DEV, \"group\": 1, \"_note\": \"y\"}]}" >"$T/ok.json"
sim_mount "$T/ok.json"
check "minimal topology mounts" test -e "$SIM/sys/bus/pci/devices/0000:03:00.0"
is "defaults: subsystem ids follow vendor/device" "$(cat "$SIM/sys/bus/pci/devices/0000:03:00.0/subsystem_device")" 0x10d3
is "defaults: numa_node -1" "$(cat "$SIM/sys/bus/pci/devices/0000:03:00.0/numa_node")" -1
is "defaults: unbound" "$(drv 0000:03:00.0)" -

# -f stays in the foreground until unmounted.
mkdir "$T/fg"
"$PCISIM" -f "$HOSTS/bcm5719.json" "$T/fg" 2>"$T/fg.err" &
fg=$!
for i in $(seq 50); do mountpoint -q "$T/fg" && break; sleep 0.1; done
check "-f mounts" test -e "$T/fg/sys/bus/pci/devices/0000:03:00.3"
check "-f is still running" kill -0 $fg
fusermount3 -u "$T/fg"
wait $fg
is "-f exits 0 on unmount" "$?" 0
is "-f said nothing" "$(cat "$T/fg.err")" ""

sim_done
