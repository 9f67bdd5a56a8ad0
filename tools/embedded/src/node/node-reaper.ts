// Runs detached beside a node run. Its first stdin line names the run's state file and owner; `done` means the run
// tore itself down. If stdin closes without it — the test process died, even by SIGKILL — this process tears the
// run down from its state file (teardown.ts), like reaper.ts does for process groups.
import { createInterface } from 'node:readline';
import { readState, releaseNodeLock, teardownHost } from './teardown.ts';

let run: { stateFile: string; ownerPid: number } | undefined;
let done = false;

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === 'done') done = true;
  else run = JSON.parse(line) as { stateFile: string; ownerPid: number };
});
lines.on('close', () => {
  void (async () => {
    if (!done && run !== undefined) {
      const state = readState(run.stateFile);
      if (state !== undefined) await teardownHost(state, [process.pid]);
      releaseNodeLock(run.ownerPid);
    }
    process.exit(0);
  })();
});
process.on('SIGTERM', () => undefined);
