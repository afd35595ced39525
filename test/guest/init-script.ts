// The test guest's /init (busybox sh, PID 1). Every line it prints goes to the serial console and starts
// with a fixed prefix, so tests can find facts in the console log without guessing at kernel noise.

/** Printed once per boot, right after the drivers are loaded: "the guest is up". */
export const GUEST_MARKER = 'virtstack-guest: booted';
/** Printed every 10 increments (once a second): `virtstack-counter: <n>`. */
export const COUNTER_PREFIX = 'virtstack-counter: ';
/** Each line of the NoCloud user-data, as the guest read it from the cidata disk. */
export const USERDATA_PREFIX = 'virtstack-userdata: ';
/** `virtstack-guest: dhcp <ifname> <address>` once a lease is bound. */
export const DHCP_PREFIX = 'virtstack-guest: dhcp ';
/** `virtstack-guest: efi secureboot=<0|1>` when booted through UEFI. */
export const EFI_PREFIX = 'virtstack-guest: efi ';
/** The first bytes of the counter disk: magic, then the count as ten decimal digits. */
export const COUNTER_MAGIC = 'VIRTSTACK-COUNTER:';
/**
 * The guest kernel's command line. `no_timer_check`: under TCG on a loaded host the kernel's IO-APIC
 * timer check can time out and panic ("IO-APIC + timer doesn't work"); the check proves nothing here.
 */
export const GUEST_KERNEL_ARGS = 'console=ttyS0 quiet no_timer_check';
/** Kernel argument that makes the guest ignore the ACPI power button (to test the forced stop). */
export const IGNORE_ACPI_ARG = 'virtstack.ignore_acpi=1';
/** The guest's HTTP server (busybox httpd) listens here on every address. */
export const HTTP_PORT = 80;
/**
 * The page it serves starts with this marker and the guest's hostname: the NoCloud `local-hostname`
 * (the VMI's hostname, which defaults to its name) when a cidata disk has one, else DEFAULT_HOSTNAME.
 */
export const HTTP_PAGE_PREFIX = 'virtstack-guest: hostname ';
/** Then a line with the guest's global IPv4 addresses, space separated, as it sees them when asked. */
export const HTTP_ADDRESSES_PREFIX = 'virtstack-guest: addresses ';
/** `virtstack-guest: http <port> <hostname>` once the server listens. */
export const HTTP_READY_PREFIX = 'virtstack-guest: http ';
export const DEFAULT_HOSTNAME = 'virtstack-guest';
/**
 * The NoCloud user-data key that asks the guest to power itself off: a line `virtstack_poweroff_after: <N>`
 * (whole seconds, counted from when the guest read its cidata disk), so a test can end a VM from inside,
 * as a user's `poweroff` would, and watch what the run strategy does with a VMI that succeeded.
 */
export const POWEROFF_AFTER_KEY = 'virtstack_poweroff_after';
/** `virtstack-guest: poweroff requested in <N> s` once the request is read and the timer runs. */
export const POWEROFF_SCHEDULED_PREFIX = 'virtstack-guest: poweroff requested in ';
/** Printed when the timer fires, right before `poweroff -f` (ACPI off: QEMU exits, the launcher exits 0). */
export const POWEROFF_MARKER = 'virtstack-guest: powering off by request';

/** The user-data line that makes the guest power off `seconds` after it reads it. */
export function poweroffAfterLine(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new RangeError(`poweroffAfterLine: seconds must be a whole number >= 0, got ${seconds}`);
  return `${POWEROFF_AFTER_KEY}: ${seconds}`;
}

/**
 * Shell functions of the init script, kept apart so the unit tests run exactly this text under a shell on
 * the host (the rest of /init only makes sense as PID 1 of the guest).
 * - virtstack_poweroff_after FILE: prints the seconds FILE's user-data asks for, nothing when it asks for
 *   nothing; a value that is not a whole number is named on stderr and ignored (a typo must not power off).
 * - virtstack_poweroff_timer SECONDS COMMAND...: says it is armed, and in the background waits, prints
 *   the marker, syncs the disks and runs COMMAND (the guest: poweroff -f; the tests: a harmless stand-in).
 */
export const POWEROFF_FUNCTIONS = `virtstack_poweroff_after() {
  v=$(sed -n 's/^${POWEROFF_AFTER_KEY}:[[:space:]]*//p' "$1" 2>/dev/null | head -n 1 | tr -d "\\r\\"'" | sed 's/[[:space:]]*$//')
  [ -n "$v" ] || return 0
  case "$v" in
    *[!0-9]*) echo "virtstack-guest: ignoring ${POWEROFF_AFTER_KEY}: $v (not a whole number of seconds)" >&2; return 0 ;;
  esac
  echo "$v"
}
virtstack_poweroff_timer() {
  s=$1; shift
  echo "${POWEROFF_SCHEDULED_PREFIX}$s s"
  ( sleep "$s"; echo "${POWEROFF_MARKER}"; sync; "$@" ) &
}
`;

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp /mnt/cidata
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
${POWEROFF_FUNCTIONS}
for m in $(cat /etc/modules.order); do insmod /lib/modules/$m 2>/dev/null; done
ip link set lo up

# Graceful stop: the ACPI power button (what libvirt's default shutdown presses) powers the guest off.
if ! grep -q '${IGNORE_ACPI_ARG}' /proc/cmdline; then
  for ev in /sys/class/input/event*; do
    [ "$(cat $ev/device/name 2>/dev/null)" = "Power Button" ] || continue
    ( dd if=/dev/input/\${ev##*/} bs=24 count=1 >/dev/null 2>&1
      echo "virtstack-guest: power button, powering off"; sync; poweroff -f ) &
  done
else
  echo "virtstack-guest: ignoring the power button"
fi

# The marker comes after the power-button watcher: a booted guest honours a graceful shutdown.
echo "${GUEST_MARKER} $(uname -r)"

if [ -d /sys/firmware/efi ]; then
  mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
  # SecureBoot variable: 4 bytes of attributes, then 1 byte, 1 when Secure Boot is enforced.
  sb=$(dd if=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c bs=1 skip=4 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
  echo "${EFI_PREFIX}secureboot=\${sb:-unknown}"
fi
[ -r /sys/class/misc/hw_random/rng_current ] && echo "virtstack-guest: rng $(cat /sys/class/misc/hw_random/rng_current)"

for n in /sys/class/net/*; do
  i=\${n##*/}; [ "$i" = lo ] && continue
  ip link set "$i" up
  ( udhcpc -i "$i" -n -q -t 10 -T 1 -s /etc/udhcpc.sh >/dev/null 2>&1 || echo "virtstack-guest: dhcp failed on $i" ) &
done

name=""
poweroff_after=""
for d in /dev/vd? /dev/sd? /dev/sr?; do
  [ -b "$d" ] || continue
  # The NoCloud disk is an ISO9660 volume labelled cidata (volume id at byte 32808).
  case "$(dd if=$d bs=1 skip=32808 count=6 2>/dev/null)" in cidata|CIDATA) ;; *) continue;; esac
  if mount -t iso9660 -o ro "$d" /mnt/cidata; then
    echo "virtstack-guest: cidata on $d, instance $(grep -i instance-id /mnt/cidata/meta-data | head -1)"
    head -n 50 /mnt/cidata/user-data | sed 's/^/${USERDATA_PREFIX}/'
    name=$(sed -n 's/^local-hostname:[[:space:]]*//p' /mnt/cidata/meta-data | head -1 | tr -cd 'A-Za-z0-9.-')
    poweroff_after=$(virtstack_poweroff_after /mnt/cidata/user-data)
  fi
done
# Armed as soon as the request is read, so N counts from early boot whatever the services below take.
[ -n "$poweroff_after" ] && virtstack_poweroff_timer "$poweroff_after" poweroff -f

# The HTTP server answers with this guest's own name, so a test reaching it through a Service can tell
# which guest answered. A CGI script rather than a file: the addresses are read when asked, after DHCP.
hostname "\${name:-${DEFAULT_HOSTNAME}}"
mkdir -p /www/cgi-bin
cat > /www/cgi-bin/index.cgi <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
echo "${HTTP_PAGE_PREFIX}$(hostname)"
echo "${HTTP_ADDRESSES_PREFIX}$(ip -4 addr show scope global | sed -n 's/.*inet \\([0-9.]*\\).*/\\1/p' | tr '\\n' ' ')"
CGI
chmod 755 /www/cgi-bin/index.cgi
if httpd -p ${HTTP_PORT} -h /www; then
  echo "${HTTP_READY_PREFIX}${HTTP_PORT} $(hostname)"
else
  echo "virtstack-guest: http server failed to start"
fi

disk=""
# Whole disks first, then partitions (the bootable image keeps its counter in partition 2).
for d in /dev/vd? /dev/sd? /dev/vd?? /dev/sd??; do
  [ -b "$d" ] || continue
  [ "$(dd if=$d bs=18 count=1 2>/dev/null)" = "${COUNTER_MAGIC}" ] && { disk=$d; break; }
done
if [ -z "$disk" ]; then
  for d in /dev/vd? /dev/sd?; do
    [ -b "$d" ] || continue
    [ "$(dd if=$d bs=1 skip=32769 count=5 2>/dev/null)" = CD001 ] && continue
    [ "$(dd if=$d bs=512 count=1 2>/dev/null | tr -d '\\000' | wc -c)" = 0 ] && { disk=$d; break; }
  done
fi
n=0
if [ -n "$disk" ]; then
  h=$(dd if=$disk bs=28 count=1 2>/dev/null)
  case "$h" in ${COUNTER_MAGIC}*) n=$(echo "\${h#${COUNTER_MAGIC}}" | sed 's/^0*//'); [ -z "$n" ] && n=0;; esac
  echo "virtstack-guest: counter on $disk starts at $n"
else
  echo "virtstack-guest: no counter disk, counting in memory from 0"
fi
(
  while :; do
    n=$((n + 1))
    [ -n "$disk" ] && printf '${COUNTER_MAGIC}%010d\\n' $n | dd of=$disk bs=512 conv=notrunc,fsync 2>/dev/null
    [ $((n % 10)) = 0 ] && echo "${COUNTER_PREFIX}$n"
    usleep 100000
  done
) &
while :; do sleep 3600; done
`;

export const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew)
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via "\${router%% *}" dev "$interface"
    echo "${DHCP_PREFIX}$interface $ip" >/dev/console ;;
esac
exit 0
`;
