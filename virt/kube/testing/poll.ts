// Waiting in tests without sleeps: poll a condition on every turn of the event loop until it holds or a
// deadline passes (then fail with what was awaited).

/** Resolves with the first defined value `check` returns; rejects naming `what` after `timeoutMs`. */
export async function pollUntil<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((r) => setTimeout(r, 1));
  }
}

/** pollUntil for a yes-or-no condition: resolves once `ok` holds; rejects naming `what` after `timeoutMs`. */
export async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  await pollUntil(async () => ((await ok()) ? true : undefined), what, timeoutMs);
}
