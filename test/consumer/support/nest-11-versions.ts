/**
 * The Nest 11 lane: exact versions of the packages whose Nest 11 majors package-lock.json cannot
 * hold (the repository itself runs Nest 12 and TypeORM 1). The latest of each major when pinned;
 * everything not named here still comes from the lockfile (see lockedVersions).
 */
export const NEST_11_VERSIONS: Readonly<Record<string, string>> = {
  '@nestjs/common': '11.2.12',
  '@nestjs/core': '11.2.12',
  '@nestjs/platform-express': '11.2.12',
  '@nestjs/platform-fastify': '11.2.8',
  // The fastify that @nestjs/platform-fastify 11.2.8 itself depends on, so the app types its
  // handlers with the same copy.
  fastify: '5.11.3',
  '@nestjs/testing': '11.2.12',
  '@nestjs/typeorm': '11.0.3',
  typeorm: '0.3.31',
  '@nestjs/config': '4.0.4',
  '@nestjs/event-emitter': '3.1.0',
  '@nestjs/schedule': '6.1.3',
  '@nestjs/websockets': '11.2.6',
  '@nestjs/platform-socket.io': '11.2.6',
  '@nestjs/swagger': '11.4.8',
};
