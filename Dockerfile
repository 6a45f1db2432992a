# The demo app, built from this repository (used by docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
# npm workspaces: the demo depends on the library package (libs/session-auth) by its name.
COPY package.json package-lock.json ./
COPY libs/session-auth/package.json ./libs/session-auth/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY libs ./libs
COPY apps ./apps
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# production: the demo refuses to start without JWT_SECRET (or JWT_SECRET_FILE) of >= 32 bytes.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/libs/session-auth/package.json ./libs/session-auth/
COPY --from=build /app/libs/session-auth/dist ./libs/session-auth/dist
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/apps/demo/src/main.js"]
