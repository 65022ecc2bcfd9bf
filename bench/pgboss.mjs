// A durable peer in bench/run: pg-boss on the bench's PostgreSQL, in a
// database of its own (its maintenance and scheduling off). N jobs are
// sent one by one by 50 concurrent adders; then, at each of the given
// concurrencies, with N waiting each time, M processed by that many loops
// each fetching one job and completing it (the job does nothing). Prints
// one JSON line: the add rate, the best processed rate, its concurrency
// and every trial's rate.
//
//   node pgboss.mjs PG_PORT DB N M SECONDS "8 16 32 64"
import PgBoss from 'pg-boss';
import { addAll, args, bestOf, deadline, payload } from './pgpeer.mjs';

const Q = 'callback';
const { conn, n, m, limitMs, concurrencies } = args();
deadline('pg-boss');

const boss = new PgBoss({ ...conn, max: Math.max(60, ...concurrencies) + 10,
  supervise: false, schedule: false });
boss.on('error', (e) => console.error(`pg-boss: ${e.message}`));
await boss.start();
try {
  await boss.createQueue(Q);
  const addRate = await addAll(n, (i) => boss.send(Q, payload(i)));
  let next = n;
  const peer = {
    waiting: () => boss.getQueueSize(Q),
    addMany: (k) => boss.insert(Array.from({ length: k },
      () => ({ name: Q, data: payload(next++) }))),
    process: async (c, want, ms) => {
      let claimed = 0;
      let done = 0;
      const t = performance.now();
      const end = t + ms;
      const loop = async () => {
        while (claimed < want && performance.now() < end) {
          claimed++;
          const [job] = await boss.fetch(Q);
          if (!job) {
            claimed--;
            continue;
          }
          await boss.complete(Q, job.id);
          done++;
        }
      };
      await Promise.all(Array.from({ length: c }, loop));
      return { done, seconds: (performance.now() - t) / 1000 };
    },
  };
  const best = await bestOf(concurrencies, n, m, limitMs, peer);
  console.log(JSON.stringify({ add_rate: addRate, ...best }));
} finally {
  await boss.stop({ graceful: false, wait: true });
}
