# hermes-serve as a container image: docs/deploy.md. Build: docker build -t hermes-serve .
# Run:   docker run -p 8080:8080 -v hermes-home:/data hermes-serve                      (the 13B, fetched once into /data)
#        docker run -p 8080:8080 -v /models:/models hermes-serve --model /models/my.gguf (a file of yours)

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY stubs ./stubs
RUN npm ci
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY replicas ./replicas
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# HERMES_HOME holds the models fetched by name and what they need; a volume, so they survive the container
ENV NODE_ENV=production HERMES_HOME=/data
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin hermes && mkdir -p /data && chown hermes /data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist/src ./dist/src
USER hermes
VOLUME /data
EXPOSE 8080
# the drain: running requests finish within --shutdown-grace (30 s), queued ones get 503; give `docker stop -t 40`
STOPSIGNAL SIGTERM
# ready only once the model is loaded (a first start downloads it: the start period allows for that)
HEALTHCHECK --interval=10s --timeout=3s --start-period=30m --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/hermes.cjs", "serve", "--host", "0.0.0.0", "--port", "8080"]
CMD ["--model", "nous-hermes-llama2-13b"]
