import { afterEach } from 'vitest';

// Every test file yields a turn of the event loop after each test. A file whose tests run
// synchronously (the CPU backend computes eagerly) could otherwise keep the loop busy for over a
// minute, and vitest's worker, whose RPC replies wait in that loop, then fails the whole run with
// 'Timeout calling "onTaskUpdate"' (its limit is 60 s) though no test failed.
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
