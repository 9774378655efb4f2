// Worker thread entry of TransactionWorkerPool. The sources run through tsx's loader, and Node 20 does not
// pass loader hooks on to worker threads, so the worker registers tsx itself before loading its TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./transaction-worker.ts');
