// Preloaded into a demo process (NODE_OPTIONS=--import) to give it a wall clock that differs from
// the database's by CLOCK_SKEW_MS (positive: ahead). Timers and performance.now() are untouched.
const skewMs = Number(process.env.CLOCK_SKEW_MS ?? 0);
const RealDate = Date;

class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + skewMs);
    else super(...args);
  }

  static now() {
    return RealDate.now() + skewMs;
  }
}

globalThis.Date = SkewedDate;
