// A one-line progress display for uploads and downloads, on stderr and only when stderr is a terminal (never in
// logs or when piped), like the Python SDK's (clients/python/modelyard/progress.py).
import { formatBytes } from './remote.js';

/** Redrawing more often than this costs more than it tells. */
const REDRAW_INTERVAL_MS = 100;

export class ProgressLine {
  private readonly enabled: boolean;
  private readonly started = Date.now();
  private drawnAt = 0;
  private done = 0;
  private total = 0;

  constructor(
    private readonly label: string,
    stream: NodeJS.WriteStream = process.stderr,
    private readonly out: NodeJS.WriteStream = stream,
  ) {
    this.enabled = stream.isTTY === true;
  }

  /** For a transfer's onProgress callback. */
  readonly update = (done: number, total: number): void => {
    this.done = done;
    this.total = total;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.drawnAt < REDRAW_INTERVAL_MS) return;
    this.drawnAt = now;
    this.draw(now);
  };

  private draw(now: number): void {
    const percent = this.total === 0 ? 100 : Math.floor((100 * this.done) / this.total);
    const width = 24;
    const filled = Math.round((width * percent) / 100);
    const rate = this.done / Math.max((now - this.started) / 1000, 0.001);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}% ${formatBytes(this.done)} / ${formatBytes(this.total)} ${formatBytes(Math.round(rate))}/s`;
    this.out.write(`\r${line.padEnd(78)}`);
  }

  /** Ends the line, so what follows (a result or an error) starts on a line of its own. */
  finish(): void {
    if (!this.enabled || this.drawnAt === 0) return;
    this.draw(Date.now());
    this.out.write('\n');
  }
}
