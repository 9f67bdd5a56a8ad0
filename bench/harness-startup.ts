// Time to ready for each test harness, warm binaries, median of several runs. The baseline is the cost of
// starting a bare process (`node -e 0`) measured in the same run, so numbers from machines of different
// speed compare by ratio; each harness is also set against its target from the issue.
import { spawnSync } from 'node:child_process';
import { startChromium } from '@cf/embedded/chromium';
import { buildImage } from '@cf/embedded/containers';
import { startControlPlane } from '@cf/embedded/control-plane';
import { startPostgres } from '@cf/embedded/postgres';
import { serviceBuild } from '@cf/embedded/service-images';
import { startVault } from '@cf/embedded/vault';
import { formatMs, median, timeMs } from './stats.ts';

const runs = Number(process.env['BENCH_RUNS'] ?? 5);

const baseline = median(
  await Promise.all(Array.from({ length: runs }, () => timeMs(async () => spawnSync(process.execPath, ['-e', '0'])))),
);

interface Row {
  harness: string;
  targetMs?: number;
  samples: number[];
}

async function measure(
  harness: string,
  start: () => Promise<{ stop(): Promise<void> } | { close(): Promise<void> }>,
  targetMs?: number,
): Promise<Row> {
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    let handle: { stop(): Promise<void> } | { close(): Promise<void> } | undefined;
    samples.push(
      await timeMs(async () => {
        handle = await start();
      }),
    );
    if (handle !== undefined) await ('stop' in handle ? handle.stop() : handle.close());
  }
  return { harness, samples, ...(targetMs !== undefined ? { targetMs } : {}) };
}

const rows: Row[] = [];
rows.push(await measure('PostgreSQL', startPostgres, 3000));
rows.push(await measure('Vault dev', () => startVault({ mode: 'dev' }), 2000));
rows.push(await measure('Vault server (sealed)', () => startVault({ mode: 'server' })));
rows.push(await measure('control plane (etcd + kube-apiserver)', startControlPlane, 15_000));
rows.push(await measure('Chromium', startChromium));

const image = {
  ...serviceBuild('test/fixtures/minimal-service', 'services/kit'),
  tag: 'localhost/cf/minimal-service:bench',
};
const cold = await timeMs(() => buildImage({ ...image, noCache: true }));
const cached = await timeMs(() => buildImage(image));

console.log(`baseline: bare process start ${formatMs(baseline)} (median of ${runs})`);
console.log('harness | median | min | max | × baseline | target | within target');
for (const row of rows) {
  const m = median(row.samples);
  const target = row.targetMs !== undefined ? formatMs(row.targetMs) : '-';
  const within = row.targetMs !== undefined ? (m <= row.targetMs ? 'yes' : 'NO') : '-';
  console.log(
    `${row.harness} | ${formatMs(m)} | ${formatMs(Math.min(...row.samples))} | ${formatMs(Math.max(...row.samples))} | ${(m / baseline).toFixed(1)} | ${target} | ${within}`,
  );
}
console.log(
  `image build (minimal service): no layer cache ${formatMs(cold)}, cached ${formatMs(cached)} (cached/cold ${(cached / cold).toFixed(2)})`,
);
