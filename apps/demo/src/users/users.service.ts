import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type PasswordJobOptions, SessionService } from 'nestjs-session-auth';
import { type DataSource, QueryFailedError } from 'typeorm';
import { DemoError } from '../errors/demo-errors.js';
import { UserEntity } from './user.entity.js';

/** The public shape of a user: never the password hash. */
export interface UserView {
  id: string;
  email: string;
  name: string | null;
}

/** What the sign-in and /me look-ups read. */
type StoredUser = Pick<UserEntity, 'id' | 'email' | 'name' | 'passwordHash'>;

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionService,
  ) {}

  /** Creates an account; EMAIL_TAKEN if the email (any case) exists, decided by the unique index. */
  async register(
    email: string,
    password: string,
    name?: string,
    job?: PasswordJobOptions,
  ): Promise<UserView> {
    const user = this.dataSource.getRepository(UserEntity).create({
      id: randomUUID(),
      email: email.toLowerCase(),
      name: name ?? null,
      passwordHash: await this.sessions.hashPassword(password, job),
    });
    try {
      await this.dataSource.getRepository(UserEntity).insert(user);
    } catch (error) {
      const code = (error as QueryFailedError & { driverError?: { code?: string } }).driverError
        ?.code;
      if (error instanceof QueryFailedError && code === UNIQUE_VIOLATION)
        throw new DemoError('EMAIL_TAKEN');
      throw error;
    }
    return toView(user);
  }

  /** The user for these credentials, or INVALID_CREDENTIALS (one bcrypt compare either way). */
  async authenticate(email: string, password: string, job?: PasswordJobOptions): Promise<UserView> {
    const [user] = await this.select('email = $1', email.toLowerCase());
    const valid = await this.sessions.verifyPassword(password, user?.passwordHash, job);
    if (!user || !valid) throw new DemoError('INVALID_CREDENTIALS');
    return toView(user);
  }

  /** Replaces the password after checking the current one (INVALID_CREDENTIALS if wrong). */
  async changePassword(
    userId: string,
    currentPassword: string,
    newPassword: string,
    job?: PasswordJobOptions,
  ): Promise<void> {
    const repository = this.dataSource.getRepository(UserEntity);
    const user = await repository.findOne({ where: { id: userId } });
    if (!user || !(await this.sessions.verifyPassword(currentPassword, user.passwordHash, job))) {
      throw new DemoError('INVALID_CREDENTIALS');
    }
    await repository.update(
      { id: userId },
      { passwordHash: await this.sessions.hashPassword(newPassword, job) },
    );
  }

  async delete(userId: string): Promise<void> {
    await this.dataSource.getRepository(UserEntity).delete({ id: userId });
  }

  async findById(id: string): Promise<UserView | undefined> {
    const [user] = await this.select('id = $1', id);
    return user ? toView(user) : undefined;
  }

  /**
   * The two hot look-ups (every sign-in, every GET /me) as plain SQL: the entity query builder
   * costs more CPU than the query itself, and on a login storm that CPU is taken from bcrypt.
   */
  private select(where: 'email = $1' | 'id = $1', value: string): Promise<StoredUser[]> {
    return this.dataSource.query(
      `SELECT id, email, name, password_hash AS "passwordHash" FROM users WHERE ${where} LIMIT 1`,
      [value],
    );
  }
}

function toView(user: StoredUser): UserView {
  return { id: user.id, email: user.email, name: user.name };
}
