// The built-in KVM probe guest: a multiboot image (loaded by QEMU's -kernel through SeaBIOS's option ROM,
// as a Linux kernel is) that switches to 64-bit long mode with paging and writes a marker to the first
// serial port. It proves a vCPU runs real code in the modes a Linux guest uses; it cannot prove a full
// kernel boots, so a node may pass a real probe guest instead (see ProbeGuest).
export const BUILTIN_PROBE_MARKER = 'VIRTSTACK-PROBE-OK';

const LOAD = 0x100000;
const PML4 = 0x200000;

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

export function builtinProbeImage(): Buffer {
  const code: number[] = [];
  // 32-bit protected mode, paging off (multiboot's entry state).
  code.push(0xbf, ...u32(PML4), 0x31, 0xc0, 0xb9, ...u32(3072), 0xf3, 0xab); // clear 3 page-table pages
  code.push(0xc7, 0x05, ...u32(PML4), ...u32(PML4 + 0x1003)); // PML4[0] -> PDPT
  code.push(0xc7, 0x05, ...u32(PML4 + 0x1000), ...u32(PML4 + 0x2003)); // PDPT[0] -> PD
  code.push(0xc7, 0x05, ...u32(PML4 + 0x2000), ...u32(0x83)); // PD[0] = 2 MiB identity page
  code.push(0xb8, ...u32(PML4), 0x0f, 0x22, 0xd8); // cr3
  code.push(0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0); // cr4.PAE
  code.push(0xb9, ...u32(0xc0000080), 0x0f, 0x32, 0x0d, ...u32(0x100), 0x0f, 0x30); // EFER.LME
  code.push(0x0f, 0x20, 0xc0, 0x0d, ...u32(0x80000000), 0x0f, 0x22, 0xc0); // cr0.PG
  const lgdt = code.length;
  code.push(0x0f, 0x01, 0x15, 0, 0, 0, 0); // lgdt [gdtr]
  const ljmp = code.length;
  code.push(0xea, 0, 0, 0, 0, 0x08, 0x00); // jmp 0x08:long
  const long = code.length;
  code.push(0x66, 0xba, 0xf8, 0x03); // mov dx, 0x3f8
  for (const c of Buffer.from(BUILTIN_PROBE_MARKER + '\n')) code.push(0xb0, c, 0xee); // mov al, c; out dx, al
  code.push(0xfa, 0xf4, 0xeb, 0xfd); // cli; hlt; jmp back to hlt
  while ((32 + code.length) % 8) code.push(0x90);
  const gdt = code.length;
  code.push(...Array(8).fill(0), 0xff, 0xff, 0, 0, 0, 0x9a, 0xaf, 0); // null, 64-bit code segment
  const gdtr = code.length;
  code.push(15, 0, ...u32(LOAD + 32 + gdt));
  code.splice(lgdt + 3, 4, ...u32(LOAD + 32 + gdtr));
  code.splice(ljmp + 1, 4, ...u32(LOAD + 32 + long));
  const magic = 0x1badb002;
  const flags = 0x00010000; // addresses in the header (a.out kludge): no ELF needed
  const header = [magic, flags, (-(magic + flags)) >>> 0, LOAD, LOAD, 0, 0, LOAD + 32].flatMap(u32);
  return Buffer.from([...header, ...code]);
}
