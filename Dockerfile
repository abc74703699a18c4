# One image, two roles: `docker run orquesta api` or `docker run orquesta worker`
# (and `migrate` once per release). All settings come from the environment (see README).
# Debian slim, not Alpine: the Temporal SDK's native bridge needs glibc.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# A fix to postgres.js applied at install (porsager/postgres#1208), by patch-package.
COPY patches ./patches
# `npm install`, not `npm ci`: the lock file lacks some other platforms' optional native packages
# (our registry mirror does not carry them at the locked versions), which `npm ci` refuses.
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json temporal.config.ts config.ts orquesta.ts ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY db ./db
COPY runtime ./runtime
COPY catalog ./catalog
RUN npm run build

FROM node:20-bookworm-slim AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
# A fix to postgres.js applied at install (porsager/postgres#1208), by patch-package.
COPY patches ./patches
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    NODE_OPTIONS=--max-old-space-size=1024
WORKDIR /app
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
ENTRYPOINT ["node", "dist/orquesta.js"]
CMD ["api"]
