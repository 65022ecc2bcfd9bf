// What the PostgreSQL-backed peers of bench/run (graphile.mjs, pgboss.mjs)
// share: the timed adds by 50 concurrent adders, and the processing
// trials at a few concurrencies, of which the best is the peer's figure.
// It knows nothing of either queue: each peer hands it functions that
// add one job, add jobs in bulk, count the waiting ones and process M at
// a concurrency. Every loop is bounded in count, every wait in time.

// n jobs added one by one by 50 concurrent adders; jobs/s.
export async function addAll(n, addOne) {
  let next = 0;
  const adder = async () => {
    while (next < n) {
      const i = next++;
      await addOne(i);
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: 50 }, adder));
  return n / ((performance.now() - t) / 1000);
}

// For each concurrency: depth jobs waiting (topped up untimed, in bulk,
// so that each trial starts from the queue the adds left), then m of them
// processed (fetch + complete) within limitMs. Returns the best rate, its
// concurrency, and every trial's rate.
export async function bestOf(concurrencies, depth, m, limitMs, peer) {
  const tried = {};
  let best = { rate: 0, concurrency: 0 };
  for (const c of concurrencies) {
    const waiting = await peer.waiting();
    for (let have = waiting; have < depth; have += 1000)
      await peer.addMany(Math.min(1000, depth - have));
    const { done, seconds } = await peer.process(c, m, limitMs);
    if (done < m)
      console.error(`concurrency ${c}: ${done} of ${m} within ${limitMs / 1000} s`);
    const rate = done / seconds;
    tried[c] = Math.round(rate);
    if (rate > best.rate)
      best = { rate, concurrency: c };
  }
  return { process_rate: best.rate, concurrency: best.concurrency, tried };
}

// The peer's arguments: PG_PORT DB N M SECONDS CONCURRENCIES ("8 16 32").
export function args() {
  const [port, db, n, m, seconds, cs] = process.argv.slice(2);
  return {
    conn: { host: '127.0.0.1', port: Number(port), user: 'callbackd', database: db },
    n: Number(n), m: Number(m), limitMs: Number(seconds) * 1000,
    concurrencies: cs.split(/\s+/).filter(Boolean).map(Number),
  };
}

// A job's payload, as BullMQ's in bullmq.mjs.
export function payload(i) {
  return { phone: `+4923${10000000 + i}`, topic: 'general', site: 'dortmund' };
}

// The whole script given up on after 10 minutes.
export function deadline(name) {
  setTimeout(() => { console.error(`${name}: timed out`); process.exit(1); }, 600000).unref();
}
