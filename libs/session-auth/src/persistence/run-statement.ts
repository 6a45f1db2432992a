import { type DataSource, type EntityManager, QueryFailedError } from 'typeorm';

/** Where a statement runs: in the caller's transaction (`manager`), else on a pooled connection. */
export interface StatementOptions {
  /** A transaction's EntityManager (from `dataSource.transaction`). */
  manager?: EntityManager;
}

/** What `runStatement` needs of the PostgreSQL driver's pool (pg's `Pool`). */
interface StatementPool {
  query(sql: string, params: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * One SQL statement's rows and affected count, whatever its command. (TypeORM's plain `query()`
 * answers a SELECT with its rows but an UPDATE or DELETE with `[rows, count]`.) With a `manager`
 * it runs on that transaction's connection.
 *
 * Outside a transaction it goes through the driver's pool (`pool.query`: check out, query,
 * release), not a TypeORM query runner: the runner's bookkeeping (its connection promise, the
 * subscriber broadcasts, the list of connected runners, the release callbacks) cost about as much
 * CPU as pg's own work on a refresh's one UPDATE. TypeORM's logger still sees the statement, a
 * slow one (`maxQueryExecutionTime`) and a failure, and a failure is still a `QueryFailedError`
 * carrying the driver's error (its `code` included).
 */
export async function runStatement<T = unknown>(
  dataSource: DataSource,
  sql: string,
  params: unknown[],
  { manager }: StatementOptions = {},
): Promise<{ rows: T[]; affected: number }> {
  const inTransaction = manager?.queryRunner;
  const pool = (dataSource.driver as { master?: StatementPool } | undefined)?.master;
  if (!inTransaction && typeof pool?.query === 'function')
    return viaPool<T>(dataSource, pool, sql, params);
  const runner = inTransaction ?? dataSource.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return { rows: result.records as T[], affected: result.affected ?? result.records.length };
  } finally {
    if (!inTransaction) await runner.release();
  }
}

async function viaPool<T>(
  dataSource: DataSource,
  pool: StatementPool,
  sql: string,
  params: unknown[],
): Promise<{ rows: T[]; affected: number }> {
  dataSource.logger.logQuery(sql, params);
  const slowMs = (dataSource.options as { maxQueryExecutionTime?: number }).maxQueryExecutionTime;
  const started = slowMs ? Date.now() : 0;
  try {
    const { rows, rowCount } = await pool.query(sql, params);
    if (slowMs && Date.now() - started > slowMs)
      dataSource.logger.logQuerySlow(Date.now() - started, sql, params);
    return { rows: rows as T[], affected: rowCount ?? rows.length };
  } catch (error) {
    dataSource.logger.logQueryError(error as Error, sql, params);
    throw new QueryFailedError(sql, params, error as Error);
  }
}
