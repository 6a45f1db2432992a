import type { SessionClient } from 'nestjs-session-auth-client';

/** What every view of the device page is given, instead of reaching for module-level state. */
export interface Page {
  /** The `<main id="app">` element; each view replaces its children. */
  root: HTMLElement;
  /** Tokens, refreshes, tabs and the socket: the views only call it and listen to it. */
  client: SessionClient;
  /** This browser's readable name ("Chrome on Linux"), the device name when none is typed. */
  thisBrowser: string;
}
