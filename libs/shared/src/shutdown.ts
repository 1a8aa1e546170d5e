import type { Logger } from 'pino';

/** Something that can be closed on SIGTERM, e.g. a Nest application. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * On SIGTERM or SIGINT: run `beforeClose` (e.g. mark not-ready), close the app within `timeoutMs`
 * (stop accepting, drain, flush, commit), then `afterClose` (e.g. export the trace spans the drain
 * ended), then exit. A second signal exits at once.
 */
export function closeOnSignals(app: Closable, logger: Logger, timeoutMs: number, beforeClose?: () => void, afterClose?: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal }, 'shutting down: draining in-flight work');
    beforeClose?.();
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    app
      .close()
      .then(async () => {
        // what the drain ended still leaves the process (spans): a failure there is no unclean shutdown
        await afterClose?.().catch((error: unknown) => logger.warn({ err: error }, 'after close'));
      })
      .then(
        () => {
          logger.info('shut down cleanly');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'error while shutting down');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
