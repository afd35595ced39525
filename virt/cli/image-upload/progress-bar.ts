// The upload's progress on standard error: a bar redrawn in place on a terminal, a line per 10% otherwise
// (a log or a pipeline reads every line).
export class ProgressBar {
  private last = -1;
  private readonly started = Date.now();
  private lastDraw = 0;

  constructor(private readonly total: number, private readonly write: (s: string) => void, private readonly tty: boolean) {}

  update(done: number, final = false): void {
    const pct = this.total ? Math.min(100, (done / this.total) * 100) : 100;
    const now = Date.now();
    if (this.tty) {
      if (!final && now - this.lastDraw < 200) return;
      this.lastDraw = now;
      const width = 30;
      const fill = Math.round((pct / 100) * width);
      const rate = done / Math.max(0.001, (now - this.started) / 1000);
      this.write(`\r[${'='.repeat(fill)}${fill < width ? '>' : ''}${' '.repeat(Math.max(0, width - fill - 1))}] ${pct.toFixed(0).padStart(3)}% ${mib(done)}/${mib(this.total)} ${mib(rate)}/s${final ? '\n' : ''}`);
      return;
    }
    const step = Math.floor(pct / 10);
    if (step > this.last || final) {
      this.last = step;
      this.write(`uploaded ${pct.toFixed(0)}% (${mib(done)} of ${mib(this.total)})\n`);
    }
  }
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
