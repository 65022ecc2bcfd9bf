// A durable peer in bench/run: graphile-worker on the bench's PostgreSQL,
// in a database of its own. N jobs are added one by one (addJob) by 50
// concurrent adders; then, at each of the given concurrencies, with N
// waiting each time, M processed by its runner (each job fetched by
// get_job and completed by complete_job; the job does nothing), with its
// defaults (no local queue, no batched completion). Prints one JSON line:
// the add rate, the best processed rate, its concurrency and every
// trial's rate.
//
//   node graphile.mjs PG_PORT DB N M SECONDS "8 16 32 64"
import { EventEmitter } from 'node:events';
import pg from 'pg';
import gw from 'graphile-worker';
import { addAll, args, bestOf, deadline, payload } from './pgpeer.mjs';

const { run, makeWorkerUtils, Logger } = gw;
const { conn, n, m, limitMs, concurrencies } = args();
deadline('graphile-worker');

const logger = new Logger(() => (level, message) => {
  if (level === 'error')
    console.error(message);
});
const pool = new pg.Pool({ ...conn, max: Math.max(60, ...concurrencies) + 10 });
pool.on('error', (e) => console.error(`graphile-worker pool: ${e.message}`));
pool.on('connect', (client) => client.on('error', (e) =>
  console.error(`graphile-worker client: ${e.message}`)));
const utils = await makeWorkerUtils({ pgPool: pool, logger });
try {
  await utils.migrate();
  const addRate = await addAll(n, (i) => utils.addJob('callback', payload(i)));
  let next = n;
  const peer = {
    waiting: async () => Number((await pool.query(
      'SELECT count(*) FROM graphile_worker.jobs WHERE locked_at IS NULL')).rows[0].count),
    addMany: (k) => utils.addJobs(Array.from({ length: k },
      () => ({ identifier: 'callback', payload: payload(next++) }))),
    process: async (c, want, ms) => {
      const events = new EventEmitter();
      let done = 0;
      let finish;
      const finished = new Promise((resolve) => { finish = resolve; });
      events.on('job:success', () => { if (++done === want) finish(); });
      const t = performance.now();
      const runner = await run({
        pgPool: pool, concurrency: c, noHandleSignals: true, pollInterval: 200,
        logger, events, taskList: { callback: async () => {} },
      });
      const timer = setTimeout(finish, ms);
      await finished;
      const seconds = (performance.now() - t) / 1000;
      const got = Math.min(done, want);
      clearTimeout(timer);
      await runner.stop();
      return { done: got, seconds };
    },
  };
  const best = await bestOf(concurrencies, n, m, limitMs, peer);
  console.log(JSON.stringify({ add_rate: addRate, ...best }));
} finally {
  await utils.release();
  await pool.end();
}
