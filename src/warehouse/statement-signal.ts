/**
 * The AbortSignal a warehouse's statements run under, set by {@link Warehouse.withSignal} and read by each engine
 * where it runs a statement (duckdb/, postgres/). It travels with the async context rather than as an argument:
 * an operation runs many statements, on pooled sessions, through operations it calls itself, and the same
 * warehouse serves tries of other tasks (a queue worker's concurrent tries) that must not be interrupted.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<AbortSignal>();

/** The signal of the work calling, if it has one. */
export function statementSignal(): AbortSignal | undefined {
  return current.getStore();
}

/** Runs `work` with no signal: cleanup (dropping a temporary table) runs even after an abort. */
export function withoutSignal<T>(work: () => T): T {
  return current.exit(work);
}

/**
 * `target` with every method call run under `signal`: what {@link Warehouse.withSignal} returns. The calls run on
 * `target` itself, so the engine's state (its connection, its queue of statements) stays shared.
 */
export function boundToSignal<T extends object>(target: T, signal: AbortSignal): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => current.run(signal, () => value.apply(object, args));
    },
  });
}
