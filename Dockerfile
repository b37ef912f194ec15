# syntax=docker/dockerfile:1
# kycpoller: the worker and enqueue binaries on a distroless, non-root base
# with no shell.
#
#   docker build -t kycpoller:0.1.0 .
#
# The build step runs the Makefile's `build` recipe with BIN=/out; keep the
# two identical (k8s/dockerfile_test.go checks it).

# The Go release matches go.mod's go line.
FROM golang:1.24.13-bookworm AS build
WORKDIR /src
# Modules first, in their own layer: it is rebuilt only when go.mod or go.sum
# change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/worker ./cmd/worker \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/enqueue ./cmd/enqueue

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /out/enqueue /usr/local/bin/
USER nonroot:nonroot
# The ops port: http.addr (/healthz, /readyz, /metrics).
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/worker"]
CMD ["-config", "/etc/kycpoller/config.yaml"]
