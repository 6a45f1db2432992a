import type { DataSource } from 'typeorm';

/**
 * One SQL statement's rows and affected count, whatever its command. (TypeORM's plain `query()`
 * answers a SELECT with its rows but an UPDATE or DELETE with `[rows, count]`.)
 */
export async function runStatement<T = unknown>(
  dataSource: DataSource,
  sql: string,
  params: unknown[],
): Promise<{ rows: T[]; affected: number }> {
  const runner = dataSource.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return { rows: result.records as T[], affected: result.affected ?? result.records.length };
  } finally {
    await runner.release();
  }
}
