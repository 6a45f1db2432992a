/**
 * The HTTP platforms an adopter's app runs on: the packages each adds, and the layer under
 * test/consumer/apps with its `createApp` and its request/response types.
 */
export const PLATFORMS = {
  express: { dependencies: ['@nestjs/platform-express'], devDependencies: ['@types/express'] },
  // The app types its handlers with fastify's own types, so it depends on fastify itself.
  fastify: { dependencies: ['@nestjs/platform-fastify', 'fastify'], devDependencies: [] },
} as const;

export type Platform = keyof typeof PLATFORMS;

export const PLATFORM_NAMES = Object.keys(PLATFORMS) as Platform[];
