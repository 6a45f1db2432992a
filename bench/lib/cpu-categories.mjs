// The rows of the CPU budget (bench/profile.mjs) and which code each one owns. A sample belongs to
// the nearest frame, walking from the leaf towards the root, whose script is owned by a row; node's
// own helpers (crypto, events, timers, ...) and V8 builtins other than JSON are passed through, so
// an HMAC computed for jsonwebtoken counts as JWT and one computed by the library's token code as
// that code's row. Socket and stream frames own weakly: a write for pg counts as SQL, one for an
// HTTP response as Node HTTP (node:_http_* owns), one with neither above it as Node HTTP/net.

/** Row ids in table order, with their labels. The table always has every row (zero or not). */
export const ROWS = [
  ['nest', 'Nest pipeline (@nestjs/core, express, router, body parsing, rxjs)'],
  ['guard', 'guard (library auth/)'],
  ['jwt', 'JWT and tokens (@nestjs/jwt, jsonwebtoken, library tokens/, their crypto)'],
  ['cache', 'cache (library cache/, lru-cache, ioredis)'],
  ['sql', 'SQL driver (pg, typeorm, library persistence/)'],
  ['session', 'session logic (library sessions/, revocation/, http/, other folders)'],
  ['events', 'events and sockets (event-emitter, socket.io, library events/, gateway/)'],
  ['passwords', 'passwords (bcrypt binding, library passwords/; the hashing itself is off-thread)'],
  ['metrics', 'metrics (prom-client, library metrics/, demo metrics/)'],
  ['logging', 'logging (pino, pino-http, nestjs-pino, demo logging/)'],
  ['cookies', 'cookies (cookie, cookie-parser)'],
  ['serialization', 'serialization (JSON.parse/stringify, class-transformer, class-validator)'],
  ['demo', "the demo's own code (apps/demo: middleware, controllers, helmet, throttler)"],
  ['nodeHttp', 'Node HTTP/net core (node:_http_*, net, streams)'],
  ['gc', 'GC (V8 "(garbage collector)")'],
  ['program', 'native, unattributed (V8 "(program)")'],
  ['other', 'other'],
];

const PACKAGE_ROWS = {
  nest: [
    '@nestjs/core',
    '@nestjs/common',
    '@nestjs/platform-express',
    '@nestjs/platform-fastify',
    '@nestjs/swagger',
    '@nestjs/mapped-types',
    'express',
    'router',
    'body-parser',
    'raw-body',
    'iconv-lite',
    'safer-buffer',
    'type-is',
    'content-type',
    'media-typer',
    'mime-types',
    'mime-db',
    'on-finished',
    'ee-first',
    'finalhandler',
    'parseurl',
    'qs',
    'statuses',
    'vary',
    'etag',
    'fresh',
    'send',
    'serve-static',
    'depd',
    'http-errors',
    'accepts',
    'negotiator',
    'encodeurl',
    'escape-html',
    'proxy-addr',
    'forwarded',
    'ipaddr.js',
    'merge-descriptors',
    'path-to-regexp',
    'unpipe',
    'bytes',
    'setprototypeof',
    'toidentifier',
    'side-channel',
    'side-channel-list',
    'side-channel-map',
    'side-channel-weakmap',
    'object-inspect',
    'get-intrinsic',
    'call-bound',
    'call-bind-apply-helpers',
    'rxjs',
    'reflect-metadata',
    'iterare',
    'uid',
    'fast-safe-stringify',
    'tslib',
    'fastify',
    'find-my-way',
    'light-my-request',
    'avvio',
    'cors',
  ],
  jwt: [
    '@nestjs/jwt',
    'jsonwebtoken',
    'jws',
    'jwa',
    'jose',
    'safe-buffer',
    'buffer-equal-constant-time',
    'ecdsa-sig-formatter',
    'ms',
    'semver',
    'lodash.includes',
    'lodash.isboolean',
    'lodash.isinteger',
    'lodash.isnumber',
    'lodash.isplainobject',
    'lodash.isstring',
    'lodash.once',
    '@nestjs/passport',
    'passport',
    'passport-jwt',
    'passport-strategy',
  ],
  cache: [
    'lru-cache',
    'ioredis',
    '@ioredis/commands',
    'redis-parser',
    'redis-errors',
    'cluster-key-slot',
    'denque',
    'standard-as-callback',
    'lodash.defaults',
    'lodash.isarguments',
  ],
  sql: [
    'pg',
    'pg-pool',
    'pg-protocol',
    'pg-types',
    'pg-int8',
    'pg-connection-string',
    'pgpass',
    'postgres-array',
    'postgres-bytea',
    'postgres-date',
    'postgres-interval',
    'typeorm',
    '@nestjs/typeorm',
    '@sqltools/formatter',
    'sha.js',
    'dayjs',
  ],
  events: [
    '@nestjs/event-emitter',
    'eventemitter2',
    '@nestjs/websockets',
    '@nestjs/platform-socket.io',
    'socket.io',
    'socket.io-adapter',
    'socket.io-parser',
    'engine.io',
    'engine.io-parser',
    'ws',
    '@socket.io/redis-adapter',
    '@socket.io/component-emitter',
    'notepack.io',
  ],
  passwords: ['bcrypt', 'node-addon-api', 'node-gyp-build'],
  metrics: ['prom-client', 'tdigest', 'bintrees'],
  logging: [
    'pino',
    'pino-http',
    'nestjs-pino',
    'pino-std-serializers',
    'sonic-boom',
    'fast-redact',
    '@pinojs/redact',
    'quick-format-unescaped',
    'atomic-sleep',
    'on-exit-leak-free',
    'thread-stream',
    'safe-stable-stringify',
    'pino-abstract-transport',
    'real-require',
    'process-warning',
  ],
  cookies: ['cookie', 'cookie-parser', 'cookie-signature'],
  serialization: ['class-transformer', 'class-validator', 'validator', 'libphonenumber-js'],
  demo: ['helmet', '@nestjs/throttler', 'ua-parser-js'],
};

const BY_PACKAGE = new Map(
  Object.entries(PACKAGE_ROWS).flatMap(([row, names]) => names.map((name) => [name, row])),
);

/** Folders of the library (libs/session-auth/{src,dist}/<folder>/...) with a row of their own. */
const LIBRARY_FOLDERS = {
  auth: 'guard',
  tokens: 'jwt',
  cache: 'cache',
  persistence: 'sql',
  metrics: 'metrics',
  events: 'events',
  gateway: 'events',
  passwords: 'passwords',
};

/** Folders of the demo (dist/apps/demo/src/<folder>/...) that belong to another row. */
const DEMO_FOLDERS = { metrics: 'metrics', logging: 'logging' };

const NODE_HTTP = /^node:(_http_|https?$|internal\/http)/;
/** Sockets and streams: HTTP's, but also pg's and ioredis's, so their callers decide. */
const NODE_NET =
  /^node:(net$|stream$|dns$|internal\/(net|stream|streams\/|stream_base_commons|js_stream_socket|dns))/;

const LIBRARY =
  /(?:libs\/session-auth|node_modules\/nestjs-session-auth)\/(?:dist|src)\/(?:(?:esm|cjs)\/)?([^/]+)/;
const DEMO = /\/apps\/demo\/src\/([^/]+)/;

/** The package a node_modules path belongs to (`@scope/name` or `name`), from the last node_modules. */
function packageOf(url) {
  const at = url.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const [first, second] = url.slice(at + '/node_modules/'.length).split('/');
  return first.startsWith('@') ? `${first}/${second}` : first;
}

/**
 * The row that owns a frame, or undefined when the frame passes its samples on to its caller.
 * `{ row, where, weak }`: where names the package or folder for the top-frames list; a weak owner
 * (a socket or stream of node's) keeps its samples only if no caller up the stack is owned.
 */
export function ownerOf(callFrame) {
  const { functionName, url } = callFrame;
  if (functionName === '(garbage collector)') return { row: 'gc', where: 'V8' };
  if (functionName === '(program)') return { row: 'program', where: 'V8' };
  if (!url) {
    // V8 builtins and native functions: only JSON is a row of its own.
    if (functionName === 'stringify' || functionName === 'parse') {
      return { row: 'serialization', where: `JSON.${functionName}` };
    }
    return undefined;
  }
  if (url.startsWith('node:')) {
    if (NODE_HTTP.test(url)) return { row: 'nodeHttp', where: url };
    return NODE_NET.test(url) ? { row: 'nodeHttp', where: url, weak: true } : undefined;
  }
  const library = LIBRARY.exec(url);
  if (library) {
    const folder = library[1].endsWith('.js') ? '(root)' : library[1];
    return { row: LIBRARY_FOLDERS[folder] ?? 'session', where: `library ${folder}/` };
  }
  const pkg = packageOf(url);
  if (pkg) {
    // A package nobody listed owns its samples as "other", named, rather than hiding in a caller.
    return { row: BY_PACKAGE.get(pkg) ?? 'other', where: pkg };
  }
  if (url.endsWith('/bench/lib/bare-nest-app.mjs')) return { row: 'demo', where: 'bare app' };
  const demo = DEMO.exec(url);
  if (demo) {
    const folder = demo[1].endsWith('.js') ? '(root)' : demo[1];
    return { row: DEMO_FOLDERS[folder] ?? 'demo', where: `demo ${folder}/` };
  }
  return undefined;
}

/** Where a chain nobody owns ends up (its leaf), named for the "other" row. */
export function whereOf(callFrame) {
  const { functionName, url } = callFrame;
  if (!url) return functionName ? `(native) ${functionName}` : '(native)';
  return url.replace(/^file:\/\//, '');
}
