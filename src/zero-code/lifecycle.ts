/**
 * Flushes telemetry when the process ends, without changing how it ends:
 * - on SIGTERM/SIGINT, shuts down, then — if nothing else in the app listens for that signal —
 *   re-raises it so the process dies of it exactly as it would have without breakwater;
 * - on `beforeExit` (the event loop ran dry), shuts down once, so a short script still exports.
 * Nothing here keeps the event loop alive: the shutdown deadline timer is unref'd.
 * `drain` runs first on SIGTERM (readiness fails, then the shutdown delay), holding the process for it.
 */
export function shutdownOnExit(
  shutdown: () => Promise<void>,
  warn: (message: string) => void,
  deadlineMs = 5_000,
  drain?: () => Promise<void>,
): () => void {
  let done: Promise<void> | undefined;
  const once = (): Promise<void> => {
    done ??= Promise.race([
      shutdown().catch((err: unknown) => warn(`breakwater: telemetry shutdown failed: ${String(err)}`)),
      new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref()),
    ]);
    return done;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    const appHandlesIt = process.listenerCount(signal) > 1;
    const drained = signal === 'SIGTERM' && drain ? drain().catch((err: unknown) => warn(`breakwater: drain failed: ${String(err)}`)) : Promise.resolve();
    void drained.then(once).then(() => {
      if (appHandlesIt) return; // the app decides when to exit
      remove();
      process.kill(process.pid, signal);
    });
  };
  const onBeforeExit = (): void => {
    void once();
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('beforeExit', onBeforeExit);
  const remove = (): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('beforeExit', onBeforeExit);
  };
  return remove;
}
