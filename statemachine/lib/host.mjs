// The local host (lambdas/internal/lambdahost/cmd/local): starting it, its
// Lambda Invoke API, and its /inventory, /snapshot and /stats routes.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import { getJSON, sleep } from './http.mjs';

// Error names as Step Functions reports Lambda service failures.
function lambdaServiceError(name, message) {
  const err = new Error(message);
  err.name = name;
  return err;
}

/**
 * Invokes one function on the host's Lambda Invoke API. A function error
 * becomes an Error whose name is the errorType and whose message is the
 * error document, as Step Functions reports them (Error and Cause).
 */
export async function invoke(host, fn, payload) {
  let res;
  try {
    res = await fetch(`${host}/2015-03-31/functions/${encodeURIComponent(fn)}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload ?? null),
    });
  } catch (err) {
    throw lambdaServiceError('Lambda.SdkClientException', `invoke ${fn} at ${host}: ${err.cause?.message ?? err.message}`);
  }
  const body = await res.text();
  if (res.status === 404) throw lambdaServiceError('Lambda.ResourceNotFoundException', body);
  if (res.status === 429) throw lambdaServiceError('Lambda.TooManyRequestsException', body);
  if (res.status !== 200) throw lambdaServiceError('Lambda.ServiceException', `HTTP ${res.status}: ${body}`);
  if (res.headers.get('x-amz-function-error')) {
    let errorType = 'Lambda.Unknown';
    try {
      errorType = JSON.parse(body).errorType || errorType;
    } catch {
      // keep Lambda.Unknown
    }
    throw lambdaServiceError(errorType, body);
  }
  try {
    return body === '' ? null : JSON.parse(body);
  } catch {
    throw lambdaServiceError('States.Runtime', `function ${fn} returned a payload that is not JSON: ${body.slice(0, 200)}`);
  }
}

/** What exists in each region: {region: {tables: [...], backups: [...]}}. */
export function fetchInventory(host, regions) {
  return getJSON(`${host}/inventory?regions=${regions.map(encodeURIComponent).join(',')}`);
}

/**
 * The inventory of regions once every table in it passes settled(table),
 * or as it is after timeoutMs. A read that fails is thrown, or with
 * onError retried until the timeout, which onError then hears of.
 */
export async function settledInventory(host, regions, settled, { everyMs = 100, timeoutMs = 10000, onError } = {}) {
  const until = Date.now() + timeoutMs;
  let inventory;
  for (;;) {
    try {
      inventory = await fetchInventory(host, regions);
      if (Object.values(inventory).every((ri) => ri.tables.every(settled))) return inventory;
    } catch (err) {
      if (!onError) throw err;
      if (Date.now() > until) onError(err);
    }
    if (Date.now() > until) return inventory;
    await sleep(everyMs);
  }
}

/** A table's items (count and content hash) and settings: {items, hash, settings}. */
export function snapshot(host, region, table) {
  return getJSON(`${host}/snapshot?region=${encodeURIComponent(region)}&table=${encodeURIComponent(table)}`);
}

/** The host's invocation counts, or null when it cannot say. */
export async function hostStats(host) {
  try {
    return await getJSON(`${host}/stats`);
  } catch {
    return null;
  }
}

/**
 * Starts the Go host binary and waits for its ready line. Returns
 * {host, emulator, process, stop()}. The host stops when its stdin closes,
 * so it also stops if this process dies.
 */
export async function startHost({ bin, args = [], env = process.env, logs = false, readyTimeoutMs = 60000 }) {
  const child = spawn(bin, [...args, ...(logs ? ['-logs'] : [])], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const spawnError = new Promise((_, reject) => child.once('error', (err) => reject(new Error(`start ${bin}: ${err.message}`))));
  const rl = createInterface({ input: child.stdout });
  const ready = new Promise((resolve, reject) => {
    rl.once('line', (l) => {
      try {
        resolve(JSON.parse(l));
      } catch {
        reject(new Error(`${bin} printed ${JSON.stringify(l)} instead of its JSON ready line`));
      }
    });
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${bin} did not print its ready line within ${readyTimeoutMs} ms`)), readyTimeoutMs);
  });
  const early = exited.then(({ code, signal }) => {
    throw new Error(`${bin} exited before it was ready (${signal ?? `exit code ${code}`})`);
  });
  let info;
  try {
    info = await Promise.race([ready, timeout, early, spawnError]);
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  early.catch(() => {});
  rl.on('line', (l) => process.stderr.write(`host: ${l}\n`));
  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      child.stdin.end();
      const t = setTimeout(() => child.kill('SIGTERM'), 5000);
      const r = await exited;
      clearTimeout(t);
      return r;
    })();
    return stopping;
  };
  return { host: info.host, emulator: info.emulator, process: child, stop };
}
