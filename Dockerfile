# llm-router in a container: the linux binary built with the Bun the lockfile pins, then a small
# runtime image that holds only the binary, CA certificates and curl (for the health check).
#
#   docker build -t llm-router .
#   docker run -p 8000:8000 -e LLM_ROUTER_TOKEN -e OPENAI_API_KEY \
#     -v "$PWD/config.yaml:/etc/llm-router/config.yaml:ro" llm-router
#
# Config and secrets come from outside: the config file by a mount at /etc/llm-router/config.yaml
# (the image carries the example config.yaml there), keys and the token from the environment.

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY . .
# npm ci installs Bun itself (a devDependency) and builds the jq engine (postinstall).
RUN npm ci --no-audit --no-fund
ARG TARGETARCH
# build.ts writes dist/llm-router-linux-x64 or dist/llm-router-linux-arm64.
RUN target="linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)" \
 && node_modules/.bin/bun build.ts --target "$target" \
 && cp "dist/llm-router-$target" /llm-router

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin llm-router
COPY --from=build /llm-router /usr/local/bin/llm-router
COPY config.yaml /etc/llm-router/config.yaml
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD curl -fsS http://127.0.0.1:8000/health || exit 1
ENTRYPOINT ["/usr/local/bin/llm-router"]
CMD ["-c", "/etc/llm-router/config.yaml", "-i", "0.0.0.0", "-p", "8000", "-l", "info"]
