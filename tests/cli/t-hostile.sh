#!/bin/bash
# Hostile input (issue 14): XXE, billion laughs, 50 MB, deep nesting, NUL
# bytes, bad UTF-8, out-of-range addresses, odd guest names and --timeout
# values. Each is refused with a message (or, for names that are fine,
# kept exactly), and nothing is written to sysfs or the state.
. "$(dirname "$0")/../testlib.sh"
. "$(dirname "$0")/detach-lib.sh"

sim_mount workstation
H=$T/hostile
mkdir "$H"

hostdev01="<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>"

# refused DESC FILE-OR-DASH [STDIN-FILE [REGEX]]: assign g --xml is refused,
# exit 2, with a message matching REGEX; nothing changed.
refused() {
        local desc=$1 file=$2
        log_reset
        if [ "$file" = - ]; then
                run V assign g --xml - <"$3"
        else
                run V assign g --xml "$file"
        fi
        is "$desc: refused (exit 2)" "$RC" 2
        like "$desc: says why" "$ERR" "${4:-.}"
        is "$desc: nothing written" "$(log_get)" ""
        is "$desc: no guest recorded" "$(V --json status | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["guests"]))')" 0
}

cat >"$H/xxe.xml" <<XML
<?xml version="1.0"?>
<!DOCTYPE domain [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<domain><name>&xxe;</name><devices>$hostdev01</devices></domain>
XML
refused "XXE" "$H/xxe.xml" "" "DOCTYPE"
run V assign g --xml "$H/xxe.xml"
check "XXE: /etc/passwd is not quoted back" bash -c "! grep -q root: <<<'$ERR'"

python3 -c "
ents = ''.join('<!ENTITY lol%d \"%s\">' % (i, ('&lol%d;' % (i - 1)) * 10) for i in range(1, 10))
print('<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol0 \"lol\">' + ents + ']><domain><name>&lol9;</name></domain>')" >"$H/laughs.xml"
refused "billion laughs" "$H/laughs.xml"
python3 -c "print('<domain><name>g</name>' + '<x>' * 100000 + '</x>' * 100000 + '</domain>')" >"$H/deep.xml"
refused "100000 nested elements" "$H/deep.xml" "" "depth"
HOSTDEV=$hostdev01 python3 -c "
import os, sys
sys.stdout.write('<domain><name>g</name><devices>' + os.environ['HOSTDEV'] + '<!-- ' + 'a' * (50 << 20) + ' --></devices></domain>')" >"$H/big.xml"
check "50 MB definition: made" test "$(stat -c %s "$H/big.xml")" -gt $((50 << 20))
refused "50 MB definition" "$H/big.xml" "" "too large"
refused "50 MB definition on stdin" - "$H/big.xml" "too large"
rm -f "$H/big.xml"
printf "<domain><name>g</name><devices>%s</devices></domain>\0<devices>%s</devices>" \
        "$hostdev01" "$hostdev01" >"$H/nul.xml"
refused "NUL byte inside" "$H/nul.xml"
printf "<domain><name>g\xff\xfe</name><devices>%s</devices></domain>" "$hostdev01" >"$H/utf8.xml"
refused "bad UTF-8" "$H/utf8.xml" "" "UTF-8"
printf "<domain><name>g</name><devices><hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x10000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev></devices></domain>" >"$H/range.xml"
refused "domain 0x10000" "$H/range.xml"
sed "s/function='0x0'/function='0x8'/; s/domain='0x10000'/domain='0x0000'/" "$H/range.xml" >"$H/fn8.xml"
refused "function 8" "$H/fn8.xml"
sed "s/slot='0x00'/slot='0x20'/; s/domain='0x10000'/domain='0x0000'/" "$H/range.xml" >"$H/slot.xml"
refused "slot 0x20" "$H/slot.xml"
sed "s/bus='0x01'/bus='0x100'/; s/domain='0x10000'/domain='0x0000'/" "$H/range.xml" >"$H/bus.xml"
refused "bus 0x100" "$H/bus.xml"
sed "s/bus='0x01'/bus='-1'/; s/domain='0x10000'/domain='0x0000'/" "$H/range.xml" >"$H/neg.xml"
refused "bus -1" "$H/neg.xml"

# --- Addresses on the command line.
for a in 0000:01:00.8 10000:01:00.0 0000:01:20.0 0000:1ff:00.0 " 01:00.0" "01:00.0 " "01:00.0/../" \
         "+1:00.0" "0000:01:00.0x" "../../../etc"; do
        log_reset
        run V detach "$a"
        is "detach '$a': refused (exit 2)" "$RC" 2
        like "detach '$a': says it is not an address" "$ERR" "is not a PCI address"
        is "detach '$a': nothing written" "$(log_get)" ""
done

# --- Guest names: '/', '.', '..' and control characters are refused; quotes are kept as they are.
for n in "a/b" ".." "." "$(printf 'a\nb')" "$(printf 'a\tb')" "$(printf 'a\x7fb')" ""; do
        log_reset
        run V assign "$n" 01:00.0 01:00.1
        is "guest name $(printf %q "$n"): refused (exit 2)" "$RC" 2
        is "guest name $(printf %q "$n"): nothing written" "$(log_get)" ""
done
for n in "it's" 'say "hi"' 'a;b' '$(reboot)' 'ünïcode'; do
        run V assign "$n" 01:00.0 01:00.1
        is "guest name $(printf %q "$n"): assigned" "$RC" 0
        is "guest name $(printf %q "$n"): list --json shows it exactly" \
                "$(V --json list | python3 -c 'import json,sys; print([g["owner"] for g in json.load(sys.stdin)["groups"] if g["group"] == 1][0])')" "$n"
        run V release "$n"
        is "guest name $(printf %q "$n"): released" "$RC" 0
        is "guest name $(printf %q "$n"): everything back" "$(ws_drivers)" "$WS_PRISTINE"
done

# --- --timeout: seconds from 0 to 3600, nothing else (issue 14, item 11).
for t in nan NaN -nan inf -inf infinity -1 -0.5 3600.5 1e400 1e-400 "" " " 1s 0x; do
        log_reset
        run V detach --group 05:00.0 --timeout "$t"
        is "--timeout '$t': refused (exit 2)" "$RC" 2
        like "--timeout '$t': says what it takes" "$ERR" "--timeout takes seconds \(0 to 3600\)"
        is "--timeout '$t': nothing written" "$(log_get)" ""
done
run V recover --timeout nan
is "recover --timeout nan: refused (exit 2)" "$RC" 2
run V detach --group 05:00.0 --timeout 2.5
is "--timeout 2.5 is fine" "$RC" 0
run V reattach --group 05:00.0 --timeout 0
is "--timeout 0 is fine" "$RC" 0
is "and everything is back" "$(ws_drivers)" "$WS_PRISTINE"

done_testing
