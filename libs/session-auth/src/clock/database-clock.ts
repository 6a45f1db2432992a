import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** Epoch milliseconds on the clock every lifetime and grace comparison uses. */
export interface Clock {
  now(): number;
  /** Converts a time on this clock to the process's own clock (what app code compares with). */
  toLocal(ms: number): number;
}

/** This process's own clock: for code that runs without a database (unit specs). */
export const SYSTEM_CLOCK: Clock = { now: () => Date.now(), toLocal: (ms) => ms };

/** How often the offset to the database's clock is measured again. */
const RESYNC_MS = 60_000;

/** Round trips per measurement; the shortest one is kept. */
const SAMPLES = 5;

/**
 * The database's clock, read locally. PostgreSQL stamps every lifetime (`now()` in the statements
 * that create, rotate and revoke sessions), so comparisons made in the app (the guard's "is it
 * still live", the refresh cookie's Max-Age, access-token expiry) must use the same clock, or an
 * app server whose clock drifts would end sessions early, keep them late, or take two tabs for a
 * thief. The offset is measured at start-up and every minute; its error is half a round trip.
 */
@Injectable()
export class DatabaseClock implements Clock, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SessionAuthClock');
  private offsetMs = 0;
  private timer?: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => void this.sync(), RESYNC_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  toLocal(databaseMs: number): number {
    return databaseMs - this.offsetMs;
  }

  /**
   * Measures the offset: the sample with the shortest round trip of a few, since its error is
   * smallest. An offset within that sample's uncertainty (half its round trip) is noise, not drift,
   * and counts as none: applying it would only move every lifetime by a random few milliseconds.
   * Keeps the last offset when the database does not answer.
   */
  async sync(): Promise<void> {
    try {
      let best: { offset: number; roundTrip: number } | undefined;
      for (let sample = 0; sample < SAMPLES; sample++) {
        const sent = Date.now();
        const [row] = (await this.dataSource.query('SELECT now() AS now')) as { now: Date }[];
        const received = Date.now();
        const roundTrip = received - sent;
        if (!best || roundTrip < best.roundTrip) {
          best = { offset: new Date(row.now).getTime() - (sent + received) / 2, roundTrip };
        }
      }
      const offset = Math.abs(best!.offset) <= best!.roundTrip / 2 + 1 ? 0 : best!.offset;
      if (Math.abs(offset - this.offsetMs) > 1000) {
        this.logger.warn(
          `this server's clock is ${Math.round(-offset)} ms off the database's; lifetimes follow the database`,
        );
      }
      this.offsetMs = offset;
    } catch (error) {
      this.logger.warn(`cannot read the database clock (${(error as Error).message})`);
    }
  }
}
