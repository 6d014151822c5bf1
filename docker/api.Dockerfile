# syntax=docker/dockerfile:1
# watch-party API image: serves the API, Socket.IO and the built web app from one process.
# Build from the repository root:  docker build -f docker/api.Dockerfile -t watch-party .

FROM node:24-bookworm-slim AS build
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data MEDIA_DIR=/data/media TRUST_PROXY=true
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/apps/api ./dist/apps/api
COPY --from=build /src/dist/apps/web ./dist/apps/web
RUN mkdir -p /data/media && chown -R node:node /data
USER node
EXPOSE 3000 1935
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["tini", "--"]
CMD ["node", "dist/apps/api/main.js"]
