# releaselake: one static binary. Build: docker build -t releaselake . (with the --build-arg below for version)
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# What `releaselake version` says (.git is not in the build context):
# docker build --build-arg VERSION="$(git describe --tags --always --dirty)" --build-arg COMMIT="$(git rev-parse HEAD)" .
ARG VERSION=unknown
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-X github.com/releaselake/releaselake/internal/cli.version=${VERSION} -X github.com/releaselake/releaselake/internal/cli.commit=${COMMIT}" -o /out/releaselake ./cmd/releaselake

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/releaselake /usr/local/bin/releaselake
WORKDIR /data
VOLUME ["/data"]
ENV RELEASELAKE_LAKE=/data/lake RELEASELAKE_ADDR=0.0.0.0:8080 RELEASELAKE_LOG=json
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["releaselake"]
CMD ["serve"]
