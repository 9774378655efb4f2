/**
 * SIGTERM and SIGINT as an AbortSignal: the first one asks the executor to stop (running tries get their grace
 * period, then are abandoned and recorded as such); a second one exits at once.
 */
export function stopOnSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): {
  signal: AbortSignal;
  dispose(): void;
} {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(128 + (name === 'SIGINT' ? 2 : 15));
    controller.abort(new Error(name));
  };
  for (const name of signals) process.on(name, handler);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of signals) process.off(name, handler);
    },
  };
}
