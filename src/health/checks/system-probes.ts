import type { ELDHistogram } from 'node:perf_hooks';

// Builtins are fetched at first use, not imported: importing one as an ES module builds all its
// exports, a cost every `import 'breakwater'` would pay for probes most applications never run.

/** Where the system check reads the machine; replaceable in tests. */
export interface SystemProbes {
  /** p99 event-loop delay in ms since the previous call. */
  eventLoopDelayMs(): number;
  heap(): { usedBytes: number; limitBytes: number };
  rssBytes(): number;
  /** The memory the process may use: its cgroup limit when there is one, else the machine's. */
  memoryLimitBytes(): number;
  /** 1-minute load average and the cores it is shared by. */
  cpu(): { loadAverage: number; cores: number };
  disk(path: string): Promise<{ usedBytes: number; totalBytes: number }>;
  /** Releases what the probes hold (the event-loop monitor). */
  close(): void;
}

/** The real probes. The event-loop monitor starts on first use and stops on `close()`. */
export function defaultSystemProbes(): SystemProbes {
  let histogram: ELDHistogram | undefined;
  return {
    eventLoopDelayMs() {
      if (histogram === undefined) {
        histogram = process.getBuiltinModule('node:perf_hooks').monitorEventLoopDelay({ resolution: 20 });
        histogram.enable();
        return 0;
      }
      const p99 = histogram.count > 0 ? histogram.percentile(99) / 1e6 : 0;
      histogram.reset();
      return p99;
    },
    heap() {
      const stats = process.getBuiltinModule('node:v8').getHeapStatistics();
      return { usedBytes: stats.used_heap_size, limitBytes: stats.heap_size_limit };
    },
    rssBytes() {
      return process.memoryUsage.rss();
    },
    memoryLimitBytes() {
      const machine = process.getBuiltinModule('node:os').totalmem();
      const constrained = process.constrainedMemory();
      // Without a cgroup limit Node reports 0 or a huge number; the machine's memory is the bound then.
      return constrained > 0 && constrained < machine ? constrained : machine;
    },
    cpu() {
      const os = process.getBuiltinModule('node:os');
      return { loadAverage: os.loadavg()[0] ?? 0, cores: os.availableParallelism() };
    },
    async disk(path) {
      const s = await process.getBuiltinModule('node:fs/promises').statfs(path);
      const usedBlocks = s.blocks - s.bfree;
      // As df computes it: blocks reserved for root count as neither used nor available.
      return { usedBytes: usedBlocks * s.bsize, totalBytes: (usedBlocks + s.bavail) * s.bsize };
    },
    close() {
      histogram?.disable();
      histogram = undefined;
    },
  };
}
