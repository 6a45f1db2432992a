import type { DataSource, EntityManager } from 'typeorm';

/** Where a statement runs: in the caller's transaction (`manager`), else on a pooled connection. */
export interface StatementOptions {
  /** A transaction's EntityManager (from `dataSource.transaction`). */
  manager?: EntityManager;
}

/**
 * One SQL statement's rows and affected count, whatever its command. (TypeORM's plain `query()`
 * answers a SELECT with its rows but an UPDATE or DELETE with `[rows, count]`.) With a `manager`
 * it runs on that transaction's connection.
 */
export async function runStatement<T = unknown>(
  dataSource: DataSource,
  sql: string,
  params: unknown[],
  { manager }: StatementOptions = {},
): Promise<{ rows: T[]; affected: number }> {
  const inTransaction = manager?.queryRunner;
  const runner = inTransaction ?? dataSource.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return { rows: result.records as T[], affected: result.affected ?? result.records.length };
  } finally {
    if (!inTransaction) await runner.release();
  }
}
