// Progress on a terminal: one line rewritten in place on stderr. With --json the tool is quiet
// (stdout carries only the report); without a TTY, phase lines are printed but no redraws.

export interface OutputStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

export class Progress {
  private drawn = false;
  private lastDraw = 0;

  constructor(
    private readonly stream: OutputStream,
    private readonly quiet: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  get interactive(): boolean {
    return !this.quiet && this.stream.isTTY === true;
  }

  /** Redraws the status line (at most 10 times a second). */
  update(text: string, force = false): void {
    if (!this.interactive) return;
    const t = this.now();
    if (!force && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    this.stream.write(`\r\x1b[2K${text}`);
    this.drawn = true;
  }

  /** A line that stays (phase changes, warnings). */
  log(line: string): void {
    if (this.quiet) return;
    this.clear();
    this.stream.write(`${line}\n`);
  }

  clear(): void {
    if (!this.drawn) return;
    this.stream.write("\r\x1b[2K");
    this.drawn = false;
  }
}
