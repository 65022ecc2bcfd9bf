// The peer in bench/run: BullMQ on the same Redis as callbackd. N jobs are
// added one by one by 50 concurrent adders, then M of them processed by
// one Worker with concurrency 50 (the job does nothing). Prints one JSON
// line with both rates. Bounded: gives up after 10 minutes.
//
//   node bullmq.mjs REDIS_PORT N M
import { Queue, Worker } from 'bullmq';

const [port, nAdd, nProc] = process.argv.slice(2).map(Number);
const connection = { host: '127.0.0.1', port };
setTimeout(() => { console.error('bullmq: timed out'); process.exit(1); }, 600000).unref();

const queue = new Queue('bench', { connection });
await queue.obliterate({ force: true });

let next = 0;
const adder = async () => {
  while (next < nAdd) {
    const i = next++;
    await queue.add('callback', { phone: `+4923${10000000 + i}`, topic: 'general', site: 'dortmund' });
  }
};
let t = performance.now();
await Promise.all(Array.from({ length: 50 }, adder));
const addRate = nAdd / ((performance.now() - t) / 1000);

let done = 0;
t = performance.now();
let processRate;
await new Promise((resolve) => {
  const worker = new Worker('bench', async () => {}, { connection, concurrency: 50 });
  worker.on('completed', () => {
    if (++done === nProc) {
      processRate = nProc / ((performance.now() - t) / 1000);
      worker.close().then(resolve);
    }
  });
});
await queue.obliterate({ force: true });
await queue.close();
console.log(JSON.stringify({ add_rate: addRate, process_rate: processRate }));
