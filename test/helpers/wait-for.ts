/** Polls `condition` until it holds; past `timeoutMs` fails naming what it waited for, with `detail()` (output). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  detail: () => string = () => '',
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
