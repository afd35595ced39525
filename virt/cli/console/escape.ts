// upstream virtctl console's escape: Ctrl+] (0x1d, the byte telnet made the habit) ends the session; what
// was typed before it in the same read still goes to the guest.
export const ESCAPE_BYTE = 0x1d;

export function splitAtEscape(chunk: Buffer): { send: Buffer; escaped: boolean } {
  const i = chunk.indexOf(ESCAPE_BYTE);
  return i < 0 ? { send: chunk, escaped: false } : { send: chunk.subarray(0, i), escaped: true };
}
