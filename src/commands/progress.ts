// The index progress bar (files done, files/s, ETA) on a TTY; nothing otherwise.
import { createRequire } from 'node:module';
import type cliProgressTypes from 'cli-progress';
import type { IndexProgress } from '../index/build.js';

// Loaded only on a TTY: a review or index run in a pipe or a script never pays for it.
const require = createRequire(import.meta.url);

export function progressReporter(stream: NodeJS.WriteStream = process.stderr): { onProgress: (p: IndexProgress) => void; stop: () => void } {
  if (stream.isTTY !== true) return { onProgress: () => {}, stop: () => {} };
  const cliProgress = require('cli-progress') as typeof cliProgressTypes;
  const bar = new cliProgress.SingleBar(
    {
      format: ' {phase} [{bar}] {value}/{total} files | {rate} files/s | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      stream,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = 0;
  let phaseKey = '';
  let running = false;
  return {
    onProgress(p) {
      const key = `${p.phase}${p.round ?? ''}`;
      if (key !== phaseKey) {
        if (running) bar.stop();
        phaseKey = key;
        started = performance.now();
        bar.start(p.total, p.done, { phase: p.phase === 'scan' ? 'scan   ' : `closure${p.round ?? ''}`, rate: '0' });
        running = true;
        return;
      }
      const secs = (performance.now() - started) / 1000;
      bar.update(p.done, { rate: secs > 0 ? (p.done / secs).toFixed(0) : '0' });
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
