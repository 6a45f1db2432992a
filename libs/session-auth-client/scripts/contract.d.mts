/** The socket contract of nestjs-session-auth as one self-contained file of types. */
export declare function contractText(entry?: string): string;
/** Whether src/contract.ts is what the server's contract generates today. */
export declare function isUpToDate(): boolean;
